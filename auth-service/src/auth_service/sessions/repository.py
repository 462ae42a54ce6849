"""The `sessions` (token families) and `refresh_tokens` collections.

Every state change is one single-document update. A family holds the hash of its one current refresh token
(`token_hash`) and the last `SPENT_KEPT` it replaced (`spent_hashes`): a rotation is one compare-and-set on the
family (current hash -> new hash), so of two rotations with one token only one succeeds, and the loser's token is
then found among the spent ones (a reuse). Revoking a family sets `revoked_at` on its one document. No
transaction needed, which is what the stand-in supports and what scales on real MongoDB.

`refresh_tokens` holds the tokens issued before families held their token (one document per token, claimed by a
compare-and-set on `rotated_at: None`): such a token still rotates once, into a family-held one, and its
collection empties through its TTL index as they expire.
"""

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import msgspec
from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from auth_service.db import utc_datetimes
from auth_service.sessions.schemas import Family, RefreshToken
from service_kit.mongo import Database

FAMILIES = "sessions"
REFRESH_TOKENS = "refresh_tokens"
# Replaced token hashes a family keeps to recognise a reuse. The reuse that matters is the next one: a thief who
# refreshed first makes the victim's token spent one rotation ago (or the other way round). An older one is refused
# all the same, without ending the session.
SPENT_KEPT = 32


def _to_doc(struct: msgspec.Struct) -> dict[str, Any]:
    doc: dict[str, Any] = msgspec.to_builtins(struct, builtin_types=(datetime,))
    doc["_id"] = doc.pop("id")
    return doc


def _from_doc(doc: dict[str, Any] | None, kind: type[msgspec.Struct]) -> Any:
    if doc is None:
        return None
    doc["id"] = doc.pop("_id")
    return utc_datetimes(msgspec.convert(doc, kind, strict=False))


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class FamilyRepository:
    """Sign-in sessions; revocation lives here so one write revokes every token of the family."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection

    async def create(self, family: Family) -> None:
        """Record a new sign-in."""
        await self._collection.insert_one(_to_doc(family))

    async def get(self, family_id: str) -> Family | None:
        """The family with this id, revoked or not."""
        family: Family | None = _from_doc(await self._collection.find_one({"_id": family_id}), Family)
        return family

    async def rotate(self, family_id: str, token_hash: str, new_hash: str, now: datetime) -> Family | None:
        """Exchange the family's current token (`token_hash`) for `new_hash` and note the use; the family as
        written, or None if the token is not the current one or the family is revoked or expired.

        One round trip: the compare-and-set on the current hash and the read of what it wrote are one command.
        """
        doc = await self._collection.find_one_and_update(
            {"_id": family_id, "token_hash": token_hash, "revoked_at": None, "expires_at": {"$gt": now}},
            {
                "$set": {"token_hash": new_hash, "last_used_at": now},
                "$push": {"spent_hashes": {"$each": [token_hash], "$slice": -SPENT_KEPT}},
            },
            return_document=ReturnDocument.AFTER,
        )
        family: Family | None = _from_doc(doc, Family)
        return family

    async def adopt(self, family_id: str, new_hash: str, now: datetime) -> Family | None:
        """Note a refresh with a token of the `refresh_tokens` collection (already claimed there) on a live family,
        which holds its tokens from now on (`new_hash`); the family as written, or None if it is revoked."""
        doc = await self._collection.find_one_and_update(
            {"_id": family_id, "revoked_at": None},
            {"$set": {"last_used_at": now, "token_hash": new_hash}},
            return_document=ReturnDocument.AFTER,
        )
        family: Family | None = _from_doc(doc, Family)
        return family

    async def live_for(self, user_id: str, now: datetime) -> list[Family]:
        """The user's sessions that still work (not revoked, not expired), newest first."""
        query = {"user_id": user_id, "revoked_at": None, "expires_at": {"$gt": now}}
        docs = await self._collection.find(query).sort("created_at", DESCENDING).to_list()
        return [_from_doc(doc, Family) for doc in docs]

    async def live_counts(self, user_ids: list[str], now: datetime) -> dict[str, int]:
        """How many live sessions each of these users has (absent: none), in one query."""
        # Expiry is compared here, not in the query: the stand-in matches nothing when `$in` on one field meets a
        # range on another. Counted here too: a page is at most 100 users, their sessions a few each.
        query = {"user_id": {"$in": user_ids}, "revoked_at": None}
        docs = await self._collection.find(query, {"user_id": True, "expires_at": True}).to_list()
        return dict(Counter(doc["user_id"] for doc in docs if _utc(doc["expires_at"]) > now))

    async def any_for(self, user_id: str) -> bool:
        """Whether the user has any session on record, live or not (until its TTL removes it)."""
        return await self._collection.find_one({"user_id": user_id}, {"_id": True}) is not None

    async def reauthenticated(self, family_id: str, user_id: str, *, at: datetime, amr: list[str]) -> Family | None:
        """Record a step-up on a live session of `user_id`; the updated family, or None if it is gone or revoked."""
        await self._collection.update_one(
            {"_id": family_id, "user_id": user_id, "revoked_at": None}, {"$set": {"auth_time": at, "amr": amr}}
        )
        family = await self.get(family_id)
        if family is None or family.user_id != user_id or family.revoked_at is not None:
            return None
        return family

    async def revoke(self, family_id: str, now: datetime) -> None:
        """Revoke the family (idempotent: the first revocation time is kept)."""
        await self._collection.update_one({"_id": family_id, "revoked_at": None}, {"$set": {"revoked_at": now}})

    async def revoke_all(self, user_id: str, now: datetime, *, keep: str | None = None) -> int:
        """Revoke every sign-in of the user except `keep` (the caller's own); how many were revoked."""
        query: dict[str, Any] = {"user_id": user_id, "revoked_at": None}
        if keep is not None:
            query["_id"] = {"$ne": keep}
        result = await self._collection.update_many(query, {"$set": {"revoked_at": now}})
        return result.modified_count


class RefreshTokenRepository:
    """Refresh tokens issued before families held their token, by hash (see the module's docstring)."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection

    async def insert(self, token: RefreshToken) -> None:
        """Store an unused token of this collection's kind (nothing issues them any more; the tests make them, to
        check that the ones still out there rotate)."""
        await self._collection.insert_one(_to_doc(token))

    async def claim(self, token_hash: str, now: datetime) -> RefreshToken | None:
        """Mark an unused, unexpired token as rotated; only one of several concurrent claims succeeds.

        The compare-and-set and the read of what it claimed are one command: the filter (`rotated_at: None`) is
        evaluated and the `$set` applied atomically on the one document, so of two claims only one gets a document.
        """
        doc = await self._collection.find_one_and_update(
            {"_id": token_hash, "rotated_at": None, "expires_at": {"$gt": now}},
            {"$set": {"rotated_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        token: RefreshToken | None = _from_doc(doc, RefreshToken)
        return token

    async def get(self, token_hash: str) -> RefreshToken | None:
        """The token with this hash, in whatever state."""
        token: RefreshToken | None = _from_doc(await self._collection.find_one({"_id": token_hash}), RefreshToken)
        return token


async def create_indexes(db: Database) -> None:
    """TTL on expiry (datetimes) for both collections; lookups are by `_id` only."""
    await db[FAMILIES].create_index("expires_at", expireAfterSeconds=0)
    await db[FAMILIES].create_index("user_id")
    await db[REFRESH_TOKENS].create_index("expires_at", expireAfterSeconds=0)
