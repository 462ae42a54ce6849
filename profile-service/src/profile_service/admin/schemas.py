"""Wire shapes of the admin routes (names fixed by the issue-13 contract: the web app uses them)."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from service_kit.openapi import END_OF_STRING

# A reason a person reads (the owner sees it): 1..500 characters, printable, not only blanks.
_REASON = msgspec.Meta(
    min_length=1,
    max_length=500,
    pattern=r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*" + END_OF_STRING,
    description="Why, for the owner and the audit log: 1..500 printable characters, not only spaces.",
)
Reason = Annotated[str, _REASON]
QueueStatus = Literal["pending", "approved", "rejected"]


class RejectionRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Why an upload is rejected (the owner is told)."""

    reason: Reason


class TakeDownRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Why a live picture is taken down (the owner is told)."""

    reason: Reason


class ModerationItem(msgspec.Struct, kw_only=True):
    """One upload in the moderation queue."""

    upload_id: str
    user_id: str
    username: str | None
    status: QueueStatus
    thumbnail_url: str | None
    secure_url: str | None
    uploaded_at: datetime | None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None


class ModerationPage(msgspec.Struct):
    """A page of the queue; pass `next_cursor` back as `cursor` (null on the last page)."""

    items: list[ModerationItem]
    next_cursor: str | None


class ModerationDecision(msgspec.Struct):
    """The outcome of an approval or a rejection: the intent's resulting status and the moderation status."""

    upload_id: str
    status: str
    moderation_status: Literal["approved", "rejected"]


class ModerationAuditEntry(msgspec.Struct, kw_only=True):
    """One admin action. `target_user_id` is null for actions on no one in particular (`queue.viewed`)."""

    id: str
    at: datetime
    actor_id: str
    action: str
    target_user_id: str | None
    upload_id: str | None = None
    reason: str | None = None


class ModerationAuditPage(msgspec.Struct):
    """A page of the audit log, newest first; pass `next_cursor` back as `cursor` (null on the last page)."""

    entries: list[ModerationAuditEntry]
    next_cursor: str | None
