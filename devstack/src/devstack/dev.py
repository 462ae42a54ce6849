"""`make dev`: the whole stack on one machine under one supervisor, with one prefixed log.

MongoDB (launcher in `devstack.mongo`) starts first, then honcho runs the emulator, both services,
the dev mail sink (`devstack.mailsink`) and the web front. Ctrl-C stops every process; the stand-in
MongoDB is stopped last.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from honcho.manager import Manager
from honcho.printer import Printer

from devstack.mongo import MongoServer, start_mongodb, wait_for_ping
from devstack.secrets import ensure_aes_key, ensure_client_secret, ensure_cloudinary_url, ensure_signing_key

# A service client `make dev` configures for other services' reads of profiles (lookup, change feed): its secret
# is kept in `.data/dev_reader_secret`, e.g. `curl -u dev-reader:$(cat .data/dev_reader_secret)
# -d grant_type=client_credentials http://127.0.0.1:8001/auth/token`.
DEV_READER = "dev-reader"


@dataclass(frozen=True)
class Ports:
    """Where each process listens; each one is overridable by the environment variable of its name."""

    auth: int
    profile: int
    emulator: int
    web: int
    mongo: int
    mail: int = 8025
    mail_web: int = 8026

    @classmethod
    def from_env(cls) -> "Ports":
        """Read `AUTH_PORT`, `PROFILE_PORT`, `EMULATOR_PORT`, `WEB_PORT`, `MONGO_PORT`, `MAIL_PORT`, `MAIL_WEB_PORT`."""
        env = os.environ
        mail = int(env.get("MAIL_PORT", "8025"))
        return cls(
            mail=mail,
            mail_web=int(env.get("MAIL_WEB_PORT", str(mail + 1))),
            auth=int(env.get("AUTH_PORT", "8001")),
            profile=int(env.get("PROFILE_PORT", "8002")),
            emulator=int(env.get("EMULATOR_PORT", "8003")),
            web=int(env.get("WEB_PORT", "8080")),
            mongo=int(env.get("MONGO_PORT", "27018")),
        )


def load_dotenv(path: Path) -> None:
    """Apply `KEY=VALUE` lines of a git-ignored `.env` file; variables already set win over it."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


def write_compose_env(root: Path) -> Path:
    """Secrets for `docker compose --env-file .data/compose.env up`: signing key, MFA key, emulator account."""
    data = data_dir(root)
    ensure_signing_key(data / "auth-keys")
    url = ensure_cloudinary_url(data / "cloudinary_url", Ports.from_env().emulator)
    # Inside compose, the services reach the emulator by its service name.
    compose_url = os.environ.get("CLOUDINARY_URL") or re.sub(
        r"upload_prefix=http://127\.0\.0\.1:\d+", "upload_prefix=http://cloudinary-emulator:8003", url
    )
    path = data / "compose.env"
    mfa_key = os.environ.get("AUTH_MFA_ENCRYPTION_KEY") or ensure_aes_key(data / "mfa_encryption_key")
    path.write_text(
        f"CLOUDINARY_URL={compose_url}\n"
        f"AUTH_KEYS_DIR={(data / 'auth-keys').resolve()}\n"
        f"AUTH_MFA_ENCRYPTION_KEY={mfa_key}\n"
    )
    path.chmod(0o600)
    return path


def data_dir(root: Path) -> Path:
    """Where dev data and secrets live: `.data/` unless `DEVSTACK_DATA_DIR` says otherwise (tests)."""
    return Path(os.environ.get("DEVSTACK_DATA_DIR", root / ".data"))


def stack_environment(root: Path, ports: Ports, mongodb_uri: str) -> dict[str, dict[str, str]]:
    """Per-process environment: every value defaults here unless already set by the caller."""
    data = data_dir(root)
    env = os.environ
    cloudinary_url = env.get("CLOUDINARY_URL") or ensure_cloudinary_url(data / "cloudinary_url", ports.emulator)
    keys_dir = data / "auth-keys"
    if "AUTH_SIGNING_KEYS_DIR" not in env and "AUTH_SIGNING_KEY" not in env:
        ensure_signing_key(keys_dir)
    auth_url = f"http://127.0.0.1:{ports.auth}"
    clients = env.get("AUTH_SERVICE_CLIENTS") or json.dumps(
        [
            {
                "client_id": DEV_READER,
                "secret_sha256": hashlib.sha256(ensure_client_secret(data / "dev_reader_secret").encode()).hexdigest(),
                "audience": env.get("PROFILE_INTERNAL_AUDIENCE", "profile-service-internal"),
                "scopes": ["profiles:read"],
            }
        ]
    )
    # Every span of the three Python processes, one JSON line each, in one file (an empty value turns it off;
    # OTEL_TRACES_EXPORTER=otlp with OTEL_EXPORTER_OTLP_ENDPOINT sends them to a collector as well).
    traces = {"OTEL_TRACES_FILE": env.get("OTEL_TRACES_FILE", str(data / "traces.jsonl"))}
    common = {"MONGODB_URI": mongodb_uri, "AUTH_ISSUER": env.get("AUTH_ISSUER", auth_url), **traces}
    return {
        "emulator": {
            **traces,
            "CLOUDINARY_URL": cloudinary_url,
            "EMULATOR_PORT": str(ports.emulator),
            "EMULATOR_DATA_DIR": env.get("EMULATOR_DATA_DIR", str(data / "emulator")),
        },
        "auth": {
            **common,
            "AUTH_PORT": str(ports.auth),
            "AUTH_SIGNING_KEYS_DIR": env.get("AUTH_SIGNING_KEYS_DIR", str(keys_dir)),
            "AUTH_COOKIE_SECURE": env.get("AUTH_COOKIE_SECURE", "false"),
            # Account e-mail goes to the `mail` process (the dev SMTP sink); links point at the web app.
            "AUTH_SMTP_HOST": env.get("AUTH_SMTP_HOST", "127.0.0.1"),
            "AUTH_SMTP_PORT": env.get("AUTH_SMTP_PORT", str(ports.mail)),
            "AUTH_MAIL_FROM": env.get("AUTH_MAIL_FROM", "no-reply@localhost"),
            "AUTH_PUBLIC_WEB_URL": env.get("AUTH_PUBLIC_WEB_URL", f"http://localhost:{ports.web}"),
            # Passkeys need a domain (browsers refuse IP addresses as RP ids): open the app at localhost.
            "AUTH_WEBAUTHN_ORIGINS": env.get("AUTH_WEBAUTHN_ORIGINS", f"http://localhost:{ports.web}"),
            "AUTH_MFA_ENCRYPTION_KEY": env.get("AUTH_MFA_ENCRYPTION_KEY")
            or ensure_aes_key(data / "mfa_encryption_key"),
            "AUTH_PROFILE_SERVICE_URL": env.get("AUTH_PROFILE_SERVICE_URL", f"http://127.0.0.1:{ports.profile}"),
            "AUTH_SERVICE_CLIENTS": clients,
        },
        "profile": {
            **common,
            "PROFILE_PORT": str(ports.profile),
            "CLOUDINARY_URL": cloudinary_url,
            # `manual` signs `moderation=manual` into every upload (the admin console's queue); `none` is off.
            "PROFILE_MODERATION": env.get("PROFILE_MODERATION", "none"),
            "AUTH_JWKS_URL": env.get("AUTH_JWKS_URL", f"{auth_url}/.well-known/jwks.json"),
            "PUBLIC_WEBHOOK_URL": env.get(
                "PUBLIC_WEBHOOK_URL", f"http://127.0.0.1:{ports.profile}/webhooks/cloudinary"
            ),
        },
        "mail": {
            "MAIL_PORT": str(ports.mail),
            "MAIL_WEB_PORT": str(ports.mail_web),
            "DEVSTACK_DATA_DIR": str(data),
        },
        "web": {
            "WEB_PORT": str(ports.web),
            "AUTH_URL": auth_url,
            "PROFILE_URL": f"http://127.0.0.1:{ports.profile}",
        },
    }


def _announce_when_ready(ports: Ports, stop: threading.Event) -> None:
    urls = [
        f"http://127.0.0.1:{ports.emulator}/health",
        f"http://127.0.0.1:{ports.auth}/ready",
        f"http://127.0.0.1:{ports.profile}/ready",
        f"http://127.0.0.1:{ports.web}/",
        f"http://127.0.0.1:{ports.mail_web}/messages.json",
    ]
    pending = list(urls)
    while pending and not stop.wait(0.5):
        pending = [url for url in pending if not _answers(url)]
    if not pending:
        print(
            f"\n  Stack is up. Open http://localhost:{ports.web}/  (caught mail: http://localhost:{ports.mail_web}/)"
            "  (Ctrl-C stops everything)\n",
            flush=True,
        )


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code < 500
    except httpx.TransportError:
        return False


def run(root: Path) -> int:
    """Start everything, block until Ctrl-C or a process dies, stop everything; the exit code."""
    load_dotenv(root / ".env")
    ports = Ports.from_env()
    mongo = start_mongodb(data_dir(root) / "mongo", port=ports.mongo)
    print(f"MongoDB backend: {mongo.backend} at {mongo.uri}", flush=True)
    stop = threading.Event()
    try:
        envs = stack_environment(root, ports, mongo.uri)
        python = sys.executable
        commands = {
            "emulator": f"{python} -m cloudinary_emulator",
            "auth": f"{python} -m auth_service",
            "profile": f"{python} -m profile_service",
            "mail": f"{python} -m devstack.mailsink",
            "web": f"npm --prefix web run dev -- --port {ports.web} --strictPort --host 127.0.0.1",
        }
        manager = Manager(Printer(sys.stdout))
        for name, command in commands.items():
            manager.add_process(name, command, env={**os.environ, **envs[name]}, cwd=str(root))
        threading.Thread(target=_announce_when_ready, args=(ports, stop), daemon=True).start()
        started = time.monotonic()
        manager.loop()
        print(f"stack stopped after {time.monotonic() - started:.0f}s", flush=True)
        return int(manager.returncode or 0)
    finally:
        stop.set()
        mongo.stop()


def dev_mongodb_uri(root: Path, ports: Ports) -> tuple[str, MongoServer | None]:
    """The MongoDB `make dev` uses, and the server started here to reach it when `make dev` is not running.

    With `MONGODB_URI` set that server is used as it is; otherwise `make dev`'s own server on `MONGO_PORT`, or, when
    nothing answers there, the same launcher on the same data directory and port, started for this command only.
    """
    if uri := os.environ.get("MONGODB_URI"):
        return uri, None
    uri = f"mongodb://127.0.0.1:{ports.mongo}"
    try:
        wait_for_ping(uri, timeout=1.0)
    except TimeoutError:
        server = start_mongodb(data_dir(root) / "mongo", port=ports.mongo)
        return server.uri, server
    return uri, None


def auth_cli(root: Path, args: list[str]) -> int:
    """Run `auth-service ARGS` (e.g. `grant-role EMAIL admin`) with exactly the settings `make dev` gives the
    auth service, against its MongoDB; the CLI's exit code."""
    load_dotenv(root / ".env")
    ports = Ports.from_env()
    uri, started = dev_mongodb_uri(root, ports)
    try:
        env = {**os.environ, **stack_environment(root, ports, uri)["auth"]}
        # The console script installed beside this interpreter (what `uv run auth-service` runs).
        script = Path(sys.executable).with_name("auth-service")
        command = [str(script)] if script.exists() else [shutil.which("auth-service") or "auth-service"]
        return subprocess.run([*command, *args], env=env, cwd=root, check=False).returncode
    finally:
        if started is not None:
            started.stop()
