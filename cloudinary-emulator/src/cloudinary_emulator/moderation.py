"""Moderation as Cloudinary does it for `moderation=manual`: the upload parameter, statuses, the notification.

Facts and guesses are in README.md ("Moderation"). Only manual moderation is emulated; every AI add-on is refused
with the answer an account without that add-on gets, so a test never passes with a verdict nobody rendered.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from cloudinary_emulator.errors import bad_request

MANUAL = "manual"
# Moderation kinds Cloudinary knows (Admin API enum in cloudinary/asset-management-js, PHP SDK ModerationType).
ADD_ON_KINDS = frozenset(
    {"aws_rek", "aws_rek_video", "webpurify", "perception_point", "google_video_moderation", "duplicate", "metascan"}
)
KINDS = ADD_ON_KINDS | {MANUAL}
# Every status an entry can have [moderate_assets]; a decision through the Admin API may set only the final two.
STATUSES = frozenset({"queued", "pending", "approved", "rejected", "aborted"})
DECISIONS = frozenset({"approved", "rejected"})


class ModerationEntry(msgspec.Struct, kw_only=True):
    """One item of an asset's `moderation` array."""

    kind: str
    status: str
    updated_at: str | None = None  # set by a decision; absent while pending, as in the upload response

    def wire(self) -> dict[str, str]:
        """The entry as the APIs show it."""
        body = {"kind": self.kind, "status": self.status}
        if self.updated_at is not None:
            body["updated_at"] = self.updated_at
        return body


def parse_moderation(value: str | None) -> list[ModerationEntry]:
    """The `moderation` upload parameter as entries (all `pending` here: `manual` is the only one run).

    `a|b|manual` runs in order with `manual` last [moderate_assets]. A malformed value answers Cloudinary's
    `Moderation <value> moderation is not valid`; a well-formed add-on answers `Moderation kind not supported`
    (the emulator has no add-ons, like an account that never registered them).
    """
    if value is None or not value.strip():
        return []
    parts = [part.strip() for part in value.split("|")]
    seen: set[str] = set()
    for index, part in enumerate(parts):
        name, _, argument = part.partition(":")
        if not _well_formed(name, argument) or name in seen or (name == MANUAL and index != len(parts) - 1):
            raise bad_request(f"Moderation {value} moderation is not valid")
        seen.add(name)
    if seen & ADD_ON_KINDS:
        raise bad_request("Moderation kind not supported")
    return [ModerationEntry(kind=MANUAL, status="pending")]


def overall_status(entries: Sequence[ModerationEntry]) -> str:
    """The asset's `moderation_status`: rejected if any moderator rejected, approved once all approved."""
    statuses = [entry.status for entry in entries]
    if "rejected" in statuses or "aborted" in statuses:
        return "rejected"
    if all(status == "approved" for status in statuses):
        return "approved"
    return "pending" if "pending" in statuses else "queued"


def now_iso() -> str:
    """A moderation timestamp, formatted like `moderation_updated_at` in a real notification."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def notification_body(
    entry: ModerationEntry, *, public_id: str, asset_id: str, uploaded_at: str, version: int, url: str, type_: str
) -> dict[str, Any]:
    """A `moderation` notification, in the field order of a captured one (README: "Moderation")."""
    return {
        "moderation_status": entry.status,
        "moderation_kind": entry.kind,
        "moderation_updated_at": entry.updated_at,
        "public_id": public_id,
        "asset_id": asset_id,
        "uploaded_at": uploaded_at,
        "version": version,
        "url": url,
        "secure_url": url,
        "etag": None,  # null in the capture
        "notification_type": "moderation",
        "resource_type": "image",
        "type": type_,
    }


def _well_formed(name: str, argument: str) -> bool:
    if name == MANUAL:
        return not argument
    if name == "duplicate":
        # `duplicate:<threshold>`, a similarity between 0 and 1 [upload_parameters_processing].
        try:
            return 0.0 <= float(argument) <= 1.0
        except ValueError:
            return False
    # Add-ons take optional settings after `:` (`google_video_moderation:possible`); not checked, never run.
    return name in ADD_ON_KINDS
