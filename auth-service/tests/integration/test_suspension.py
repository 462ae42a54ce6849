"""Suspension: every way of signing in or refreshing answers 403 `account-suspended` with the reason."""

from typing import Any

import pyotp
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from auth_service.users.schemas import Suspension
from auth_service.users.suspension import ACCOUNT_SUSPENDED
from tests.conftest import PASSWORD, FakeClock, bearer, login, refresh, register, stored
from tests.integration.test_admin import admin_token
from tests.integration.test_passkeys import add_passkey, sign_in
from tests.webauthn_authenticator import SoftAuthenticator

Client = TestClient[Litestar]
REASON = "Posting spam in profile bios"


def suspend(client: Client, token: str, user_id: str, reason: str = REASON) -> Any:
    return client.post(f"/admin/users/{user_id}/suspend", json={"reason": reason}, headers=bearer(token))


def assert_suspended(response: Any, reason: str = REASON) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == ACCOUNT_SUSPENDED
    assert body["detail"] == f"This account is suspended: {reason}"
    assert body["reason"] == reason


def test_suspending_ends_every_session_and_answers_the_account(client: Client) -> None:
    admin_id, token = admin_token(client)
    user = register(client)
    login(client)
    login(client)

    response = suspend(client, token, user["id"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sessions"] == 0
    assert body["suspended"]["reason"] == REASON
    assert body["suspended"]["by"] == admin_id
    families = stored(client, "sessions", {"user_id": user["id"]})
    assert len(families) == 2
    assert all(f["revoked_at"] is not None for f in families)


def test_a_suspended_account_cannot_refresh(client: Client) -> None:
    _, token = admin_token(client)
    user = register(client)
    _, refresh_token = login(client)

    suspend(client, token, user["id"])

    assert_suspended(refresh(client, refresh_token))
    assert_suspended(refresh(client, refresh_token))  # a token presented again says the same


def test_a_suspended_account_cannot_sign_in_with_its_password(client: Client) -> None:
    _, token = admin_token(client)
    user = register(client)
    suspend(client, token, user["id"])

    response = client.post("/auth/login", json={"login": "alice", "password": PASSWORD})

    assert_suspended(response)
    assert "refresh_token" not in response.cookies


def test_a_wrong_password_for_a_suspended_account_is_the_usual_401(client: Client) -> None:
    _, token = admin_token(client)
    user = register(client)
    suspend(client, token, user["id"])

    response = client.post("/auth/login", json={"login": "alice", "password": "not the password"})

    assert response.status_code == 401
    assert "reason" not in response.json()


def test_the_totp_step_is_refused_once_the_account_is_suspended(client: Client, clock: FakeClock) -> None:
    _, token = admin_token(client)
    user = register(client)
    access, _ = login(client)
    secret = client.post("/auth/mfa/totp/enroll", headers=bearer(access)).json()["secret"]
    code = str(pyotp.TOTP(secret).at(clock.now))
    assert client.post("/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(access)).status_code == 200
    clock.advance(30)
    challenge = client.post("/auth/login", json={"login": "alice", "password": PASSWORD}).json()["mfa_token"]

    suspend(client, token, user["id"])
    response = client.post("/auth/login/mfa", json={"mfa_token": challenge, "code": pyotp.TOTP(secret).at(clock.now)})

    assert_suspended(response)
    assert_suspended(client.post("/auth/login", json={"login": "alice", "password": PASSWORD}))


def test_a_suspended_account_cannot_sign_in_with_a_passkey(client: Client) -> None:
    authenticator = SoftAuthenticator()
    _, token = admin_token(client)
    user = register(client)
    access, _ = login(client)
    add_passkey(client, access, authenticator)
    client.cookies.clear()

    suspend(client, token, user["id"])
    response = sign_in(client, authenticator)

    assert_suspended(response)
    assert "refresh_token" not in response.cookies


def test_unsuspending_lets_the_person_sign_in_again_but_old_sessions_stay_ended(client: Client) -> None:
    _, token = admin_token(client)
    user = register(client)
    _, old_refresh = login(client)
    suspend(client, token, user["id"])

    lifted = client.post(f"/admin/users/{user['id']}/unsuspend", headers=bearer(token))

    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["suspended"] is None
    assert refresh(client, old_refresh).status_code == 401
    _, new_refresh = login(client)
    assert refresh(client, new_refresh).status_code == 200


def test_suspending_twice_keeps_the_first_suspension_and_audits_both_calls(client: Client, clock: FakeClock) -> None:
    _, token = admin_token(client)
    user = register(client)
    first = suspend(client, token, user["id"], "first reason")
    clock.advance(0.001)  # audit entries of one millisecond are listed in an arbitrary order

    second = suspend(client, token, user["id"], "second reason")

    assert second.status_code == 200, second.text
    assert second.json()["suspended"] == first.json()["suspended"]
    assert_suspended(client.post("/auth/login", json={"login": "alice", "password": PASSWORD}), "first reason")
    audit = client.get("/admin/audit", headers=bearer(token)).json()["entries"]
    suspensions = [e for e in audit if e["action"] == "user.suspended"]
    assert [(e["reason"], e["detail"]["outcome"]) for e in suspensions] == [
        ("second reason", "already_suspended"),
        ("first reason", "suspended"),
    ]


def test_an_admin_cannot_suspend_themselves(client: Client) -> None:
    admin_id, token = admin_token(client)

    response = suspend(client, token, admin_id)

    assert response.status_code == 409, response.text
    assert stored(client, "users", {"_id": admin_id})[0].get("suspended") is None


def test_a_suspended_admin_is_refused_on_admin_routes(client: Client) -> None:
    first_id, first = admin_token(client)
    _, second = admin_token(client, "second@example.com", "second")
    suspend(client, second, first_id)

    assert_suspended(client.get("/admin/users", headers=bearer(first)))


def test_the_reason_is_trimmed(client: Client) -> None:
    _, token = admin_token(client)
    user = register(client)

    response = suspend(client, token, user["id"], "  spam  ")

    assert response.json()["suspended"]["reason"] == "spam"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "\ufeff"},
        {"reason": "line\nbreak"},
        {"reason": "bell\x07"},
        {"reason": "x" * 501},
        {"reason": 5},
        {"reason": None},
        {"reason": "spam", "extra": 1},
        [],
    ],
)
def test_malformed_suspension_bodies_are_400(client: Client, body: Any) -> None:
    _, token = admin_token(client)
    user = register(client)

    response = client.post(f"/admin/users/{user['id']}/suspend", json=body, headers=bearer(token))

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert stored(client, "users", {"_id": user["id"]})[0].get("suspended") is None


def test_a_session_that_slipped_past_the_revocation_cannot_step_up_or_refresh(client: Client) -> None:
    # A sign-in that read the account just before it was suspended: its session exists and was not revoked.
    user = register(client)
    access, refresh_token = login(client)
    services = client.app.state.services
    suspension = Suspension(reason=REASON, at=services.clock(), by="admin-1")
    assert client.blocking_portal.call(lambda: services.users.suspend(user["id"], suspension))

    stepped_up = client.post("/auth/reauthenticate", json={"password": PASSWORD}, headers=bearer(access))

    assert_suspended(stepped_up)
    assert_suspended(refresh(client, refresh_token))
