"""Fixtures shared by the unit and integration tests: settings, a signing key with its JWKS served over real
HTTP on 127.0.0.1, token minting, and the whole app."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from litestar.testing import TestClient

from profile_service.app import create_app
from profile_service.config import Settings

ISSUER = "http://auth.test"
AUDIENCE = "profile-service"
API_SECRET = "test-api-secret-0123456789abcdef0123456789"
CLOUDINARY_URL = f"cloudinary://123456789012345:{API_SECRET}@test-cloud?upload_prefix=http://127.0.0.1:9"

TokenFactory = Callable[..., str]
Client = TestClient[Litestar]


class SigningKey:
    """An Ed25519 key and its kid, as the auth service would hold it."""

    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex[:16]

    def jwk(self) -> dict[str, Any]:
        """The public JWK as the JWKS lists it."""
        jwk: dict[str, Any] = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "EdDSA"}


class JwksServer:
    """A real HTTP server on 127.0.0.1 serving a JWKS the test controls; counts the requests it answers."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = keys
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                body = json.dumps({"keys": [k.jwk() for k in server.keys]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    """The key tokens are signed with."""
    return SigningKey()


@pytest.fixture(scope="session")
def jwks_server(signing_key: SigningKey) -> Iterator[JwksServer]:
    """The JWKS endpoint the service fetches keys from."""
    server = JwksServer([signing_key])
    yield server
    server.close()


def mint(key: SigningKey, user_id: str, username: str | None = None, **overrides: Any) -> str:
    """An access token as the auth service issues it (overrides change or, with None, drop claims)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": uuid.uuid4().hex,
        "username": username or f"user_{user_id[:8]}",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid, "typ": "at+jwt"})


@pytest.fixture
def token(signing_key: SigningKey) -> TokenFactory:
    """Mint tokens: `token("user-id", username="alice")`."""

    def make(sub: str, username: str | None = None, **overrides: Any) -> str:
        return mint(signing_key, sub, username, **overrides)

    return make


def auth(bearer: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {bearer}"}


def make_settings(**overrides: Any) -> Settings:
    """Settings with test defaults; any field may be overridden."""
    values: dict[str, Any] = {
        "mongodb_uri": "mongodb://127.0.0.1:9",
        "cloudinary_url": CLOUDINARY_URL,
        "auth_issuer": ISSUER,
        "auth_jwks_url": "http://127.0.0.1:9/.well-known/jwks.json",
        "public_webhook_url": "http://127.0.0.1:8002/webhooks/cloudinary",
        "mongodb_timeout_ms": 2000,
        "outbox_poll_seconds": 0.05,
        "outbox_backoff_seconds": 0.05,
        "reconcile_interval_seconds": 0,
        "orphan_sweep_interval_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(mongodb_uri: str, database_name: str, jwks_server: JwksServer) -> Settings:
    """Settings for one test: the session's MongoDB, a database of its own, the test JWKS."""
    return make_settings(mongodb_uri=mongodb_uri, database=database_name, auth_jwks_url=jwks_server.url)


def wait_until_ready(client: Client, timeout: float = 10.0) -> None:
    """Poll `/ready` until it answers 200 (indexes are created in the background at start-up)."""
    deadline = time.monotonic() + timeout
    while (status := client.get("/ready").status_code) != 200:
        if time.monotonic() > deadline:
            raise TimeoutError(f"/ready still answers {status}")
        time.sleep(0.02)


@pytest.fixture
def client(settings: Settings) -> Iterator[Client]:
    """The whole app with its lifespan running, ready to serve."""
    with TestClient(create_app(settings)) as test_client:
        wait_until_ready(test_client)
        yield test_client
