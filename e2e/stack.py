"""The stack as real processes on free 127.0.0.1 ports: emulator, auth-service, profile-service (and, on
request, an in-process SMTP sink catching auth-service's e-mail).

MongoDB is the test session's server (devstack's pytest plugin); each `Stack` gets databases of its
own. Every process is stopped when the stack stops, and its log is kept under `e2e/artifacts/`.
"""

import contextlib
import hashlib
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient
from pymongo.database import Database

from devstack.mailsink import MailSink
from devstack.mongo import free_port
from devstack.processes import ServerProcess
from devstack.secrets import ensure_aes_key, ensure_signing_key

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "e2e" / "artifacts"

# Cloudinary's notification retry schedule (3, 6, 9 min) runs at this scale in e2e: attempts at 0, 0.36, 1.08
# and 2.16 s; profile-service's reconciliation grace is scaled alike, so it outlasts the schedule as in production.
NOTIFICATION_TIME_SCALE = 0.002
CLOUD_NAME = "e2e-cloud"
API_KEY = "614335564976464"
# The service client a stand-in for another service (e2e/consumer.py, the fuzzer, the benchmarks) authenticates
# as: profile-service's internal audience, allowed to read profiles (`POST /internal/profiles/lookup`, the feed).
READER_CLIENT_ID = "profile-reader-e2e"
INTERNAL_AUDIENCE = "profile-service-internal"
READ_SCOPE = "profiles:read"


@dataclass
class Stack:
    """Addresses and credentials of one running stack."""

    mongodb_uri: str
    work_dir: Path
    api_secret: str = field(default_factory=lambda: uuid.uuid4().hex + uuid.uuid4().hex)
    ports: dict[str, int] = field(
        default_factory=lambda: {n: free_port() for n in ("emulator", "auth", "profile", "mail", "mail_web")}
    )
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    reader_secret: str = field(default_factory=lambda: uuid.uuid4().hex + uuid.uuid4().hex, repr=False)
    processes: dict[str, ServerProcess] = field(default_factory=dict)
    # Where links in account e-mail point (the web app under test, when there is one).
    web_url: str = "http://localhost:8080"
    mail_sink: MailSink | None = None

    def url(self, name: str, path: str = "") -> str:
        """Base URL of one process, plus `path`."""
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    @property
    def profile_database(self) -> str:
        """profile-service's database in this stack's MongoDB."""
        return f"profiles_{self.run_id}"

    @contextlib.contextmanager
    def profile_db(self) -> Iterator[Database[dict[str, Any]]]:
        """profile-service's database, read directly by a test or bench (its own client, closed on exit)."""
        client: MongoClient[dict[str, Any]]
        with MongoClient(self.mongodb_uri, serverSelectionTimeoutMS=5000) as client:
            yield client[self.profile_database]

    @property
    def cloudinary_url(self) -> str:
        """The emulator's account, as the services see it."""
        return f"cloudinary://{API_KEY}:{self.api_secret}@{CLOUD_NAME}?upload_prefix={self.url('emulator')}"

    @property
    def service_clients(self) -> list[dict[str, Any]]:
        """`AUTH_SERVICE_CLIENTS` of this stack: the reader client (only its secret's SHA-256, as configured)."""
        digest = hashlib.sha256(self.reader_secret.encode()).hexdigest()
        return [
            {
                "client_id": READER_CLIENT_ID,
                "secret_sha256": digest,
                "audience": INTERNAL_AUDIENCE,
                "scopes": [READ_SCOPE],
            }
        ]

    def service_token(
        self, client_id: str = READER_CLIENT_ID, secret: str | None = None, scope: str = READ_SCOPE
    ) -> str:
        """A client-credentials token from this stack's auth-service (the reader client unless told otherwise)."""
        response = httpx.post(
            self.url("auth", "/auth/token"),
            data={"grant_type": "client_credentials", "scope": scope},
            auth=(client_id, self.reader_secret if secret is None else secret),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    @property
    def issuer(self) -> str:
        """The `iss` of tokens this stack's auth-service issues."""
        return self.url("auth")

    def environments(self) -> dict[str, dict[str, str]]:
        """Each process's environment, the same variables `make dev` sets."""
        keys_dir = self.work_dir / "auth-keys"
        ensure_signing_key(keys_dir)
        return {
            "emulator": {
                "CLOUDINARY_URL": self.cloudinary_url,
                "EMULATOR_PORT": str(self.ports["emulator"]),
                "EMULATOR_DATA_DIR": str(self.work_dir / "emulator"),
                "EMULATOR_NOTIFICATION_TIME_SCALE": str(NOTIFICATION_TIME_SCALE),
            },
            "auth": {
                "MONGODB_URI": self.mongodb_uri,
                "AUTH_DATABASE": f"auth_{self.run_id}",
                "AUTH_PORT": str(self.ports["auth"]),
                "AUTH_ISSUER": self.issuer,
                "AUTH_SIGNING_KEYS_DIR": str(keys_dir),
                "AUTH_COOKIE_SECURE": "false",
                # Account e-mail goes to the in-process sink (`start_mail_sink`); read it with `mail()`.
                "AUTH_SMTP_HOST": "127.0.0.1",
                "AUTH_SMTP_PORT": str(self.ports["mail"]),
                "AUTH_MAIL_FROM": "no-reply@e2e.test",
                "AUTH_PUBLIC_WEB_URL": self.web_url,
                "AUTH_MFA_ENCRYPTION_KEY": ensure_aes_key(self.work_dir / "mfa_encryption_key"),
                "AUTH_PROFILE_SERVICE_URL": self.url("profile"),
                "AUTH_OUTBOX_POLL_SECONDS": "0.5",
                "AUTH_SERVICE_CLIENTS": json.dumps(self.service_clients),
            },
            "profile": {
                "MONGODB_URI": self.mongodb_uri,
                "PROFILE_DATABASE": self.profile_database,
                "PROFILE_PORT": str(self.ports["profile"]),
                "CLOUDINARY_URL": self.cloudinary_url,
                "AUTH_ISSUER": self.issuer,
                "AUTH_JWKS_URL": self.url("auth", "/.well-known/jwks.json"),
                "PUBLIC_WEBHOOK_URL": self.url("profile", "/webhooks/cloudinary"),
                # profile-service's default grace (1500 s), at the emulator's time scale.
                "PROFILE_UPLOAD_GRACE_SECONDS": str(1500 * NOTIFICATION_TIME_SCALE),
            },
        }

    def start(self, names: tuple[str, ...] = ("emulator", "auth", "profile"), **extra_env: dict[str, str]) -> "Stack":
        """Start the named processes in order, each once its /ready answers; `extra_env[name]` adds variables."""
        envs = self.environments()
        if "auth" in names:
            self.start_mail_sink()
        modules = {"emulator": "cloudinary_emulator", "auth": "auth_service", "profile": "profile_service"}
        for name in names:
            process = ServerProcess(
                name=name,
                args=[sys.executable, "-m", modules[name]],
                env={**envs[name], **extra_env.get(name, {})},
                base_url=self.url(name),
                log_path=ARTIFACTS / f"{self.run_id}-{name}.log",
            )
            self.processes[name] = process.start(until="/ready")
        return self

    def stop(self) -> None:
        """Stop every process this stack started, last started first, then the mail sink."""
        for process in reversed(list(self.processes.values())):
            process.stop()
        if self.mail_sink is not None:
            self.mail_sink.stop()

    def start_mail_sink(self) -> MailSink:
        """Catch the auth service's e-mail in this process (SMTP on `ports["mail"]`, JSON on `ports["mail_web"]`)."""
        if self.mail_sink is None:
            self.mail_sink = MailSink(
                self.work_dir / "mail", smtp_port=self.ports["mail"], web_port=self.ports["mail_web"]
            ).start()
        return self.mail_sink

    def mail(self) -> list[dict[str, Any]]:
        """Every message caught so far, oldest first: `{id, received_at, from, to, subject, text, links}`."""
        return self.start_mail_sink().messages()

    def start_consumer(self, user_ids: list[str], state_dir: Path, name: str = "consumer", **env: str) -> ServerProcess:
        """Start `e2e/consumer.py` as the reader client for `user_ids`, keeping its cursor in `state_dir`; it is
        healthy once its cache is warm. `env` adds `CONSUMER_*` variables. Stopped with the stack."""
        state_dir.mkdir(parents=True, exist_ok=True)
        ids_file = state_dir / "user_ids.txt"
        ids_file.write_text("".join(f"{user_id}\n" for user_id in user_ids))
        self.ports.setdefault(name, free_port())
        process = ServerProcess(
            name=name,
            args=[sys.executable, "-m", "e2e.consumer"],
            env={
                "PYTHONPATH": str(ROOT),
                "CONSUMER_AUTH_URL": self.url("auth"),
                "CONSUMER_PROFILE_URL": self.url("profile"),
                "CONSUMER_CLIENT_ID": READER_CLIENT_ID,
                "CONSUMER_CLIENT_SECRET": self.reader_secret,
                "CONSUMER_STATE_DIR": str(state_dir),
                "CONSUMER_USER_IDS_FILE": str(ids_file),
                "CONSUMER_PORT": str(self.ports[name]),
                **env,
            },
            base_url=self.url(name),
            log_path=ARTIFACTS / f"{self.run_id}-{name}.log",
        )
        self.processes[name] = process.start()
        return process

    def restart(self, name: str) -> None:
        """Stop one process and start it again with the same environment, returning once its /ready answers.

        /health alone is not enough: a restarted service answers 503 until it has made sure of its indexes."""
        process = self.processes[name]
        process.stop()
        process.start(until="/ready")
