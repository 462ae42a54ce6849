"""Account deletion against a tiny real profile-service stand-in that checks the service token with our JWKS."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import msgspec
import pytest
from litestar.testing import TestClient

from auth_service.config import Settings
from tests.conftest import (
    ISSUER,
    PASSWORD,
    FakeClock,
    bearer,
    drain,
    login,
    refresh,
    register,
    running,
    stale_login,
    stored,
    wait_until_ready,
)
from tests.webauthn_authenticator import SoftAuthenticator

DELETIONS = "account_deletions"


@dataclass
class ProfileStub:
    """Answers `DELETE /internal/users/{id}` with the queued statuses (then 204), recording verified claims."""

    statuses: list[int] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    jwks: dict[str, Any] = field(default_factory=dict)
    url: str = ""

    def verify(self, authorization: str) -> dict[str, Any]:
        token = authorization.removeprefix("Bearer ")
        key = jwt.PyJWKSet.from_dict(self.jwks)[jwt.get_unverified_header(token)["kid"]]
        claims: dict[str, Any] = jwt.decode(
            # Leeway: the app signs with the fake clock, which tests move ahead of real time.
            token,
            key.key,
            algorithms=["EdDSA"],
            audience="profile-service-internal",
            issuer=ISSUER,
            leeway=3600,
        )
        return claims


@pytest.fixture
def profile_stub() -> Iterator[ProfileStub]:
    stub = ProfileStub()

    class Handler(BaseHTTPRequestHandler):
        def do_DELETE(self) -> None:
            try:
                claims: dict[str, Any] | str = stub.verify(self.headers.get("Authorization", ""))
            except jwt.PyJWTError as exc:
                claims = f"rejected: {exc}"
            stub.calls.append({"path": self.path, "claims": claims})
            status = stub.statuses.pop(0) if stub.statuses else (204 if isinstance(claims, dict) else 401)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def app(settings: Settings, clock: FakeClock, profile_stub: ProfileStub) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with running(msgspec.structs.replace(settings, profile_service_url=profile_stub.url), clock) as client:
        wait_until_ready(client)
        profile_stub.jwks = client.get("/.well-known/jwks.json").json()
        yield client


def _delete(client: TestClient, access: str) -> Any:  # type: ignore[type-arg]
    return client.delete("/auth/me", headers=bearer(access))


def test_a_stale_token_cannot_delete_the_account_until_it_steps_up(
    app: TestClient,  # type: ignore[type-arg]
    profile_stub: ProfileStub,
    clock: FakeClock,
) -> None:
    register(app)
    access, _ = stale_login(app, clock)

    stale = _delete(app, access)
    wrong = app.post("/auth/reauthenticate", json={"password": "not it"}, headers=bearer(access))
    stepped_up = app.post("/auth/reauthenticate", json={"password": PASSWORD}, headers=bearer(access))
    queued_before = drain(app, DELETIONS)
    deleted = _delete(app, stepped_up.json()["access_token"])

    assert stale.status_code == 401
    assert stale.json()["type"] == "urn:profile-pictures:problem:step-up-required"
    assert stale.json()["max_age"] == 300
    assert wrong.status_code == 401
    assert queued_before == 0
    assert profile_stub.calls == []
    assert deleted.status_code == 202
    assert drain(app, DELETIONS) == 1


def test_deletion_calls_profile_service_with_a_service_token_then_removes_the_account(
    app: TestClient,  # type: ignore[type-arg]
    profile_stub: ProfileStub,
) -> None:
    user = register(app)
    access, refresh_token = login(app)
    authenticator = SoftAuthenticator()
    started = app.post("/auth/passkeys/register/options", headers=bearer(access)).json()
    body = {"ceremony_id": started["ceremony_id"], "credential": authenticator.create(started["options"])}
    assert app.post("/auth/passkeys", json=body, headers=bearer(access)).status_code == 201

    response = _delete(app, access)
    while_deleting = app.post("/auth/login", json={"login": "alice", "password": PASSWORD})
    sign_in = app.post("/auth/passkeys/login/options").json()
    assertion = {"ceremony_id": sign_in["ceremony_id"], "credential": authenticator.get(sign_in["options"])}
    passkey_while_deleting = app.post("/auth/passkeys/login", json=assertion)
    drain(app, DELETIONS)

    assert response.status_code == 202
    assert response.json()["status"] == "deleting"
    assert while_deleting.status_code == 403
    assert passkey_while_deleting.status_code == 403
    assert refresh(app, refresh_token).status_code == 401
    assert len(profile_stub.calls) == 1
    call = profile_stub.calls[0]
    assert call["path"] == f"/internal/users/{user['id']}"
    assert call["claims"]["scope"] == "profiles:delete"
    assert call["claims"]["aud"] == "profile-service-internal"
    assert call["claims"]["sub"] == "auth-service"
    assert stored(app, "users") == []
    assert stored(app, "activity") == []
    assert stored(app, "passkeys") == []
    assert stored(app, "devices") == []
    assert app.post("/auth/login", json={"login": "alice", "password": PASSWORD}).status_code == 401
    assert app.get("/auth/me", headers=bearer(access)).status_code == 401


def test_a_failed_profile_call_is_retried_with_backoff(
    app: TestClient,  # type: ignore[type-arg]
    profile_stub: ProfileStub,
    clock: FakeClock,
) -> None:
    register(app)
    access, _ = login(app)
    profile_stub.statuses = [503]
    _delete(app, access)

    drain(app, DELETIONS)
    after_failure = stored(app, DELETIONS)[0]
    users_meanwhile = stored(app, "users")
    nothing_due = drain(app, DELETIONS)
    clock.advance(5)
    drain(app, DELETIONS)

    assert after_failure["status"] == "pending"
    assert after_failure["attempts"] == 1
    assert "503" in after_failure["last_error"]
    assert [u["status"] for u in users_meanwhile] == ["deleting"]
    assert nothing_due == 0
    assert len(profile_stub.calls) == 2
    assert stored(app, DELETIONS)[0]["status"] == "done"
    assert stored(app, "users") == []


def test_a_profile_that_is_already_gone_counts_as_deleted(app: TestClient, profile_stub: ProfileStub) -> None:  # type: ignore[type-arg]
    register(app)
    access, _ = login(app)
    profile_stub.statuses = [404]

    _delete(app, access)
    drain(app, DELETIONS)

    assert stored(app, "users") == []


def test_without_a_profile_service_url_deletion_is_503(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)

    response = _delete(client, access)

    assert response.status_code == 503
    assert client.get("/auth/me", headers=bearer(access)).status_code == 200
