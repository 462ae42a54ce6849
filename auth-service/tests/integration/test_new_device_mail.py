"""The "New sign-in to your account" e-mail, the known devices it is decided by, and its "This wasn't me" link."""

import re
from datetime import timedelta

from litestar.testing import TestClient

from tests.conftest import FakeClock, mailed_token, outbox_mail, refresh, register, stored
from tests.integration.test_session_list import ANDROID, FIREFOX, sessions, sid, sign_in

SUBJECT = "New sign-in to your account"
EMAIL = "alice@example.com"


def new_sign_in_mail(client: TestClient) -> list[dict[str, str]]:  # type: ignore[type-arg]
    return [m for m in outbox_mail(client, EMAIL) if m["subject"] == SUBJECT]


def test_the_first_sign_in_and_a_known_device_mail_nothing(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)

    sign_in(client, FIREFOX)
    sign_in(client, FIREFOX)
    # A browser update is the same device.
    sign_in(client, FIREFOX.replace("133.0", "134.0"))

    assert new_sign_in_mail(client) == []
    assert len(stored(client, "devices")) == 1


def test_a_new_device_gets_a_mail_with_the_device_time_place_and_a_link(
    client: TestClient,  # type: ignore[type-arg]
    clock: FakeClock,
) -> None:
    register(client)
    sign_in(client, FIREFOX)

    sign_in(client, ANDROID)

    [mail] = new_sign_in_mail(client)
    assert "Device: Chrome on Android" in mail["text"]
    assert f"When: {clock.now:%d %B %Y, %H:%M} UTC" in mail["text"]
    assert "from an unknown network" in mail["text"]  # the test client has no IP address
    assert re.search(r"http://localhost:8080/not-me\?token=[\w-]+", mail["text"])


def test_a_device_unused_for_90_days_is_new_again(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    sign_in(client, FIREFOX)
    sign_in(client, ANDROID)
    clock.advance(timedelta(days=89).total_seconds())
    sign_in(client, FIREFOX)
    quiet = len(new_sign_in_mail(client))

    clock.advance(timedelta(days=91).total_seconds())
    sign_in(client, ANDROID)

    assert quiet == 1
    assert len(new_sign_in_mail(client)) == 2


def test_not_me_ends_that_session_and_mails_a_reset_link_once(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    mine, _ = sign_in(client, FIREFOX)
    theirs, their_refresh = sign_in(client, ANDROID)
    token = mailed_token(client, EMAIL, "not-me")

    first = client.post("/auth/sessions/not-me", json={"token": token})
    second = client.post("/auth/sessions/not-me", json={"token": token})
    bad = client.post("/auth/sessions/not-me", json={"token": "not-a-token"})

    assert first.status_code == 204
    assert refresh(client, their_refresh).status_code == 401
    assert [s["id"] for s in sessions(client, mine)] == [sid(mine)]
    assert mailed_token(client, EMAIL, "reset-password")
    assert second.status_code == 400
    assert second.json()["reason"] == "used_token"
    assert bad.status_code == 400
    assert bad.json()["reason"] == "invalid_token"
    assert sid(theirs) not in {s["id"] for s in sessions(client, mine)}


def test_an_expired_not_me_link_is_400(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    sign_in(client, FIREFOX)
    sign_in(client, ANDROID)
    token = mailed_token(client, EMAIL, "not-me")
    clock.advance(timedelta(days=8).total_seconds())

    response = client.post("/auth/sessions/not-me", json={"token": token})

    assert response.status_code == 400
    assert response.json()["reason"] == "expired_token"
