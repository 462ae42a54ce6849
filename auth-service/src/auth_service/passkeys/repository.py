"""`passkeys` (one document per credential, `_id` = credential id) and `webauthn_challenges` (single-use ceremonies).

A ceremony is consumed by one conditional update (`consumed: false`, unexpired, of the right purpose and user), so
it answers once however many instances race for it. A sign-in moves the passkey's signature counter by a
compare-and-set on the counter read before verifying, so two uses of one assertion cannot both succeed.
"""

import secrets
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import msgspec
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from auth_service.db import utc_datetimes
from auth_service.passkeys.schemas import Ceremony, StoredPasskey
from service_kit.errors import Conflict
from service_kit.mongo import Database

PASSKEYS = "passkeys"
CHALLENGES = "webauthn_challenges"


class PasskeyRepository:
    """A user's passkeys, by credential id."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection

    async def insert(self, passkey: StoredPasskey) -> None:
        """Store a new passkey; Conflict if this credential is registered already (to anyone)."""
        doc = msgspec.to_builtins(passkey, builtin_types=(datetime,))
        doc["_id"] = doc.pop("id")
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError:
            raise Conflict("This passkey is registered already.") from None

    async def get(self, credential_id: str) -> StoredPasskey | None:
        """The passkey with this credential id, whoever owns it."""
        return _to_passkey(await self._collection.find_one({"_id": credential_id}))

    async def owned(self, user_id: str) -> list[StoredPasskey]:
        """The user's passkeys, oldest first."""
        docs = await self._collection.find({"user_id": user_id}).sort("created_at", ASCENDING).to_list()
        return [p for doc in docs if (p := _to_passkey(doc)) is not None]

    async def counts(self, user_ids: list[str]) -> dict[str, int]:
        """How many passkeys each of these users has (absent: none), in one query."""
        docs = await self._collection.find({"user_id": {"$in": user_ids}}, {"user_id": True}).to_list()
        return dict(Counter(doc["user_id"] for doc in docs))

    async def rename(self, credential_id: str, user_id: str, name: str) -> StoredPasskey | None:
        """Rename one of the user's passkeys; None when the user has no passkey with this id."""
        doc = await self._collection.find_one_and_update(
            {"_id": credential_id, "user_id": user_id},
            {"$set": {"name": name}},
            return_document=ReturnDocument.AFTER,
        )
        return _to_passkey(doc)

    async def delete(self, credential_id: str, user_id: str) -> bool:
        """Remove one of the user's passkeys; False when the user has no passkey with this id."""
        result = await self._collection.delete_one({"_id": credential_id, "user_id": user_id})
        return result.deleted_count == 1

    async def used(self, passkey: StoredPasskey, sign_count: int, *, now: datetime) -> bool:
        """Record a use: the counter moves from the value read to `sign_count` only if nobody moved it meanwhile."""
        result = await self._collection.update_one(
            {"_id": passkey.id, "sign_count": passkey.sign_count},
            {"$set": {"sign_count": sign_count, "last_used_at": now}},
        )
        return result.modified_count == 1

    async def forget(self, user_id: str) -> None:
        """Remove every passkey of an account (account deletion)."""
        await self._collection.delete_many({"user_id": user_id})


def _to_passkey(doc: dict[str, Any] | None) -> StoredPasskey | None:
    if doc is None:
        return None
    doc["id"] = doc.pop("_id")
    return utc_datetimes(msgspec.convert(doc, StoredPasskey, strict=False))


class CeremonyRepository:
    """Open a ceremony, then consume it once."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection

    async def open(self, purpose: str, user_id: str | None, challenge: str, *, now: datetime, ttl: timedelta) -> str:
        """Store a new ceremony with its challenge (base64url); its id, for the browser to send back."""
        ceremony_id = secrets.token_urlsafe(24)
        await self._collection.insert_one(
            {
                "_id": ceremony_id,
                "purpose": purpose,
                "user_id": user_id,
                "challenge": challenge,
                # Inserted, so it stays a real datetime: the TTL index reclaims it, the queries below decide.
                "expires_at": now + ttl,
                "consumed": False,
            }
        )
        return ceremony_id

    async def consume(self, ceremony_id: str, purpose: str, user_id: str | None, *, now: datetime) -> Ceremony | None:
        """The ceremony, marked used, if it is open, unexpired, for `purpose` and of `user_id`; otherwise None."""
        doc = await self._collection.find_one_and_update(
            {
                "_id": ceremony_id,
                "purpose": purpose,
                "user_id": user_id,
                "consumed": False,
                "expires_at": {"$gt": now},
            },
            {"$set": {"consumed": True}},
        )
        if doc is None:
            return None
        doc["id"] = doc.pop("_id")
        return msgspec.convert(doc, Ceremony, strict=False)


async def create_indexes(db: Database) -> None:
    """Passkeys listed by user; ceremonies reclaimed once expired (TTL)."""
    await db[PASSKEYS].create_index([("user_id", ASCENDING), ("created_at", ASCENDING)])
    await db[CHALLENGES].create_index("expires_at", expireAfterSeconds=0)
