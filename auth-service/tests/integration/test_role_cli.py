"""`auth-service grant-role` / `revoke-role` as a process against the session's MongoDB, without signing keys."""

import os
import subprocess
import sys
from pathlib import Path

import jwt
from litestar import Litestar
from litestar.testing import TestClient

from auth_service.config import Settings
from tests.conftest import ISSUER, bearer, login, register, stored

Client = TestClient[Litestar]
# The console script uv installs beside this interpreter: what `uv run --frozen auth-service ...` runs.
SCRIPT = Path(sys.executable).with_name("auth-service")


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with the server's MongoDB settings and no AUTH_SIGNING_* at all (it issues no token)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTH_") and k != "MONGODB_URI"}
    env |= {"MONGODB_URI": settings.mongodb_uri, "AUTH_DATABASE": settings.database, "AUTH_ISSUER": ISSUER}
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_grant_role_makes_an_admin_whose_next_sign_in_carries_the_role(client: Client, settings: Settings) -> None:
    user = register(client)

    result = run_cli(settings, "grant-role", "Alice@Example.com", "admin")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"granted role admin to alice@example.com (user {user['id']})"
    token, _ = login(client)
    assert jwt.decode(token, options={"verify_signature": False})["role"] == "admin"
    entries = client.get("/admin/audit", headers=bearer(token)).json()["entries"]
    assert [(e["action"], e["actor_id"], e["actor"], e["target_id"], e["target"], e["detail"]) for e in entries] == [
        ("role.granted", "cli", "cli", user["id"], "alice@example.com", {"role": "admin", "previous": "user"})
    ]


def test_revoke_role_makes_the_account_a_plain_user_again(client: Client, settings: Settings) -> None:
    user = register(client)
    assert run_cli(settings, "grant-role", "alice@example.com", "admin").returncode == 0

    result = run_cli(settings, "revoke-role", "alice@example.com")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"revoked role admin from alice@example.com (user {user['id']}); role is now user"
    assert stored(client, "users")[0]["role"] == "user"
    actions = [(d["action"], d["detail"]["role"]) for d in stored(client, "audit")]
    assert sorted(actions) == [("role.granted", "admin"), ("role.revoked", "user")]


def test_an_unknown_email_changes_nothing_and_exits_1(client: Client, settings: Settings) -> None:
    register(client)

    result = run_cli(settings, "grant-role", "nobody@example.com", "admin")

    assert result.returncode == 1
    assert "no account has the e-mail address nobody@example.com" in result.stderr
    assert result.stdout == ""
    assert stored(client, "audit") == []


def test_bad_usage_exits_2(client: Client, settings: Settings) -> None:
    register(client)

    outcomes = [
        run_cli(settings, "grant-role", "alice@example.com", "superuser"),
        run_cli(settings, "grant-role", "alice@example.com"),
        run_cli(settings, "revoke-role"),
        run_cli(settings, "grant-role", "alice", "admin"),
    ]

    assert [r.returncode for r in outcomes] == [2, 2, 2, 2]
    assert all(r.stderr for r in outcomes)
    assert stored(client, "users")[0]["role"] == "user"
    assert stored(client, "audit") == []
