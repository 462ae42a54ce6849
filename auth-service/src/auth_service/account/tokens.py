"""`action_tokens`: single-use, short-lived tokens sent by e-mail (password reset, e-mail change, "not me").

Only the SHA-256 of a token is stored; it is consumed by one compare-and-set on `used_at: null` with an
unexpired `expires_at` (inserted, so a real datetime on both servers). Used and expired tokens stay a day
past their expiry (TTL on `purge_at`) so that a second use gets "already used" rather than "unknown".
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import msgspec
from pymongo.asynchronous.collection import AsyncCollection

from auth_service.db import utc_datetimes
from service_kit.errors import BadRequest, Forbidden, Gone
from service_kit.mongo import Database

COLLECTION = "action_tokens"
RESET_PURPOSE = "password_reset"
EMAIL_CHANGE_PURPOSE = "email_change"
# "This wasn't me" in a new-sign-in e-mail: bound to the session (`family_id`) it would end.
NOT_ME_PURPOSE = "not_me"
KEEP_AFTER_EXPIRY = timedelta(days=1)


def hash_token(token: str) -> str:
    """What is stored: a leaked database yields no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


class ActionToken(msgspec.Struct, kw_only=True):
    """A stored token (by hash) for one purpose and one account."""

    id: str
    purpose: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    new_email: str | None = None
    family_id: str | None = None


class ActionTokenRepository:
    """Issue and consume single-use tokens."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection

    async def issue(
        self,
        purpose: str,
        user_id: str,
        *,
        now: datetime,
        ttl: timedelta,
        new_email: str | None = None,
        family_id: str | None = None,
    ) -> str:
        """A fresh token (256 random bits); only its hash is stored."""
        token = secrets.token_urlsafe(32)
        await self._collection.insert_one(
            {
                "_id": hash_token(token),
                "purpose": purpose,
                "user_id": user_id,
                "new_email": new_email,
                "family_id": family_id,
                "created_at": now,
                "expires_at": now + ttl,
                "purge_at": now + ttl + KEEP_AFTER_EXPIRY,
                "used_at": None,
            }
        )
        return token

    async def get(self, token: str, purpose: str) -> ActionToken | None:
        """The stored token for this purpose, in whatever state."""
        doc = await self._collection.find_one({"_id": hash_token(token), "purpose": purpose})
        if doc is None:
            return None
        doc["id"] = doc.pop("_id")
        return utc_datetimes(msgspec.convert(doc, ActionToken, strict=False))

    async def consume(self, token: str, purpose: str, *, now: datetime, user_id: str | None = None) -> ActionToken:
        """Use the token once: 400 unknown, 403 another account's, 410 used or expired."""
        found = await self.get(token, purpose)
        if found is None:
            raise BadRequest("The link is not valid.", reason="invalid_token")
        if user_id is not None and found.user_id != user_id:
            raise Forbidden("This link was issued to another account.", reason="wrong_account")
        result = await self._collection.update_one(
            {"_id": found.id, "purpose": purpose, "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
        )
        if result.modified_count == 1:
            return found
        if found.used_at is None and found.expires_at <= now:
            raise Gone("The link has expired; ask for a new one.", reason="expired_token")
        raise Gone("The link has already been used.", reason="used_token")


async def create_indexes(db: Database) -> None:
    """TTL on `purge_at`; lookups are by `_id`."""
    await db[COLLECTION].create_index("purge_at", expireAfterSeconds=0)
