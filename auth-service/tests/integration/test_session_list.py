"""`GET /auth/sessions`, `DELETE /auth/sessions/{id}`, `POST /auth/sessions/revoke-others`: where the account is
signed in, and ending those sessions at once (their refresh tokens answer 401)."""

from typing import Any

import jwt
import pyotp
from litestar.testing import TestClient

from tests.conftest import PASSWORD, FakeClock, bearer, login, refresh, register, stale_login

FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
STEP_UP = "urn:profile-pictures:problem:step-up-required"


def sign_in(client: TestClient, user_agent: str, login_name: str = "alice") -> tuple[str, str]:  # type: ignore[type-arg]
    """Sign in from a browser with this User-Agent; (access token, refresh token)."""
    response = client.post(
        "/auth/login", json={"login": login_name, "password": PASSWORD}, headers={"User-Agent": user_agent}
    )
    assert response.status_code == 200, response.text
    refresh_token = response.cookies["refresh_token"]
    client.cookies.clear()
    return response.json()["access_token"], refresh_token


def sid(access: str) -> str:
    return str(jwt.decode(access, options={"verify_signature": False})["sid"])


def sessions(client: TestClient, access: str) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    response = client.get("/auth/sessions", headers=bearer(access))
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["sessions"]
    return listed


def test_the_list_shows_each_live_session_newest_first_with_its_device_and_the_current_one(
    client: TestClient,  # type: ignore[type-arg]
    clock: FakeClock,
) -> None:
    register(client)
    firefox, _ = sign_in(client, FIREFOX)
    clock.advance(5)
    phone, _ = sign_in(client, ANDROID)

    listed = sessions(client, firefox)

    assert [s["id"] for s in listed] == [sid(phone), sid(firefox)]
    assert [s["device"] for s in listed] == ["Chrome on Android", "Firefox 133 on Ubuntu"]
    assert [s["current"] for s in listed] == [False, True]
    assert set(listed[0]) == {"id", "created_at", "last_used_at", "device", "address", "current"}
    # The test client's address is not an IP address ("testclient"): no network to show.
    assert listed[0]["address"] == ""


def test_a_refresh_moves_last_used_at(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    access, refresh_token = sign_in(client, FIREFOX)
    before = sessions(client, access)[0]

    clock.advance(5)
    assert refresh(client, refresh_token).status_code == 200
    after = sessions(client, access)[0]

    assert after["created_at"] == before["created_at"]
    assert after["last_used_at"] > before["last_used_at"]


def test_revoked_and_expired_sessions_are_not_listed(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    old, _ = stale_login(client, clock, seconds=30 * 86400 - 600)  # expires in 10 minutes: still listed
    _, signed_out = sign_in(client, ANDROID)
    current, _ = sign_in(client, FIREFOX)
    client.post("/auth/logout", headers={"Cookie": f"refresh_token={signed_out}"})

    now = [s["id"] for s in sessions(client, current)]
    clock.advance(601)
    later = [s["id"] for s in sessions(client, current)]

    assert now == [sid(current), sid(old)]
    assert later == [sid(current)]


def test_deleting_a_session_ends_it_at_once(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    mine, my_refresh = sign_in(client, FIREFOX)
    other, other_refresh = sign_in(client, ANDROID)

    response = client.delete(f"/auth/sessions/{sid(other)}", headers=bearer(mine))

    assert response.status_code == 204
    assert refresh(client, other_refresh).status_code == 401
    assert refresh(client, my_refresh).status_code == 200
    assert [s["id"] for s in sessions(client, mine)] == [sid(mine)]


def test_deleting_the_current_session_is_a_sign_out(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    mine, my_refresh = sign_in(client, FIREFOX)

    response = client.delete(f"/auth/sessions/{sid(mine)}", headers=bearer(mine))

    assert response.status_code == 204
    assert refresh(client, my_refresh).status_code == 401


def test_another_users_session_and_an_unknown_id_are_the_same_404(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    register(client, "bob@example.com", "bob")
    alice, _ = sign_in(client, FIREFOX)
    bob, bob_refresh = sign_in(client, FIREFOX, "bob")

    theirs = client.delete(f"/auth/sessions/{sid(bob)}", headers=bearer(alice))
    unknown = client.delete("/auth/sessions/no-such-session", headers=bearer(alice))
    again = client.delete(f"/auth/sessions/{sid(alice)}", headers=bearer(alice))
    twice = client.delete(f"/auth/sessions/{sid(alice)}", headers=bearer(alice))

    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["detail"] == unknown.json()["detail"]
    assert refresh(client, bob_refresh).status_code == 200
    assert again.status_code == 204
    assert twice.status_code == 404


def test_the_session_routes_need_a_token(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.get("/auth/sessions").status_code == 401
    assert client.delete("/auth/sessions/x").status_code == 401
    assert client.post("/auth/sessions/revoke-others").status_code == 401


def test_revoke_others_needs_a_recent_sign_in_and_then_leaves_only_this_session(
    client: TestClient,  # type: ignore[type-arg]
    clock: FakeClock,
) -> None:
    register(client)
    _, other_refresh = sign_in(client, ANDROID)
    stale, stale_refresh = stale_login(client, clock)

    refused = client.post("/auth/sessions/revoke-others", headers=bearer(stale))
    stepped_up = client.post("/auth/reauthenticate", json={"password": PASSWORD}, headers=bearer(stale))
    fresh = stepped_up.json()["access_token"]
    accepted = client.post("/auth/sessions/revoke-others", headers=bearer(fresh))

    assert refused.status_code == 401
    assert refused.json()["type"] == STEP_UP
    assert refused.json()["max_age"] == 300
    assert accepted.status_code == 204
    assert [s["id"] for s in sessions(client, fresh)] == [sid(stale)]
    assert refresh(client, other_refresh).status_code == 401
    assert refresh(client, stale_refresh).status_code == 200


def test_turning_two_step_on_and_off_ends_every_other_session(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    access, my_refresh = login(client)
    _, before_on = sign_in(client, ANDROID)
    secret = client.post("/auth/mfa/totp/enroll", headers=bearer(access)).json()["secret"]
    on = client.post("/auth/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).at(clock.now)}, headers=bearer(access))
    # A second sign-in while it is on (password + code), then off again from the first session.
    challenge = client.post("/auth/login", json={"login": "alice", "password": PASSWORD}).json()["mfa_token"]
    clock.advance(30)
    second = client.post("/auth/login/mfa", json={"mfa_token": challenge, "code": pyotp.TOTP(secret).at(clock.now)})
    before_off = second.cookies["refresh_token"]
    client.cookies.clear()
    off = client.post("/auth/mfa/totp/disable", headers=bearer(access))

    assert on.status_code == 200
    assert off.status_code == 204
    assert refresh(client, before_on).status_code == 401
    assert refresh(client, before_off).status_code == 401
    assert refresh(client, my_refresh).status_code == 200
