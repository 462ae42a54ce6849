"""Settings, read once from the environment and validated at start-up."""

import os
import re
from collections.abc import Mapping
from typing import Annotated

import msgspec

from service_kit.settings import settings_from_env

PREFIX = "PROFILE_"
# Read under their standard names, without the prefix.
STANDARD_NAMES = ("MONGODB_URI", "CLOUDINARY_URL", "AUTH_ISSUER", "AUTH_JWKS_URL", "PUBLIC_WEBHOOK_URL")
# Cloudinary's moderation add-ons the service may sign by name (real accounts only; the emulator knows `manual`).
MODERATION_ADDONS = ("aws_rek", "webpurify", "perception_point")
_DUPLICATE = re.compile(r"duplicate:(0(\.[0-9]+)?|1(\.0+)?)")


def moderation_problem(value: str) -> str | None:
    """Why `value` is not a PROFILE_MODERATION setting (None when it is one): `none`, `manual`, an add-on name, or
    several joined by `|` with `manual` (if present) last, each at most once."""
    if value in ("none", "manual"):
        return None
    parts = value.split("|")
    for index, part in enumerate(parts):
        if part == "manual":
            if index != len(parts) - 1:
                return "`manual` must come last"
        elif part not in MODERATION_ADDONS and not _DUPLICATE.fullmatch(part):
            return f"unknown moderation {part!r} (none, manual, {', '.join(MODERATION_ADDONS)}, duplicate:<0..1>)"
    if len(set(parts)) != len(parts):
        return "a moderation kind is listed twice"
    return None


# Given as comma-separated values in the environment (`PROFILE_AVATAR_SIZES=64,128`).
LIST_FIELDS = ("avatar_sizes", "avatar_formats")


# Cloudinary retries a failed notification three times, 3, 6 and 9 minutes apart, 20 s per attempt (the emulator's
# README, "Notification retries"): the last attempt gives up about 19 min 20 s after the upload.
NOTIFICATION_RETRY_WINDOW_SECONDS = (3 + 6 + 9) * 60 + 4 * 20


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the service can be configured with; secrets have no default."""

    mongodb_uri: str
    cloudinary_url: Annotated[str, msgspec.Meta(pattern=r"^cloudinary://[^:@/]+:[^@/]+@[^/?]+")]
    auth_issuer: Annotated[str, msgspec.Meta(min_length=1)]
    auth_jwks_url: Annotated[str, msgspec.Meta(pattern=r"^https?://")]
    public_webhook_url: Annotated[str, msgspec.Meta(pattern=r"^https?://")]
    database: str = "profiles"
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8002
    log_level: str = "INFO"
    mongodb_timeout_ms: Annotated[int, msgspec.Meta(ge=50)] = 3000

    # Where browsers post files, when it differs from the SDK's upload_prefix (compose: service name vs localhost).
    browser_upload_prefix: Annotated[str, msgspec.Meta(pattern=r"^https?://")] | None = None
    # Tokens.
    auth_audience: str = "profile-service"
    # `aud` of service tokens for /internal/* (the auth service's account deletion).
    internal_audience: Annotated[str, msgspec.Meta(min_length=1)] = "profile-service-internal"
    jwks_min_refresh_seconds: Annotated[float, msgspec.Meta(ge=0)] = 10.0
    jwks_max_age_seconds: Annotated[float, msgspec.Meta(gt=0)] = 300.0
    # How long an instance may serve a profile from memory (profiles/cache.py, public views and owners' own): the
    # bound on how late another instance's write (a switch to private included) shows there. 0 turns it off.
    read_cache_seconds: Annotated[float, msgspec.Meta(ge=0, le=1)] = 1.0
    # Avatar policy, enforced on every uploaded asset and published at /profiles/me/avatar/policy.
    avatar_sizes: tuple[int, ...] = (64, 128, 256, 512)
    avatar_formats: tuple[str, ...] = ("jpg", "png", "webp", "heic")
    avatar_max_bytes: Annotated[int, msgspec.Meta(ge=1)] = 5_000_000
    avatar_max_dimension: Annotated[int, msgspec.Meta(ge=16)] = 2048
    avatar_min_dimension: Annotated[int, msgspec.Meta(ge=1)] = 64
    # The long edge the browser crops and encodes to before uploading (published in the policy); unset, twice the
    # largest served size (`upload_long_edge` below). More pixels than that never reach a viewer, only their wait.
    avatar_upload_long_edge: Annotated[int, msgspec.Meta(ge=16)] | None = None
    # Upload intents: how long signed parameters are accepted, and how long after that a late asset is awaited.
    # The grace outlasts Cloudinary's notification retries (NOTIFICATION_RETRY_WINDOW_SECONDS) with margin, so
    # reconciliation asks the Admin API only about uploads whose notification can no longer come.
    upload_ttl_seconds: Annotated[int, msgspec.Meta(ge=5, le=3000)] = 600
    upload_grace_seconds: Annotated[float, msgspec.Meta(ge=0)] = 1500.0
    intent_retention_days: Annotated[int, msgspec.Meta(ge=1)] = 30
    # Signing quotas per user, shared by every instance (state on the profile document): pending intents at once,
    # and signed grants per rolling hour. Signing is where a user spends the operator's Cloudinary money.
    max_open_uploads: Annotated[int, msgspec.Meta(ge=1)] = 5
    max_uploads_per_hour: Annotated[int, msgspec.Meta(ge=1)] = 30
    # Webhook freshness: X-Cld-Timestamp must be within [now - window, now + skew]. A retry carries the first
    # attempt's timestamp, so the window must outlast NOTIFICATION_RETRY_WINDOW_SECONDS too.
    webhook_window_seconds: Annotated[int, msgspec.Meta(ge=1)] = 3600
    webhook_future_skew_seconds: Annotated[int, msgspec.Meta(ge=0)] = 60
    # Outbox (Cloudinary destroys).
    outbox_poll_seconds: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    outbox_lease_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    outbox_backoff_seconds: Annotated[float, msgspec.Meta(gt=0)] = 2.0
    outbox_backoff_max_seconds: Annotated[float, msgspec.Meta(gt=0)] = 600.0
    outbox_max_attempts: Annotated[int, msgspec.Meta(ge=1)] = 8
    # Reconciliation (0 turns a loop off; the CLI `python -m profile_service.reconcile` runs one pass).
    reconcile_interval_seconds: Annotated[float, msgspec.Meta(ge=0)] = 60.0
    orphan_sweep_interval_seconds: Annotated[float, msgspec.Meta(ge=0)] = 3600.0
    orphan_min_age_seconds: Annotated[float, msgspec.Meta(ge=0)] = 3600.0
    avatar_prefix: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]+$")] = "profiles"
    # Moderation of uploads: `none`, `manual`, Cloudinary add-ons by name, or several joined by `|` (manual last).
    moderation: str = "none"
    # Reconciliation asks Cloudinary about an upload awaiting moderation this long after it started waiting (and
    # again every as long), in case the moderation notification was lost; past the retry window too, as above.
    moderation_reconcile_seconds: Annotated[float, msgspec.Meta(ge=0)] = 1500.0

    # The change feed (`feed/`): how long changes are kept (an older cursor answers 410), and how long a reader
    # waits for a sequence number whose writer has not inserted its event before giving it up as lost.
    change_retention_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 7
    change_gap_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 10.0
    # How often each instance publishes changes whose writer died between the profile write and the feed (0: never).
    change_sweep_interval_seconds: Annotated[float, msgspec.Meta(ge=0)] = 30.0

    def __post_init__(self) -> None:
        if self.internal_audience == self.auth_audience:
            raise ValueError("PROFILE_INTERNAL_AUDIENCE must differ from PROFILE_AUTH_AUDIENCE (user tokens)")
        if self.avatar_min_dimension > self.avatar_max_dimension:
            raise ValueError("PROFILE_AVATAR_MIN_DIMENSION exceeds PROFILE_AVATAR_MAX_DIMENSION")
        if not self.avatar_sizes or any(not 8 <= s <= self.avatar_max_dimension for s in self.avatar_sizes):
            raise ValueError("PROFILE_AVATAR_SIZES must be between 8 and PROFILE_AVATAR_MAX_DIMENSION")
        edge, lowest = self.avatar_upload_long_edge, max(self.avatar_min_dimension, *self.avatar_sizes)
        if edge is not None and not lowest <= edge <= self.avatar_max_dimension:
            # Below the largest size Cloudinary would upscale every served picture; above the maximum the asset is
            # refused (below the minimum, too).
            raise ValueError(
                "PROFILE_AVATAR_UPLOAD_LONG_EDGE must be between the largest of PROFILE_AVATAR_SIZES (and "
                "PROFILE_AVATAR_MIN_DIMENSION) and PROFILE_AVATAR_MAX_DIMENSION"
            )
        if (problem := moderation_problem(self.moderation)) is not None:
            raise ValueError(f"PROFILE_MODERATION={self.moderation!r}: {problem}")
        if not self.avatar_formats or any(not re.fullmatch(r"[a-z0-9]+", f) for f in self.avatar_formats):
            raise ValueError("PROFILE_AVATAR_FORMATS must be lowercase format names")

    @property
    def upload_long_edge(self) -> int:
        """The long edge browsers should send: the setting, else twice the largest served size (a 2x display's
        sharpest picture), never above the maximum dimension nor below the minimum."""
        if self.avatar_upload_long_edge is not None:
            return self.avatar_upload_long_edge
        return min(self.avatar_max_dimension, max(self.avatar_min_dimension, 2 * max(self.avatar_sizes)))

    @property
    def signed_moderation(self) -> str | None:
        """The `moderation` upload parameter to sign, or None when uploads are not moderated."""
        return None if self.moderation == "none" else self.moderation

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Build settings from `PROFILE_*` variables and the standard names; raise SettingsError if invalid."""
        return settings_from_env(cls, environ, prefix=PREFIX, standard_names=STANDARD_NAMES, list_fields=LIST_FIELDS)
