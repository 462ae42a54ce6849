"""Settings, read once from the environment and validated at start-up."""

import os
import re
from collections.abc import Mapping
from typing import Annotated

import msgspec

PREFIX = "EMULATOR_"
# Read under their standard names, without the prefix.
STANDARD_NAMES = ("CLOUDINARY_URL",)


class SettingsError(Exception):
    """The environment holds a missing, unknown or malformed setting; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the emulator can be configured with."""

    # cloudinary://KEY:SECRET@CLOUD: the account the emulator pretends to be.
    cloudinary_url: str
    data_dir: str = ".data/emulator"
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8003
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Build settings from `EMULATOR_*` variables and `CLOUDINARY_URL`; raise SettingsError if invalid."""
        values = {k.removeprefix(PREFIX).lower(): v for k, v in environ.items() if k.startswith(PREFIX)}
        values |= {k.lower(): environ[k] for k in STANDARD_NAMES if k in environ}
        try:
            return msgspec.convert(values, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(f"invalid configuration: {_name_variables(str(exc))}") from None


def _name_variables(message: str) -> str:
    # msgspec says "at `$.port`" or "missing required field `cloudinary_url`": name the variable instead.
    def variable(match: re.Match[str]) -> str:
        name = match.group(1).upper()
        return name if name in STANDARD_NAMES else PREFIX + name

    message = re.sub(r"`\$\.(\w+)`", variable, message)
    message = re.sub(r"(?<=field )`(\w+)`", variable, message)
    return message.replace("Object missing required field", "missing required variable").replace(
        "Object contains unknown field", "unknown variable"
    )
