"""`activity`: what happened to an account, newest first, kept 90 days (TTL on a real, inserted datetime).

Pagination is keyset, never skip-based: a page is the same however many events arrive while a client
pages through, and it costs one index range scan however deep it is. The key is one string written at
insert, `<epoch ms, 13 digits>:<id>`, so "older than the cursor" is a single `$lt` on one field. A pair
of conditions on (`at`, `_id`) under `$or` lost and repeated events on the stand-in, and recomputing
milliseconds from a stored datetime is off by one when the float lands a hair below a whole number.
"""

import base64
import binascii
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar.datastructures import State
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from auth_service.activity.schemas import ActivityEvent, ActivityPage, ClientInfo
from service_kit.clock import Clock
from service_kit.errors import BadRequest
from service_kit.mongo import Database

COLLECTION = "activity"
RETENTION = timedelta(days=90)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KEY = re.compile(r"\d{13}:[0-9a-f-]{36}")


def sort_key(at: datetime, event_id: str) -> str:
    """The event's position, newest last: zero-padded epoch milliseconds, then the id to break ties."""
    millis = (at - EPOCH) // timedelta(milliseconds=1)  # integer arithmetic: no float rounding
    return f"{millis:013d}:{event_id}"


def encode_cursor(key: str) -> str:
    """An opaque cursor naming the last event of a page."""
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The sort key a cursor names; BadRequest for anything we did not hand out."""
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("The cursor is not valid.", field="cursor") from None
    if not _KEY.fullmatch(key):
        raise BadRequest("The cursor is not valid.", field="cursor")
    return key


class ActivityRepository:
    """Record and list an account's events."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]], clock: Clock) -> None:
        self._collection = collection
        self._clock = clock

    async def record(self, user_id: str, kind: str, client: ClientInfo, detail: str | None = None) -> None:
        """Append one event; `at` is inserted (never `$set`), so it stays a real datetime for the TTL."""
        event_id, at = str(uuid.uuid4()), self._clock()
        await self._collection.insert_one(
            {
                "_id": event_id,
                "key": sort_key(at, event_id),
                "user_id": user_id,
                "kind": kind,
                "at": at,
                "ip": client.ip,
                "user_agent": client.user_agent,
                "detail": detail,
            }
        )

    async def page(self, user_id: str, limit: int, cursor: str | None = None) -> ActivityPage:
        """Up to `limit` events older than `cursor`, newest first, and the cursor of the next page."""
        query: dict[str, Any] = {"user_id": user_id}
        if cursor is not None:
            query["key"] = {"$lt": decode_cursor(cursor)}
        docs = await self._collection.find(query).sort("key", DESCENDING).limit(limit + 1).to_list()
        events = [msgspec.convert({**doc, "id": doc["_id"]}, ActivityEvent, strict=False) for doc in docs[:limit]]
        next_cursor = encode_cursor(docs[limit - 1]["key"]) if len(docs) > limit else None
        return ActivityPage(events=events, next_cursor=next_cursor)

    async def forget(self, user_id: str) -> None:
        """Delete every event of an account (account deletion)."""
        await self._collection.delete_many({"user_id": user_id})


def provide_activity(state: State) -> ActivityRepository:
    """The activity repository, once the database is ready."""
    activity: ActivityRepository = state.services.ready().activity
    return activity


async def create_indexes(db: Database) -> None:
    """Listing by user, newest first; TTL after 90 days."""
    await db[COLLECTION].create_index([("user_id", DESCENDING), ("key", DESCENDING)])
    await db[COLLECTION].create_index("at", expireAfterSeconds=int(RETENTION.total_seconds()), name="at_ttl")
