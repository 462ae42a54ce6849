import base64
import hashlib
import json
import os
from pathlib import Path

import pytest

from devstack import dev
from devstack.mongo import start_nx
from devstack.secrets import ensure_cloudinary_url, ensure_signing_key


def test_signing_key_is_generated_once_and_private(tmp_path: Path) -> None:
    first = ensure_signing_key(tmp_path / "keys")
    second = ensure_signing_key(tmp_path / "keys")

    assert first == second
    assert first.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert first.stat().st_mode & 0o077 == 0


def test_cloudinary_url_is_generated_once_for_the_emulator_port(tmp_path: Path) -> None:
    first = ensure_cloudinary_url(tmp_path / "cloudinary_url", 9003)
    second = ensure_cloudinary_url(tmp_path / "cloudinary_url", 1234)

    assert first == second
    assert first.startswith("cloudinary://")
    assert first.endswith("@dev-cloud?upload_prefix=http://127.0.0.1:9003")


def test_ports_default_to_the_documented_ones_and_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTH_PORT", "PROFILE_PORT", "EMULATOR_PORT", "WEB_PORT", "MONGO_PORT", "MAIL_PORT", "MAIL_WEB_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert dev.Ports.from_env() == dev.Ports(
        auth=8001, profile=8002, emulator=8003, web=8080, mongo=27018, mail=8025, mail_web=8026
    )

    monkeypatch.setenv("WEB_PORT", "9090")
    monkeypatch.setenv("MAIL_PORT", "9025")
    assert dev.Ports.from_env().web == 9090
    assert dev.Ports.from_env().mail_web == 9026


def test_auth_sends_mail_to_the_sink_with_links_to_the_web_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVSTACK_DATA_DIR", str(tmp_path))
    for name in (
        "AUTH_SMTP_HOST",
        "AUTH_SMTP_PORT",
        "AUTH_PUBLIC_WEB_URL",
        "AUTH_MFA_ENCRYPTION_KEY",
        "AUTH_MAIL_FROM",
        "AUTH_WEBAUTHN_ORIGINS",
    ):
        monkeypatch.delenv(name, raising=False)
    ports = dev.Ports(auth=1, profile=2, emulator=3, web=4, mongo=5, mail=6, mail_web=7)

    envs = dev.stack_environment(tmp_path, ports, "mongodb://db")
    again = dev.stack_environment(tmp_path, ports, "mongodb://db")

    auth = envs["auth"]
    assert (auth["AUTH_SMTP_HOST"], auth["AUTH_SMTP_PORT"]) == ("127.0.0.1", "6")
    assert auth["AUTH_PUBLIC_WEB_URL"] == "http://localhost:4"
    assert auth["AUTH_WEBAUTHN_ORIGINS"] == "http://localhost:4"
    assert auth["AUTH_MAIL_FROM"] == "no-reply@localhost"
    assert auth["AUTH_PROFILE_SERVICE_URL"] == "http://127.0.0.1:2"
    assert len(base64.urlsafe_b64decode(auth["AUTH_MFA_ENCRYPTION_KEY"])) == 32
    assert again["auth"]["AUTH_MFA_ENCRYPTION_KEY"] == auth["AUTH_MFA_ENCRYPTION_KEY"]
    assert (tmp_path / "mfa_encryption_key").stat().st_mode & 0o077 == 0
    assert envs["mail"] == {"MAIL_PORT": "6", "MAIL_WEB_PORT": "7", "DEVSTACK_DATA_DIR": str(tmp_path)}


def test_every_python_process_writes_its_spans_to_one_file_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVSTACK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OTEL_TRACES_FILE", raising=False)
    ports = dev.Ports(auth=1, profile=2, emulator=3, web=4, mongo=5, mail=6, mail_web=7)

    envs = dev.stack_environment(tmp_path, ports, "mongodb://db")
    assert {envs[name]["OTEL_TRACES_FILE"] for name in ("emulator", "auth", "profile")} == {
        str(tmp_path / "traces.jsonl")
    }

    monkeypatch.setenv("OTEL_TRACES_FILE", "")
    assert dev.stack_environment(tmp_path, ports, "mongodb://db")["profile"]["OTEL_TRACES_FILE"] == ""


def test_environment_overrides_every_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVSTACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CLOUDINARY_URL", "cloudinary://k:s@real-cloud")
    monkeypatch.setenv("PUBLIC_WEBHOOK_URL", "https://example.test/webhooks/cloudinary")
    ports = dev.Ports(auth=1, profile=2, emulator=3, web=4, mongo=5)

    envs = dev.stack_environment(tmp_path, ports, "mongodb://db")

    assert envs["emulator"]["CLOUDINARY_URL"] == "cloudinary://k:s@real-cloud"
    assert envs["profile"]["CLOUDINARY_URL"] == "cloudinary://k:s@real-cloud"
    assert envs["profile"]["PUBLIC_WEBHOOK_URL"] == "https://example.test/webhooks/cloudinary"
    assert envs["auth"]["MONGODB_URI"] == "mongodb://db"
    assert envs["profile"]["AUTH_JWKS_URL"] == "http://127.0.0.1:1/.well-known/jwks.json"
    assert not (tmp_path / "cloudinary_url").exists()


def test_dotenv_fills_only_unset_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVSTACK_TEST_SET", "from-shell")
    monkeypatch.delenv("DEVSTACK_TEST_UNSET", raising=False)
    (tmp_path / ".env").write_text(
        "# comment\nDEVSTACK_TEST_SET=from-file\nexport DEVSTACK_TEST_UNSET='quoted value'\n"
    )

    dev.load_dotenv(tmp_path / ".env")

    assert os.environ["DEVSTACK_TEST_SET"] == "from-shell"
    assert os.environ["DEVSTACK_TEST_UNSET"] == "quoted value"
    monkeypatch.delenv("DEVSTACK_TEST_UNSET")


def test_compose_env_points_the_services_at_the_emulator_container(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVSTACK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CLOUDINARY_URL", raising=False)

    path = dev.write_compose_env(tmp_path)

    lines = dict(line.split("=", 1) for line in path.read_text().splitlines())
    assert lines["CLOUDINARY_URL"].endswith("?upload_prefix=http://cloudinary-emulator:8003")
    assert Path(lines["AUTH_KEYS_DIR"]) == (tmp_path / "auth-keys").resolve()
    assert len(base64.urlsafe_b64decode(lines["AUTH_MFA_ENCRYPTION_KEY"])) == 32


def test_profile_moderation_is_off_unless_the_environment_turns_it_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVSTACK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PROFILE_MODERATION", raising=False)
    ports = dev.Ports(auth=1, profile=2, emulator=3, web=4, mongo=5)

    off = dev.stack_environment(tmp_path, ports, "mongodb://db")["profile"]["PROFILE_MODERATION"]
    monkeypatch.setenv("PROFILE_MODERATION", "manual")
    on = dev.stack_environment(tmp_path, ports, "mongodb://db")["profile"]["PROFILE_MODERATION"]

    assert (off, on) == ("none", "manual")


def test_the_role_commands_use_make_devs_mongodb_when_it_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVSTACK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MONGODB_URI", raising=False)
    server = start_nx(tmp_path / "mongo")  # stands in for the one `make dev` runs
    try:
        port = int(server.uri.rsplit(":", 1)[1])
        uri, started = dev.dev_mongodb_uri(tmp_path, dev.Ports(auth=1, profile=2, emulator=3, web=4, mongo=port))
    finally:
        server.stop()

    assert (uri, started) == (f"mongodb://127.0.0.1:{port}", None)


def test_the_role_commands_take_an_external_mongodb_uri_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONGODB_URI", "mongodb://db.example:27017")

    uri, started = dev.dev_mongodb_uri(tmp_path, dev.Ports(auth=1, profile=2, emulator=3, web=4, mongo=5))

    assert (uri, started) == ("mongodb://db.example:27017", None)


def test_auth_knows_a_dev_client_that_may_read_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVSTACK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AUTH_SERVICE_CLIENTS", raising=False)
    monkeypatch.delenv("PROFILE_INTERNAL_AUDIENCE", raising=False)
    ports = dev.Ports(auth=1, profile=2, emulator=3, web=4, mongo=5)

    clients = json.loads(dev.stack_environment(tmp_path, ports, "mongodb://db")["auth"]["AUTH_SERVICE_CLIENTS"])
    again = json.loads(dev.stack_environment(tmp_path, ports, "mongodb://db")["auth"]["AUTH_SERVICE_CLIENTS"])

    secret = (tmp_path / "dev_reader_secret").read_text().strip()
    assert clients == [
        {
            "client_id": "dev-reader",
            "secret_sha256": hashlib.sha256(secret.encode()).hexdigest(),
            "audience": "profile-service-internal",
            "scopes": ["profiles:read"],
        }
    ]
    assert again == clients
    assert (tmp_path / "dev_reader_secret").stat().st_mode & 0o077 == 0
