"""`profiles.audit`: every admin action, written before the action is answered, and logged with the admin's id.

The sort key is one string written at insert (`admin/cursor.py`), so "older than the cursor" is a single `$lt`
on one field: a pair of conditions on (`at`, `_id`) under `$or` lost and repeated entries on the MongoDB
stand-in (auth-service's activity log measured it). `at` is inserted, never `$set`, so it stays a real datetime.
"""

import enum
import logging
import uuid
from typing import Any

import msgspec
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from profile_service.admin import cursor as cursors
from profile_service.admin.schemas import ModerationAuditEntry, ModerationAuditPage
from service_kit.clock import Clock
from service_kit.mongo import Database

logger = logging.getLogger(__name__)

COLLECTION = "audit"


class AuditAction(enum.StrEnum):
    """What an admin did."""

    UPLOAD_APPROVED = "upload.approved"
    UPLOAD_REJECTED = "upload.rejected"
    AVATAR_TAKEN_DOWN = "avatar.taken_down"
    QUEUE_VIEWED = "queue.viewed"


class AuditRepository:
    """Append and list audit entries."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._collection: AsyncCollection[dict[str, Any]] = db[COLLECTION]
        self._clock = clock

    async def record(
        self,
        *,
        actor_id: str,
        action: AuditAction,
        target_user_id: str | None,
        upload_id: str | None = None,
        reason: str | None = None,
        detail: dict[str, str] | None = None,
    ) -> ModerationAuditEntry:
        """Append one entry and log it (the log line carries the admin's id; `detail` goes to the log only)."""
        entry = ModerationAuditEntry(
            id=str(uuid.uuid4()),
            at=self._clock(),
            actor_id=actor_id,
            action=action.value,
            target_user_id=target_user_id,
            upload_id=upload_id,
            reason=reason,
        )
        document = msgspec.to_builtins(entry, builtin_types=(type(entry.at),))
        document["_id"] = document.pop("id")
        document["key"] = cursors.sort_key(cursors.millis(entry.at), entry.id)
        await self._collection.insert_one(document)
        logger.info(
            "admin action: %s",
            action.value,
            extra={
                "admin_id": actor_id,
                "action": action.value,
                "target_user_id": target_user_id,
                "upload_id": upload_id,
                **(detail or {}),
            },
        )
        return entry

    async def page(self, limit: int, cursor: str | None = None) -> ModerationAuditPage:
        """Up to `limit` entries older than `cursor`, newest first, and the cursor of the next page."""
        query: dict[str, Any] = {}
        if cursor is not None:
            query["key"] = {"$lt": cursors.sort_key(*cursors.decode(cursor))}
        docs = await self._collection.find(query).sort("key", DESCENDING).limit(limit + 1).to_list()
        entries = [
            msgspec.convert({**doc, "id": doc["_id"]}, ModerationAuditEntry, strict=False) for doc in docs[:limit]
        ]
        next_cursor = cursors.encode(docs[limit - 1]["key"]) if len(docs) > limit else None
        return ModerationAuditPage(entries=entries[:limit], next_cursor=next_cursor)


async def create_indexes(db: Database) -> None:
    """Listing newest first (the key starts with `at`)."""
    await db[COLLECTION].create_index([("key", DESCENDING)], name="at_key")
