"""`audit`: every admin action and role change, newest first, kept for good (no TTL: it is the record).

Paged by the same keyset as account activity (`activity/repository.py`): one string written at insert,
`<epoch ms>:<id>`, so "older than the cursor" is one `$lt` on one indexed field.
"""

import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar.datastructures import State
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from auth_service.activity.repository import decode_cursor, encode_cursor, sort_key
from auth_service.admin.schemas import AuditEntry, AuditPage
from auth_service.db import utc_datetimes
from service_kit.clock import Clock
from service_kit.mongo import Database

COLLECTION = "audit"


class AuditRepository:
    """Append and list audit entries."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]], clock: Clock) -> None:
        self._collection = collection
        self._clock = clock

    async def record(
        self,
        *,
        actor_id: str,
        actor: str | None,
        action: str,
        target_id: str | None = None,
        target: str | None = None,
        reason: str | None = None,
        detail: dict[str, str] | None = None,
    ) -> AuditEntry:
        """Append one entry, timed now; `at` is inserted, never `$set`, so it stays a real datetime."""
        entry = AuditEntry(
            id=str(uuid.uuid4()),
            at=self._clock(),
            actor_id=actor_id,
            actor=actor,
            action=action,
            target_id=target_id,
            target=target,
            reason=reason,
            detail=detail or {},
        )
        doc: dict[str, Any] = msgspec.to_builtins(entry, builtin_types=(datetime,))
        doc["_id"] = doc.pop("id")
        doc["key"] = sort_key(entry.at, entry.id)
        await self._collection.insert_one(doc)
        return entry

    async def page(self, limit: int, cursor: str | None = None) -> AuditPage:
        """Up to `limit` entries older than `cursor`, newest first, and the cursor of the next page."""
        query: dict[str, Any] = {} if cursor is None else {"key": {"$lt": decode_cursor(cursor)}}
        docs = await self._collection.find(query).sort("key", DESCENDING).limit(limit + 1).to_list()
        entries = [
            utc_datetimes(msgspec.convert({**doc, "id": doc["_id"]}, AuditEntry, strict=False)) for doc in docs[:limit]
        ]
        next_cursor = encode_cursor(docs[limit - 1]["key"]) if len(docs) > limit else None
        return AuditPage(entries=entries, next_cursor=next_cursor)


def provide_audit(state: State) -> AuditRepository:
    """The audit repository, once the database is ready."""
    audit: AuditRepository = state.services.ready().audit
    return audit


async def create_indexes(db: Database) -> None:
    """Listing newest first: the key is the time (epoch ms) then the id, so this is `at` descending, ties broken."""
    await db[COLLECTION].create_index([("key", DESCENDING)], name="key_desc")
