"""Fixtures shared by the unit and integration tests."""

import base64
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from auth_service.app import create_app
from auth_service.config import ServiceClient, Settings
from auth_service.services import build
from service_kit.clock import utc_now

ISSUER = "http://auth.test"
KID = "20250101-current"
CLIENT_ID = "profile-worker"
CLIENT_SECRET = "s3cret-for-tests-only-0123456789abcdef"
PASSWORD = "correct horse battery"
MFA_KEY = base64.urlsafe_b64encode(b"0123456789abcdef0123456789abcdef").decode()


def pem(key: Ed25519PrivateKey) -> str:
    """A private key as unencrypted PKCS8 PEM, the format the service reads."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class FakeClock:
    """A clock the test moves by hand, so expiry and throttle windows need no sleeping."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    """The app's clock in integration tests."""
    return FakeClock()


@pytest.fixture
def signing_key() -> Ed25519PrivateKey:
    """The key the test app signs with."""
    return Ed25519PrivateKey.generate()


@pytest.fixture
def keys_dir(tmp_path: Path, signing_key: Ed25519PrivateKey) -> Path:
    """An AUTH_SIGNING_KEYS_DIR holding the signing key."""
    folder = tmp_path / "keys"
    folder.mkdir()
    (folder / f"{KID}.pem").write_text(pem(signing_key))
    return folder


def make_settings(mongodb_uri: str, database: str, keys_dir: Path, **overrides: Any) -> Settings:
    """Test settings: cheap argon2, small throttle limits, one service client."""
    import hashlib

    values: dict[str, Any] = {
        "mongodb_uri": mongodb_uri,
        "database": database,
        "mongodb_timeout_ms": 2000,
        "issuer": ISSUER,
        "signing_keys_dir": str(keys_dir),
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "login_max_failures_per_account": 3,
        "login_max_failures_per_address": 20,
        "login_window_seconds": 60,
        "mfa_encryption_key": MFA_KEY,
        # Tests drive the outbox workers themselves (`drain`), so nothing happens behind their back.
        "outbox_worker": False,
        "service_clients": [
            ServiceClient(
                client_id=CLIENT_ID,
                secret_sha256=hashlib.sha256(CLIENT_SECRET.encode()).hexdigest(),
                audience="profile-service-internal",
                scopes=["profiles:read", "profiles:write"],
            )
        ],
    }
    return Settings(**(values | overrides))


@pytest.fixture
def settings(mongodb_uri: str, database_name: str, keys_dir: Path) -> Settings:
    """Settings for one test: the session's MongoDB, a database of its own."""
    return make_settings(mongodb_uri, database_name, keys_dir)


def wait_until_ready(client: TestClient, timeout: float = 10.0) -> None:  # type: ignore[type-arg]
    """Poll `/ready` until it answers 200 (indexes are created in the background at start-up)."""
    deadline = time.monotonic() + timeout
    while (status := client.get("/ready").status_code) != 200:
        if time.monotonic() > deadline:
            raise TimeoutError(f"/ready still answers {status}")
        time.sleep(0.02)


def running(settings: Settings, clock: FakeClock | None = None) -> TestClient:  # type: ignore[type-arg]
    """A test client over https (so the Secure refresh cookie is kept and sent, as in a browser)."""
    services = build(settings) if clock is None else build(settings, clock=clock)
    app = create_app(services=services)
    return TestClient(app, base_url="https://testserver.local")


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The whole app with its lifespan running, ready to serve."""
    with running(settings, clock) as test_client:
        wait_until_ready(test_client)
        yield test_client


def register(
    client: TestClient,  # type: ignore[type-arg]
    email: str = "alice@example.com",
    username: str = "alice",
    password: str = PASSWORD,
) -> dict[str, Any]:
    """Register an account and return the public user."""
    response = client.post("/auth/register", json={"email": email, "username": username, "password": password})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def login(client: TestClient, login: str = "alice", password: str = PASSWORD) -> tuple[str, str]:  # type: ignore[type-arg]
    """Sign in; the access token and the refresh token (taken out of the client's cookie jar)."""
    response = client.post("/auth/login", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    refresh_token = response.cookies["refresh_token"]
    client.cookies.clear()
    return response.json()["access_token"], refresh_token


def stale_login(
    client: TestClient,  # type: ignore[type-arg]
    clock: FakeClock,
    login_name: str = "alice",
    password: str = PASSWORD,
    seconds: float = 301,
) -> tuple[str, str]:
    """Sign in as if `seconds` ago: the tokens still work, but the sign-in is too old for a `fresh_user` route.

    The clock goes back rather than forward because tokens are verified against real time: a token issued by a
    clock ahead of it would not be valid yet.
    """
    clock.advance(-seconds)
    try:
        return login(client, login_name, password)
    finally:
        clock.advance(seconds)


def refresh(client: TestClient, refresh_token: str) -> Any:  # type: ignore[type-arg]
    """POST /auth/refresh presenting exactly this refresh token; the jar is left empty afterwards."""
    client.cookies.clear()
    response = client.post("/auth/refresh", headers={"Cookie": f"refresh_token={refresh_token}"})
    client.cookies.clear()
    return response


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for an access token."""
    return {"Authorization": f"Bearer {token}"}


def drain(client: TestClient, outbox: str = "email_outbox") -> int:  # type: ignore[type-arg]
    """Run the app's worker for `outbox` until no job is due now; how many jobs it claimed."""
    worker = client.app.state.services.workers[outbox]
    total = 0
    while claimed := client.blocking_portal.call(worker.run_once):
        total += claimed
    return total


def stored(client: TestClient, collection: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    """Documents of one of the app's collections, read through its own client and loop."""

    async def fetch() -> list[dict[str, Any]]:
        docs: list[dict[str, Any]] = await client.app.state.services.mongo.db[collection].find(query or {}).to_list()
        return docs

    return client.blocking_portal.call(fetch)


def outbox_mail(client: TestClient, to: str) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    """Messages queued for `to`, oldest first (payloads; sent ones have forgotten theirs)."""
    jobs = sorted(stored(client, "email_outbox"), key=lambda d: (d["due_ms"], d["created_at"]))
    return [d["payload"] for d in jobs if "payload" in d and d["payload"]["to"] == to]


def mailed_token(client: TestClient, to: str, page: str) -> str:  # type: ignore[type-arg]
    """The token of the newest link to `page` mailed to `to`."""
    for mail in reversed(outbox_mail(client, to)):
        if match := re.search(rf"/{page}\?token=([\w-]+)", mail["text"]):
            return match.group(1)
    raise AssertionError(f"no {page} link mailed to {to}")
