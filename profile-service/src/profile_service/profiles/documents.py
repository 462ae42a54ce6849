"""The stored profile document, built and read without touching the database: the sub-documents and `$set` values
the writes store, the Structs the reads answer (decoded leniently, since documents outlive the code that wrote
them), and the ordering fields an apply decides on. `profiles/repository.py` sends the commands."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from profile_service.feed.schemas import LookedUpProfile
from profile_service.profiles.schemas import (
    Avatar,
    ModerationNotice,
    PendingAvatar,
    Preferences,
    Profile,
    ProfileChange,
    PublicAvatar,
    PublicProfile,
)
from service_kit.clock import from_ms

logger = logging.getLogger(__name__)

_S = TypeVar("_S", bound=msgspec.Struct)

DEFAULT_PREFERENCES: dict[str, Any] = msgspec.to_builtins(Preferences())


@dataclass(frozen=True)
class OrderingState:
    """What the ordering rule decides an apply on: the applied sequence, the picture shown (and its intent), and
    the sequence of the upload under review (`pending_seq`, 0 for none), as a profile document holds them."""

    applied_seq: int
    public_id: str | None
    intent_id: str | None
    pending_seq: int

    @classmethod
    def read(cls, doc: dict[str, Any]) -> "tuple[OrderingState, bool]":
        """The state in `doc`, an absent field read as none, and whether `doc` holds every field a
        compare-and-set pins (an old document may lack `pending_seq`: the next apply's write adds it)."""
        applied_seq, pending_seq, avatar = doc.get("applied_seq"), doc.get("pending_seq"), doc.get("avatar")
        shown = avatar if isinstance(avatar, dict) else {}
        public_id, intent_id = shown.get("public_id"), shown.get("intent_id")
        state = cls(
            applied_seq if isinstance(applied_seq, int) else 0,
            public_id if isinstance(public_id, str) else None,
            intent_id if isinstance(intent_id, str) else None,
            pending_seq if isinstance(pending_seq, int) else 0,
        )
        return state, isinstance(applied_seq, int) and isinstance(pending_seq, int) and "avatar" in doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> "OrderingState | None":
        """The state in `doc`, or None when `doc` lacks a field a compare-and-set could pin (an old document)."""
        state, complete = cls.read(doc)
        return state if complete else None


def _preferences(raw: object) -> Preferences:
    # Lenient: older profiles have none, and booleans written with $set come back as 1/0 on the stand-in.
    try:
        return msgspec.convert(raw or {}, Preferences, strict=False)
    except msgspec.ValidationError:
        logger.warning("stored preferences unreadable; serving defaults")
        return Preferences()


def to_millisecond(moment: datetime) -> datetime:
    """`moment` truncated to whole milliseconds, the precision the database stores datetimes with."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def is_private(doc: dict[str, Any]) -> bool:
    """Whether the profile in `doc` is hidden from everyone but its owner."""
    return doc.get("visibility") == "private"


def _lenient(raw: object, kind: type[_S], what: str) -> _S | None:
    # Decoded leniently: a document an older or newer version wrote never breaks the owner's profile.
    if raw is None:
        return None
    try:
        return msgspec.convert(raw, kind, strict=False)
    except msgspec.ValidationError:
        logger.warning("stored %s unreadable; serving none", what)
        return None


def to_profile(doc: dict[str, Any]) -> Profile:
    """The owner's view of a whole profile document."""
    avatar = doc.get("avatar")
    return Profile(
        user_id=doc["_id"],
        username=doc.get("username"),
        display_name=doc.get("display_name"),
        bio=doc.get("bio") or "",
        avatar=None if avatar is None else msgspec.convert(avatar, Avatar, strict=False),
        created_at=doc["created_at"],
        updated_at=from_ms(doc["updated_ms"]) if doc.get("updated_ms") else doc["created_at"],
        location=doc.get("location") or "",
        website=doc.get("website") or None,
        visibility="private" if is_private(doc) else "public",
        preferences=_preferences(doc.get("preferences")),
        pending_avatar=_lenient(doc.get("pending_avatar"), PendingAvatar, "pending avatar"),
        moderation_notice=_lenient(doc.get("moderation_notice"), ModerationNotice, "moderation notice"),
    )


def to_public_view(doc: dict[str, Any]) -> PublicProfile:
    """What `GET /profiles/{username}` shows of a whole profile document (privacy is the caller's to check)."""
    avatar = doc.get("avatar")
    return PublicProfile(
        username=doc["username"],
        display_name=doc.get("display_name"),
        bio=doc.get("bio") or "",
        avatar=None if avatar is None else msgspec.convert(avatar, PublicAvatar, strict=False),
        location=doc.get("location") or "",
        website=doc.get("website") or None,
    )


def to_looked_up(doc: dict[str, Any]) -> LookedUpProfile:
    """What the batch lookup answers for a profile document: nothing of a private one but that it is private."""
    if is_private(doc):
        return LookedUpProfile(username=None, display_name=None, avatar=None, visibility="private")
    avatar = _lenient(doc.get("avatar"), PublicAvatar, "avatar")
    return LookedUpProfile(
        username=doc.get("username"), display_name=doc.get("display_name"), avatar=avatar, visibility="public"
    )


def change_document(change: ProfileChange) -> dict[str, Any]:
    """The `$set` values of a change: top-level fields as they are, preferences as dotted paths (partial)."""
    values: dict[str, Any] = msgspec.to_builtins(change)
    preferences = values.pop("preferences", None) or {}
    notifications = preferences.pop("notifications", None) or {}
    values.update({f"preferences.{key}": value for key, value in preferences.items()})
    values.update({f"preferences.notifications.{key}": value for key, value in notifications.items()})
    return values


def pending_fields(marker: dict[str, Any] | None) -> dict[str, Any]:
    """The `$set` values that store a change-feed marker in the write making the change (none without one)."""
    if marker is None:
        return {}
    return {
        f"feed_pending.{marker['id']}": {"kinds": marker["kinds"], "at_ms": marker["at_ms"]},
        "feed_pending_ms": marker["at_ms"],
    }


def avatar_document(
    *,
    public_id: str,
    version: int,
    secure_url: str,
    width: int,
    height: int,
    fmt: str,
    size: int,
    variants: dict[str, str],
    intent_id: str,
    seq: int,
    updated_at: datetime,
) -> dict[str, Any]:
    """The stored avatar sub-document (written whole, so its datetime stays a datetime on the stand-in)."""
    return {
        "public_id": public_id,
        "version": version,
        "secure_url": secure_url,
        "width": width,
        "height": height,
        "format": fmt,
        "bytes": size,
        "variants": variants,
        "updated_at": updated_at,
        "intent_id": intent_id,
        "seq": seq,
    }


def pending_document(
    *,
    upload_id: str,
    seq: int,
    secure_url: str,
    version: int,
    width: int,
    height: int,
    variants: dict[str, str],
    uploaded_at: datetime,
) -> dict[str, Any]:
    """The stored `pending_avatar` (`PendingAvatar` plus the upload's sequence, which orders them)."""
    return {
        "upload_id": upload_id,
        "status": "pending",
        "secure_url": secure_url,
        "version": version,
        "width": width,
        "height": height,
        "variants": variants,
        "uploaded_at": uploaded_at,
        "seq": seq,
    }


def notice_document(*, kind: str, reason: str, at: datetime, upload_id: str | None) -> dict[str, Any]:
    """The stored `moderation_notice` (`ModerationNotice`)."""
    return {"kind": kind, "reason": reason, "at": at, "upload_id": upload_id}
