"""Settings, read once from the environment and validated at start-up."""

import os
import re
from collections.abc import Mapping
from typing import Annotated

import msgspec

PREFIX = "PROFILE_"
# Read under their standard names, without the prefix.
STANDARD_NAMES = ("MONGODB_URI", "CLOUDINARY_URL", "AUTH_ISSUER", "AUTH_JWKS_URL", "PUBLIC_WEBHOOK_URL")


class SettingsError(Exception):
    """The environment holds a missing, unknown or malformed setting; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the service can be configured with; secrets have no default."""

    mongodb_uri: str
    cloudinary_url: str | None = None
    auth_issuer: str | None = None
    auth_jwks_url: str | None = None
    public_webhook_url: str | None = None
    database: str = "profiles"
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8002
    log_level: str = "INFO"
    mongodb_timeout_ms: Annotated[int, msgspec.Meta(ge=50)] = 3000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Build settings from `PROFILE_*` variables and the standard names; raise SettingsError if invalid."""
        values = {k.removeprefix(PREFIX).lower(): v for k, v in environ.items() if k.startswith(PREFIX)}
        values |= {k.lower(): environ[k] for k in STANDARD_NAMES if k in environ}
        try:
            return msgspec.convert(values, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(f"invalid configuration: {_name_variables(str(exc))}") from None


def _name_variables(message: str) -> str:
    # msgspec says "at `$.port`" or "missing required field `mongodb_uri`": name the variable instead.
    def variable(match: re.Match[str]) -> str:
        name = match.group(1).upper()
        return name if name in STANDARD_NAMES else PREFIX + name

    message = re.sub(r"`\$\.(\w+)`", variable, message)
    message = re.sub(r"(?<=field )`(\w+)`", variable, message)
    return message.replace("Object missing required field", "missing required variable").replace(
        "Object contains unknown field", "unknown variable"
    )
