"""Settings from the environment: one msgspec Struct per service, read once and validated at start-up.

A service's own knobs carry its prefix (`PROFILE_PORT`); standard names (`MONGODB_URI`, `CLOUDINARY_URL`) are
read as they are. Every value arrives as a string and is converted with `strict=False` ("8000" to 8000, "true"
to True); list fields are comma-separated and JSON fields hold JSON. A variable with the service's prefix that
names no setting is an error, so a misspelt `PROFILE_PROT` stops the service instead of being ignored.
"""

import json
import os
import re
from collections.abc import Collection, Mapping
from typing import Any, TypeVar

import msgspec

SettingsT = TypeVar("SettingsT", bound=msgspec.Struct)


class SettingsError(Exception):
    """The environment holds a missing, unknown or malformed setting; the message names the variable."""


def settings_from_env(
    cls: type[SettingsT],
    environ: Mapping[str, str] = os.environ,
    *,
    prefix: str,
    standard_names: Collection[str] = (),
    list_fields: Collection[str] = (),
    json_fields: Collection[str] = (),
    foreign_names: Collection[str] = (),
) -> SettingsT:
    """Build `cls` from `{prefix}*` variables and `standard_names`; raise SettingsError naming the variable.

    `foreign_names` are variables that carry the prefix but belong to another program (auth-service's
    `AUTH_JWKS_URL` is profile-service's setting), so they are not rejected as unknown.
    """
    values: dict[str, Any] = {k.removeprefix(prefix).lower(): v for k, v in environ.items() if k.startswith(prefix)}
    values |= {k.lower(): environ[k] for k in standard_names if k in environ}
    for name in foreign_names:
        values.pop(name.removeprefix(prefix).lower(), None)
    for name in list_fields:
        if isinstance(raw := values.get(name), str):
            values[name] = [item.strip().lower() for item in raw.split(",") if item.strip()]
    for name in json_fields:
        if isinstance(raw := values.get(name), str):
            try:
                values[name] = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise SettingsError(f"invalid configuration: {prefix}{name.upper()} is not JSON ({exc})") from None
    try:
        return msgspec.convert(values, cls, strict=False)
    except msgspec.ValidationError as exc:
        message = _name_variables(str(exc), prefix, standard_names)
        raise SettingsError(f"invalid configuration: {message}") from None


def _name_variables(message: str, prefix: str, standard_names: Collection[str]) -> str:
    # msgspec says "at `$.port`" or "missing required field `mongodb_uri`": name the variable instead.
    def variable(match: re.Match[str]) -> str:
        name = match.group(1).upper()
        return name if name in standard_names else prefix + name

    message = re.sub(r"`\$\.(\w+)`", variable, message)
    # Inside a JSON variable: "`$.service_clients[0].secret_sha256`" becomes "AUTH_SERVICE_CLIENTS[0].secret_sha256".
    message = re.sub(r"`\$\.(\w+)([^`]+)`", lambda m: variable(m) + m.group(2), message)
    message = re.sub(r"(?<=field )`(\w+)`", variable, message)
    return message.replace("Object missing required field", "missing required variable").replace(
        "Object contains unknown field", "unknown variable"
    )
