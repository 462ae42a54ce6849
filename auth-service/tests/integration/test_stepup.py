"""`POST /auth/reauthenticate`: a step-up answers a fresh access token for the same session."""

import jwt
import pyotp
from litestar.testing import TestClient

from tests.conftest import PASSWORD, FakeClock, bearer, login, register, stale_login

STEP_UP = "urn:profile-pictures:problem:step-up-required"


def claims(access: str) -> dict[str, object]:
    return dict(jwt.decode(access, options={"verify_signature": False}))


def test_the_password_gives_a_fresh_token_for_the_same_session_without_a_new_cookie(
    client: TestClient,  # type: ignore[type-arg]
    clock: FakeClock,
) -> None:
    register(client)
    stale, _ = stale_login(client, clock)

    response = client.post("/auth/reauthenticate", json={"password": PASSWORD}, headers=bearer(stale))

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    fresh = claims(body["access_token"])
    assert fresh["sid"] == claims(stale)["sid"]
    assert fresh["auth_time"] == int(clock.now.timestamp())
    assert fresh["amr"] == ["pwd"]
    kinds = [e["kind"] for e in client.get("/auth/activity", headers=bearer(body["access_token"])).json()["events"]]
    assert kinds[0] == "reauthenticated"


def test_a_wrong_password_is_a_plain_401_not_the_step_up_type(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)

    response = client.post("/auth/reauthenticate", json={"password": "not it"}, headers=bearer(access))

    assert response.status_code == 401
    assert response.json()["type"] == "about:blank"
    assert response.json()["field"] == "password"
    assert response.json()["detail"] == "The password is wrong."


def test_wrong_passwords_are_throttled_like_sign_in(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)

    statuses = [
        client.post("/auth/reauthenticate", json={"password": "not it"}, headers=bearer(access)).status_code
        for _ in range(4)
    ]
    right = client.post("/auth/reauthenticate", json={"password": PASSWORD}, headers=bearer(access))

    assert statuses == [401, 401, 401, 429]
    assert right.status_code == 429
    assert "retry-after" in right.headers


def test_neither_or_both_proofs_are_400(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)

    neither = client.post("/auth/reauthenticate", json={}, headers=bearer(access))
    both = client.post("/auth/reauthenticate", json={"password": PASSWORD, "code": "123456"}, headers=bearer(access))
    null = client.post("/auth/reauthenticate", json={"password": None, "code": "123456"}, headers=bearer(access))

    assert neither.status_code == 400
    assert both.status_code == 400
    assert null.status_code == 400
    assert neither.headers["content-type"] == "application/problem+json"


def test_a_code_only_works_while_two_step_is_on(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)
    off = client.post("/auth/reauthenticate", json={"code": "123456"}, headers=bearer(access))
    secret = client.post("/auth/mfa/totp/enroll", headers=bearer(access)).json()["secret"]
    client.post("/auth/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).at(clock.now)}, headers=bearer(access))
    clock.advance(30)

    wrong = client.post("/auth/reauthenticate", json={"code": "000000"}, headers=bearer(access))
    right = client.post("/auth/reauthenticate", json={"code": pyotp.TOTP(secret).at(clock.now)}, headers=bearer(access))
    replayed = client.post(
        "/auth/reauthenticate", json={"code": pyotp.TOTP(secret).at(clock.now)}, headers=bearer(access)
    )

    assert off.status_code == 401
    assert off.json()["field"] == "code"
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert claims(right.json()["access_token"])["amr"] == ["otp"]
    assert replayed.status_code == 401


def test_reauthenticate_needs_a_token_and_a_live_session(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, refresh_token = login(client)
    client.post("/auth/logout", headers={"Cookie": f"refresh_token={refresh_token}"})

    anonymous = client.post("/auth/reauthenticate", json={"password": PASSWORD})
    ended = client.post("/auth/reauthenticate", json={"password": PASSWORD}, headers=bearer(access))

    assert anonymous.status_code == 401
    assert ended.status_code == 401


def test_a_token_just_issued_by_sign_in_is_fresh(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)

    response = client.post("/auth/sessions/revoke-others", headers=bearer(access))

    assert response.status_code == 204
