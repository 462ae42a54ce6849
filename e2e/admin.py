"""Administrators in a running stack: the role granted by auth-service's own CLI (a subprocess with the auth
process's environment, so it reaches the same MongoDB database), a fresh sign-in for a token carrying the role,
client-credentials service tokens, and tokens with a forged `role` claim."""

import base64
import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from e2e.pipeline import User, register
from e2e.stack import Stack

# Client-credentials clients for the stacks that need service tokens (`AUTH_SERVICE_CLIENTS`): one for the
# internal routes, and one whose audience is the user tokens' own (the sharpest case: only the missing role
# tells its token from a user's).
SERVICE_CLIENT = ("moderation-e2e", uuid.uuid4().hex + uuid.uuid4().hex)
USER_AUDIENCE_CLIENT = ("same-audience-e2e", uuid.uuid4().hex + uuid.uuid4().hex)
SERVICE_CLIENTS = [
    {
        "client_id": SERVICE_CLIENT[0],
        "secret_sha256": hashlib.sha256(SERVICE_CLIENT[1].encode()).hexdigest(),
        "audience": "profile-service-internal",
        "scopes": ["profiles:read"],
    },
    {
        "client_id": USER_AUDIENCE_CLIENT[0],
        "secret_sha256": hashlib.sha256(USER_AUDIENCE_CLIENT[1].encode()).hexdigest(),
        "audience": "profile-service",
        "scopes": ["profiles:read"],
    },
]
SERVICE_CLIENTS_ENV = {"AUTH_SERVICE_CLIENTS": json.dumps(SERVICE_CLIENTS)}


def auth_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """`auth-service ARGS` (the console script `uv run auth-service` runs) with the running auth process's
    environment: the same MongoDB URI, database and settings."""
    script = Path(sys.executable).with_name("auth-service")
    return subprocess.run(
        [str(script), *args],
        env={**os.environ, **stack.processes["auth"].env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def grant_role(stack: Stack, email: str, role: str = "admin") -> str:
    """Grant `role` through the CLI; its stdout (the CLI must exit 0)."""
    done = auth_cli(stack, "grant-role", email, role)
    assert done.returncode == 0, f"grant-role exited {done.returncode}: {done.stdout}{done.stderr}"
    return done.stdout


def sign_in(stack: Stack, user: User) -> User:
    """A fresh password sign-in: the same user with a new access token (carrying the role stored now)."""
    response = httpx.post(
        stack.url("auth", "/auth/login"), json={"login": user.username, "password": user.password}, timeout=30
    )
    assert response.status_code == 200, response.text
    return User(
        id=user.id,
        username=user.username,
        token=response.json()["access_token"],
        password=user.password,
        email=user.email,
    )


def make_admin(stack: Stack) -> User:
    """A new account granted the admin role from the command line, signed in again afterwards."""
    user = register(stack)
    grant_role(stack, user.email, "admin")
    admin = sign_in(stack, user)
    assert claims(admin.token).get("role") == "admin", claims(admin.token)
    return admin


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified (to read what the issuer put there)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def forged_admin_token(user: User) -> str:
    """The user's own token with `role` changed to admin and the original signature kept: a forgery."""
    header, _, signature = user.token.split(".")
    body = {**claims(user.token), "role": "admin"}
    encoded = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def self_signed_admin_token(user: User) -> str:
    """The user's claims with `role: admin`, signed with a key of our own under the real key's `kid`: a forgery
    that is a well-formed EdDSA token."""
    header = jwt.get_unverified_header(user.token)
    return jwt.encode(
        {**claims(user.token), "role": "admin"},
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": header["kid"], "typ": header.get("typ", "at+jwt")},
    )


def service_token(stack: Stack, client: tuple[str, str] = SERVICE_CLIENT) -> str:
    """A client-credentials token from the real auth service (the stack must know `SERVICE_CLIENTS`)."""
    response = httpx.post(
        stack.url("auth", "/auth/token"),
        data={"grant_type": "client_credentials", "client_id": client[0], "client_secret": client[1]},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a raw token."""
    return {"Authorization": f"Bearer {token}"}
