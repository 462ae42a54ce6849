"""`activity`: what happened to an account, newest first, kept 90 days (TTL on a real, inserted datetime).

Pagination is keyset on (`at`, `_id`), never skip-based: a page is the same however many events arrive
while a client pages through, and it costs one index range scan however deep it is.
"""

import base64
import binascii
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar.datastructures import State
from litestar.di import NamedDependency
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from auth_service.activity.schemas import ActivityEvent, ActivityPage, ClientInfo
from auth_service.clock import Clock
from auth_service.db import INDEX_CREATORS, Database
from auth_service.errors import BadRequest

COLLECTION = "activity"
RETENTION = timedelta(days=90)


def encode_cursor(at: datetime, event_id: str) -> str:
    """An opaque cursor naming the last event of a page."""
    raw = f"{int(at.timestamp() * 1000)}:{event_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (time, id) a cursor names; BadRequest for anything we did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        millis, _, event_id = raw.partition(":")
        if not event_id:
            raise ValueError("no id")
        return datetime.fromtimestamp(int(millis) / 1000, UTC), event_id
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError, OSError):
        raise BadRequest("The cursor is not valid.", field="cursor") from None


class ActivityRepository:
    """Record and list an account's events."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]], clock: Clock) -> None:
        self._collection = collection
        self._clock = clock

    async def record(self, user_id: str, kind: str, client: ClientInfo, detail: str | None = None) -> None:
        """Append one event; `at` is inserted (never `$set`), so it stays a real datetime for the TTL."""
        await self._collection.insert_one(
            {
                "_id": str(uuid.uuid4()),
                "user_id": user_id,
                "kind": kind,
                "at": self._clock(),
                "ip": client.ip,
                "user_agent": client.user_agent,
                "detail": detail,
            }
        )

    async def page(self, user_id: str, limit: int, cursor: str | None = None) -> ActivityPage:
        """Up to `limit` events older than `cursor`, newest first, and the cursor of the next page."""
        query: dict[str, Any] = {"user_id": user_id}
        if cursor is not None:
            at, event_id = decode_cursor(cursor)
            query["$or"] = [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": event_id}}]
        docs = (
            await self._collection.find(query)
            .sort([("at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit + 1)
            .to_list()
        )
        events = [msgspec.convert({**doc, "id": doc["_id"]}, ActivityEvent, strict=False) for doc in docs[:limit]]
        last = events[-1] if events else None
        next_cursor = encode_cursor(last.at, last.id) if last is not None and len(docs) > limit else None
        return ActivityPage(events=events, next_cursor=next_cursor)

    async def forget(self, user_id: str) -> None:
        """Delete every event of an account (account deletion)."""
        await self._collection.delete_many({"user_id": user_id})


def provide_activity(db: NamedDependency[Database], state: State) -> ActivityRepository:
    """The repository over this service's database."""
    return ActivityRepository(db[COLLECTION], state.clock)


async def create_indexes(db: Database) -> None:
    """Listing by user, newest first; TTL after 90 days."""
    # No `_id` in the compound index: the stand-in cannot index it (MongoDB does not need it there either).
    await db[COLLECTION].create_index([("user_id", DESCENDING), ("at", DESCENDING)])
    await db[COLLECTION].create_index("at", expireAfterSeconds=int(RETENTION.total_seconds()), name="at_ttl")


INDEX_CREATORS.append(create_indexes)
