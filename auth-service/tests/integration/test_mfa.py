from typing import Any

import msgspec
import pyotp
import pytest
from litestar.testing import TestClient

from auth_service.config import Settings
from tests.conftest import PASSWORD, FakeClock, bearer, login, register, running, stored, wait_until_ready


def _code(secret: str, clock: FakeClock) -> str:
    return str(pyotp.TOTP(secret).at(clock.now))


def _enable(client: TestClient, clock: FakeClock) -> tuple[str, str, list[str]]:  # type: ignore[type-arg]
    """Register alice and switch TOTP on; (access token, secret, recovery codes)."""
    register(client)
    access, _ = login(client)
    secret = client.post("/auth/mfa/totp/enroll", headers=bearer(access)).json()["secret"]
    confirmed = client.post("/auth/mfa/totp/confirm", json={"code": _code(secret, clock)}, headers=bearer(access))
    assert confirmed.status_code == 200, confirmed.text
    clock.advance(30)  # the confirming code's step is used up
    return access, secret, confirmed.json()["recovery_codes"]


def _challenge(client: TestClient) -> str:  # type: ignore[type-arg]
    response = client.post("/auth/login", json={"login": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["mfa_required"] is True
    return str(body["mfa_token"])


def test_enrolment_returns_the_secret_uri_and_an_svg_qr_code_once(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)

    response = client.post("/auth/mfa/totp/enroll", headers=bearer(access))

    body = response.json()
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg")
    assert body["secret"] not in str(stored(client, "users"))
    assert "secret" not in client.get("/auth/me", headers=bearer(access)).text


def test_a_wrong_confirmation_code_leaves_mfa_off(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)
    client.post("/auth/mfa/totp/enroll", headers=bearer(access))

    response = client.post("/auth/mfa/totp/confirm", json={"code": "000000"}, headers=bearer(access))

    assert response.status_code == 400
    assert response.json()["field"] == "code"
    assert client.get("/auth/me", headers=bearer(access)).json()["mfa_enabled"] is False


@pytest.mark.parametrize(
    "code",
    ["\uff11\uff12\uff13\uff14\uff15\uff16", "١٢٣٤٥٦", "۱۲۳۴۵۶", "12345😀", "ééééé1", "12345\u00a0", "123456789"],
)
def test_a_confirmation_code_that_is_not_six_ascii_digits_is_a_400(client: TestClient, code: str) -> None:  # type: ignore[type-arg]
    # Five of these were a 500 (hmac.compare_digest refuses non-ASCII text) in the middle of an enrolment.
    register(client)
    access, _ = login(client)
    client.post("/auth/mfa/totp/enroll", headers=bearer(access))

    response = client.post("/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(access))

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_confirmation_gives_ten_recovery_codes_stored_as_hashes(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    access, _, codes = _enable(client, clock)

    user = stored(client, "users")[0]

    assert len(codes) == len(set(codes)) == 10
    assert len(user["recovery_codes"]) == 10
    assert not set(codes) & set(user["recovery_codes"])
    assert client.get("/auth/me", headers=bearer(access)).json()["mfa_enabled"] is True


def test_login_of_an_enrolled_user_is_a_challenge_then_tokens(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    _, secret, _ = _enable(client, clock)

    first = client.post("/auth/login", json={"login": "alice", "password": PASSWORD})
    finished = client.post(
        "/auth/login/mfa", json={"mfa_token": first.json()["mfa_token"], "code": _code(secret, clock)}
    )

    assert first.status_code == 200
    assert set(first.json()) == {"mfa_required", "mfa_token", "expires_in"}
    assert "refresh_token" not in first.cookies
    assert finished.status_code == 200
    assert set(finished.json()) == {"access_token", "token_type", "expires_in"}
    assert finished.cookies["refresh_token"]


def test_a_wrong_code_is_401_and_a_replayed_code_is_refused(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    _, secret, _ = _enable(client, clock)
    code = _code(secret, clock)

    wrong = client.post("/auth/login/mfa", json={"mfa_token": _challenge(client), "code": "123456"})
    good = client.post("/auth/login/mfa", json={"mfa_token": _challenge(client), "code": code})
    client.cookies.clear()
    replayed = client.post("/auth/login/mfa", json={"mfa_token": _challenge(client), "code": code})
    clock.advance(30)
    next_step = client.post("/auth/login/mfa", json={"mfa_token": _challenge(client), "code": _code(secret, clock)})

    assert wrong.status_code == 401 or code == "123456"
    assert good.status_code == 200
    assert replayed.status_code == 401
    assert next_step.status_code == 200


def test_an_older_code_is_refused_after_a_newer_one_was_used(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    _, secret, _ = _enable(client, clock)
    older = _code(secret, clock)
    clock.advance(30)
    assert (
        client.post("/auth/login/mfa", json={"mfa_token": _challenge(client), "code": _code(secret, clock)}).status_code
        == 200
    )

    response = client.post("/auth/login/mfa", json={"mfa_token": _challenge(client), "code": older})

    assert response.status_code == 401


def test_a_challenge_works_once_and_expires(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    _, secret, _ = _enable(client, clock)
    token = _challenge(client)
    assert client.post("/auth/login/mfa", json={"mfa_token": token, "code": _code(secret, clock)}).status_code == 200
    clock.advance(30)
    stale = _challenge(client)

    reused = client.post("/auth/login/mfa", json={"mfa_token": token, "code": _code(secret, clock)})
    clock.advance(301)
    expired = client.post("/auth/login/mfa", json={"mfa_token": stale, "code": _code(secret, clock)})

    assert reused.status_code == 401
    assert expired.status_code == 401


def test_a_recovery_code_signs_in_once(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    _, _, codes = _enable(client, clock)

    first = client.post("/auth/login/mfa", json={"mfa_token": _challenge(client), "code": codes[0].upper()})
    client.cookies.clear()
    second = client.post("/auth/login/mfa", json={"mfa_token": _challenge(client), "code": codes[0]})

    assert first.status_code == 200
    assert second.status_code == 401
    assert len(stored(client, "users")[0]["recovery_codes"]) == 9


def test_wrong_codes_are_rate_limited(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    _, secret, _ = _enable(client, clock)

    statuses = [
        client.post("/auth/login/mfa", json={"mfa_token": _challenge(client), "code": "aaaaa-bbbbb"}).status_code
        for _ in range(5)
    ]
    throttled = client.post("/auth/login/mfa", json={"mfa_token": _challenge(client), "code": _code(secret, clock)})

    assert statuses == [401] * 5
    assert throttled.status_code == 429
    assert "retry-after" in throttled.headers


def test_disable_needs_a_recent_sign_in(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    clock.advance(-400)
    access, _, codes = _enable(client, clock)
    clock.advance(370)  # back to the present: signed in 400 s ago, stale

    stale = client.post("/auth/mfa/totp/disable", headers=bearer(access))
    stepped_up = client.post("/auth/reauthenticate", json={"code": codes[3]}, headers=bearer(access))
    right = client.post("/auth/mfa/totp/disable", headers=bearer(stepped_up.json()["access_token"]))

    assert stale.status_code == 401
    assert stale.json()["type"] == "urn:profile-pictures:problem:step-up-required"
    assert stepped_up.status_code == 200
    assert right.status_code == 204
    assert client.post("/auth/login", json={"login": "alice", "password": PASSWORD}).json().keys() == {
        "access_token",
        "token_type",
        "expires_in",
    }
    assert "totp_secret" not in stored(client, "users")[0]


def test_enrolling_again_while_enabled_is_409(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    access, _, _ = _enable(client, clock)

    assert client.post("/auth/mfa/totp/enroll", headers=bearer(access)).status_code == 409


def test_without_an_encryption_key_mfa_is_unavailable(settings: Settings, clock: FakeClock) -> None:
    with running(msgspec.structs.replace(settings, mfa_encryption_key=None), clock) as client:
        wait_until_ready(client)
        register(client)
        access, _ = login(client)

        response = client.post("/auth/mfa/totp/enroll", headers=bearer(access))

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
