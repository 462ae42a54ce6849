"""Settings, read once from the environment and validated at start-up."""

import base64
import binascii
import os
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlsplit

import msgspec

from service_kit.openapi import END_OF_STRING
from service_kit.settings import SettingsError, settings_from_env

PREFIX = "AUTH_"
# Read under their standard names, without the prefix.
STANDARD_NAMES = ("MONGODB_URI",)
# AUTH_* variables meant for other programs (profile-service finds our keys there); not ours to reject.
FOREIGN_NAMES = ("AUTH_JWKS_URL",)


# A web origin as browsers write it: scheme, host and optional port; no path, no trailing slash.
Origin = Annotated[str, msgspec.Meta(pattern=r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?" + END_OF_STRING)]


class ServiceClient(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A machine client allowed the client-credentials grant; only the SHA-256 of its secret is configured."""

    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    secret_sha256: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
    audience: Annotated[str, msgspec.Meta(min_length=1)]
    scopes: list[str] = []


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the service can be configured with; secrets and the issuer have no default."""

    mongodb_uri: str
    issuer: Annotated[str, msgspec.Meta(min_length=1)]
    # Ed25519 private keys: a folder of PKCS8 PEM files (kid = file stem) and/or PEM text inline.
    signing_keys_dir: str | None = None
    signing_key: str | None = None
    database: str = "auth"
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8001
    log_level: str = "INFO"
    mongodb_timeout_ms: Annotated[int, msgspec.Meta(ge=50)] = 3000
    access_token_ttl_seconds: Annotated[int, msgspec.Meta(ge=10, le=86400)] = 900
    refresh_token_ttl_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30
    # Dangerous actions need an authentication (sign-in or step-up) at most this old (stepup.py).
    fresh_seconds: Annotated[int, msgspec.Meta(ge=30, le=86400)] = 300
    user_audience: str = "profile-service"
    cookie_secure: bool = True
    # OWASP's first argon2id choice (m=19 MiB, t=2, p=1); tests lower them, production never should.
    argon2_time_cost: Annotated[int, msgspec.Meta(ge=1)] = 2
    argon2_memory_kib: Annotated[int, msgspec.Meta(ge=8)] = 19456
    argon2_parallelism: Annotated[int, msgspec.Meta(ge=1)] = 1
    login_max_failures_per_account: Annotated[int, msgspec.Meta(ge=1)] = 5
    login_max_failures_per_address: Annotated[int, msgspec.Meta(ge=1)] = 50
    login_window_seconds: Annotated[int, msgspec.Meta(ge=1)] = 900
    service_clients: list[ServiceClient] = []
    # Account e-mail: an outbox in MongoDB, sent over SMTP by a worker in every instance.
    smtp_host: str | None = None
    smtp_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    mail_from: Annotated[str, msgspec.Meta(min_length=3)] = "no-reply@localhost"
    # Base URL of the web app; links in e-mails point at its pages.
    public_web_url: Annotated[str, msgspec.Meta(pattern="^https?://")] = "http://localhost:8080"
    password_reset_ttl_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 30
    email_change_ttl_minutes: Annotated[int, msgspec.Meta(ge=1, le=10080)] = 60
    # The outbox worker (e-mail and account deletion): lease, polling, retries with exponential backoff.
    outbox_worker: bool = True
    outbox_poll_seconds: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    outbox_lease_seconds: Annotated[int, msgspec.Meta(ge=1)] = 60
    outbox_max_attempts: Annotated[int, msgspec.Meta(ge=1)] = 10
    outbox_backoff_seconds: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    outbox_backoff_max_seconds: Annotated[float, msgspec.Meta(ge=0)] = 3600.0
    # TOTP: secrets are stored AES-GCM encrypted with this key (32 bytes, base64url); without it MFA is off.
    mfa_encryption_key: str | None = None
    mfa_issuer: Annotated[str, msgspec.Meta(min_length=1, max_length=60)] = "Profile Pictures"
    mfa_challenge_ttl_seconds: Annotated[int, msgspec.Meta(ge=30, le=3600)] = 300
    mfa_max_failures: Annotated[int, msgspec.Meta(ge=1)] = 5
    # Account deletion calls profile-service with a service token minted here for this audience.
    profile_service_url: Annotated[str, msgspec.Meta(pattern="^https?://")] | None = None
    internal_audience: Annotated[str, msgspec.Meta(min_length=1)] = "profile-service-internal"
    # Passkeys (WebAuthn): browsers bind each passkey to the relying-party id (a domain, never an IP address) and
    # sign the page's origin into every ceremony; only these origins are accepted.
    webauthn_rp_id: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9.-]{1,253}" + END_OF_STRING)] = "localhost"
    webauthn_rp_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "Profile pictures"
    webauthn_origins: Annotated[list[Origin], msgspec.Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: ["http://localhost:8080"]
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, *, signing: bool = True) -> "Settings":
        """Build settings from `AUTH_*` variables and the standard names; raise SettingsError if invalid.

        `signing=False` (tools that issue no token) does not insist on a signing key.
        """
        # AUTH_WEBAUTHN_ORIGINS is a JSON list or a comma-separated one, whichever the operator wrote.
        origins_json = environ.get(PREFIX + "WEBAUTHN_ORIGINS", "").lstrip().startswith("[")
        settings = settings_from_env(
            cls,
            environ,
            prefix=PREFIX,
            standard_names=STANDARD_NAMES,
            list_fields=() if origins_json else ("webauthn_origins",),
            json_fields=("service_clients", "webauthn_origins") if origins_json else ("service_clients",),
            foreign_names=FOREIGN_NAMES,
        )
        if signing and settings.signing_keys_dir is None and settings.signing_key is None:
            raise SettingsError("invalid configuration: set AUTH_SIGNING_KEYS_DIR or AUTH_SIGNING_KEY")
        if settings.mfa_encryption_key is not None and not _is_aes_key(settings.mfa_encryption_key):
            raise SettingsError("invalid configuration: AUTH_MFA_ENCRYPTION_KEY must be 32 bytes in base64url")
        for origin in settings.webauthn_origins:
            if not _within(origin, settings.webauthn_rp_id):
                raise SettingsError(
                    f"invalid configuration: AUTH_WEBAUTHN_ORIGINS has {origin}, which is not on "
                    f"AUTH_WEBAUTHN_RP_ID {settings.webauthn_rp_id} (browsers would refuse every passkey there)"
                )
        return settings


def _is_aes_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) == 32
    except (binascii.Error, ValueError):
        return False


def _within(origin: str, rp_id: str) -> bool:
    """Whether a page at `origin` may use passkeys of `rp_id`: its host is the RP id or a subdomain of it."""
    host = urlsplit(origin).hostname or ""
    return host == rp_id or host.endswith("." + rp_id)
