"""`mfa_challenges`: the short-lived, single-purpose token a password sign-in of an MFA user gets.

Random (256 bits), stored by SHA-256 only, limited attempts (`failures` counted with `$inc`), consumed by a
compare-and-set on `used_at: null`; expiry is an inserted datetime, also the TTL field.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import msgspec
from pymongo.asynchronous.collection import AsyncCollection

from service_kit.mongo import Database

COLLECTION = "mfa_challenges"
MAX_FAILURES = 5


class Challenge(msgspec.Struct, kw_only=True):
    """A pending second-factor step of one sign-in."""

    id: str
    user_id: str
    failures: int = 0


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ChallengeRepository:
    """Create, find, fail and consume challenges."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection

    async def create(self, user_id: str, *, now: datetime, ttl: timedelta) -> str:
        """A new challenge token for the user."""
        token = secrets.token_urlsafe(32)
        await self._collection.insert_one(
            {"_id": _hash(token), "user_id": user_id, "expires_at": now + ttl, "used_at": None, "failures": 0}
        )
        return token

    async def find_open(self, token: str, *, now: datetime) -> Challenge | None:
        """The challenge if it is unused, unexpired and has attempts left."""
        doc = await self._collection.find_one(
            {"_id": _hash(token), "used_at": None, "expires_at": {"$gt": now}, "failures": {"$lt": MAX_FAILURES}}
        )
        if doc is None:
            return None
        doc["id"] = doc.pop("_id")
        return msgspec.convert(doc, Challenge, strict=False)

    async def fail(self, challenge: Challenge) -> None:
        """Count a wrong code against the challenge."""
        await self._collection.update_one({"_id": challenge.id}, {"$inc": {"failures": 1}})

    async def consume(self, challenge: Challenge, *, now: datetime) -> bool:
        """Use the challenge once."""
        result = await self._collection.update_one({"_id": challenge.id, "used_at": None}, {"$set": {"used_at": now}})
        return result.modified_count == 1


async def create_indexes(db: Database) -> None:
    """TTL on expiry."""
    await db[COLLECTION].create_index("expires_at", expireAfterSeconds=0)
