"""Settings, read once from the environment and validated at start-up."""

import os
from collections.abc import Mapping
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

import msgspec

from service_kit.settings import SettingsError, settings_from_env

PREFIX = "EMULATOR_"
# Read under their standard names, without the prefix.
STANDARD_NAMES = ("CLOUDINARY_URL",)
# Variables whose value is a JSON document rather than a scalar.
JSON_NAMES = ("upload_presets", "faults")
# Variables whose value is a comma-separated list.
LIST_NAMES = ("notification_retry_delays",)


class Account(msgspec.Struct, frozen=True):
    """The Cloudinary account the emulator pretends to be, parsed from CLOUDINARY_URL."""

    cloud_name: str
    api_key: str
    api_secret: str


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the emulator can be configured with."""

    # cloudinary://KEY:SECRET@CLOUD: the account the emulator pretends to be.
    cloudinary_url: str
    data_dir: str = ".data/emulator"
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8003
    log_level: str = "INFO"
    # Base of `url`/`secure_url`; empty means http://{host}:{port}.
    public_url: str = ""
    # Unsigned uploads are allowed only through these: {"name": {"unsigned": true, "folder": "avatars", ...}}.
    upload_presets: dict[str, dict[str, str | bool | int]] = {}
    # sha1 accepts SHA-1 and SHA-256 request signatures; sha256 accepts only SHA-256 (an account set to SHA-256).
    signature_algorithm: Literal["sha1", "sha256"] = "sha1"
    max_image_bytes: Annotated[int, msgspec.Meta(ge=1)] = 10_485_760
    max_megapixels: Annotated[float, msgspec.Meta(gt=0)] = 25.0
    # Cloudinary's schedule for a failed notification (README "Notification retries"): after the first attempt,
    # one further attempt after each of these waits, in seconds; an attempt fails on anything but 200 or on no
    # answer within notification_timeout seconds.
    notification_retry_delays: tuple[Annotated[float, msgspec.Meta(ge=0)], ...] = (180.0, 360.0, 540.0)
    notification_timeout: Annotated[float, msgspec.Meta(gt=0)] = 20.0
    # Multiplies the retry waits (not the timeout, which bounds real HTTP calls): 0.001 runs the 18-minute
    # schedule in about a second, so tests can watch every attempt.
    notification_time_scale: Annotated[float, msgspec.Meta(ge=0, le=1000)] = 1.0
    # The account's global Notification URL: every upload is also notified here (empty: none).
    notification_url: str = ""
    # Fault injection at start-up, same shape as PUT /_emulator/faults.
    faults: dict[str, int | float | bool] = {}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Build settings from `EMULATOR_*` variables and `CLOUDINARY_URL`; raise SettingsError if invalid."""
        settings = settings_from_env(
            cls, environ, prefix=PREFIX, standard_names=STANDARD_NAMES, json_fields=JSON_NAMES, list_fields=LIST_NAMES
        )
        settings.account()  # fail at start-up, not on the first request
        return settings

    def account(self) -> Account:
        """Cloud name, API key and secret from CLOUDINARY_URL; raise SettingsError if it is malformed."""
        parts = urlsplit(self.cloudinary_url)
        if parts.scheme != "cloudinary" or not parts.hostname or not parts.username or not parts.password:
            raise SettingsError("invalid configuration: CLOUDINARY_URL must look like cloudinary://KEY:SECRET@CLOUD")
        # urlsplit lower-cases the hostname; cloud names are case-sensitive, so cut it out of netloc instead.
        cloud = parts.netloc.rsplit("@", 1)[1].split(":")[0]
        return Account(cloud_name=cloud, api_key=unquote(parts.username), api_secret=unquote(parts.password))

    def base_url(self) -> str:
        """The URL the emulator is reachable at, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
