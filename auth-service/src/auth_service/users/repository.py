"""The `users` collection: unique e-mail and username, enforced by MongoDB, never by a read-then-write."""

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import msgspec
from litestar.datastructures import State
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from auth_service.db import utc_datetimes
from auth_service.users.recent import RecentUsers
from auth_service.users.schemas import Suspension, User, normalize_email
from service_kit.errors import Conflict
from service_kit.mongo import Database

COLLECTION = "users"
UNIQUE_FIELDS = ("email", "username")
ACTIVE, DELETING = "active", "deleting"


def _duplicate_field(exc: DuplicateKeyError) -> str:
    details = exc.details or {}
    # Real MongoDB names the key pattern; the stand-in names only its index (`idx_users_email`).
    if pattern := details.get("keyPattern"):
        return str(next(iter(pattern)))
    match = re.search(r"index:? '?(?:idx_\w*?_)?(email|username)", str(details.get("errmsg", exc)))
    return match.group(1) if match else "email"


class UserRepository:
    """Accounts by id, e-mail or username."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]], recent: RecentUsers | None = None) -> None:
        self._collection = collection
        self._recent = recent or RecentUsers()

    @asynccontextmanager
    async def _writing(self, user_id: str) -> AsyncIterator[None]:
        # Forgotten before and after: a read that overlaps the write in any way is not remembered (RecentUsers.put).
        self._recent.forget(user_id)
        try:
            yield
        finally:
            self._recent.forget(user_id)

    async def create(self, user: User) -> None:
        """Insert a new account; Conflict naming the field if the e-mail or username is taken."""
        async with self._writing(user.id):
            doc = msgspec.to_builtins(user, builtin_types=(datetime,))
            doc["_id"] = doc.pop("id")
            try:
                await self._collection.insert_one(doc)
            except DuplicateKeyError as exc:
                field = _duplicate_field(exc)
                raise Conflict(f"That {field} is already registered.", field=field) from None

    @staticmethod
    def new_id() -> str:
        """A fresh user id (a string: the stand-in cannot query UUID values)."""
        return str(uuid.uuid4())

    async def get(self, user_id: str) -> User | None:
        """The account with this id."""
        return self._to_user(await self._collection.find_one({"_id": user_id}))

    async def get_recent(self, user_id: str) -> User | None:
        """The account with this id as read at most a second ago on this instance (for `GET /auth/me` only)."""
        if (user := self._recent.get(user_id)) is not None:
            return user
        writes_before = self._recent.writes()
        if (user := await self.get(user_id)) is not None:
            self._recent.put(user, writes_before=writes_before)
        return user

    async def find_by_login(self, login: str) -> User | None:
        """The account whose e-mail (if `login` has an @) or username is `login`."""
        key = normalize_email(login)
        query = {"email": key} if "@" in key else {"username": key}
        return self._to_user(await self._collection.find_one(query))

    async def set_password_hash(self, user_id: str, password_hash: str, *, now: datetime) -> None:
        """Store an upgraded hash of the same password."""
        async with self._writing(user_id):
            await self._collection.update_one(
                {"_id": user_id}, {"$set": {"password_hash": password_hash, "updated_at": now}}
            )

    async def set_password(self, user_id: str, password_hash: str, *, now: datetime) -> None:
        """Replace the password (change or reset)."""
        await self.set_password_hash(user_id, password_hash, now=now)

    async def set_email(self, user_id: str, email: str, *, now: datetime) -> None:
        """Change the e-mail address; Conflict when another account has it (the unique index decides)."""
        async with self._writing(user_id):
            try:
                await self._collection.update_one(
                    {"_id": user_id, "status": {"$in": [None, ACTIVE]}}, {"$set": {"email": email, "updated_at": now}}
                )
            except DuplicateKeyError:
                raise Conflict("That email is already registered.", field="email") from None

    async def email_taken(self, email: str) -> bool:
        """Whether some account already uses this address (a hint only: the unique index is the guard)."""
        return await self._collection.count_documents({"email": email}, limit=1) > 0

    async def mark_deleting(self, user_id: str, *, now: datetime) -> None:
        """From now on the account cannot sign in; the deletion job finishes the work."""
        async with self._writing(user_id):
            await self._collection.update_one({"_id": user_id}, {"$set": {"status": DELETING, "updated_at": now}})

    async def delete(self, user_id: str) -> None:
        """Remove the account document for good."""
        async with self._writing(user_id):
            await self._collection.delete_one({"_id": user_id})

    async def start_totp(self, user_id: str, encrypted_secret: str) -> bool:
        """Store a new, unconfirmed TOTP secret unless TOTP is already enabled."""
        async with self._writing(user_id):
            # `$in: [None, ...]` rather than `$ne`: the stand-in's update_one does not match `$ne` against null.
            result = await self._collection.update_one(
                {"_id": user_id, "totp_status": {"$in": [None, "pending"]}},
                {"$set": {"totp_status": "pending", "totp_secret": encrypted_secret, "totp_last_step": 0}},
            )
            return result.modified_count == 1

    async def enable_totp(self, user_id: str, encrypted_secret: str, step: int, code_hashes: list[str]) -> bool:
        """Switch the pending secret on (only the secret the code was checked against) with recovery codes."""
        async with self._writing(user_id):
            result = await self._collection.update_one(
                {"_id": user_id, "totp_status": "pending", "totp_secret": encrypted_secret},
                {"$set": {"totp_status": "enabled", "totp_last_step": step, "recovery_codes": code_hashes}},
            )
            return result.modified_count == 1

    async def disable_totp(self, user_id: str) -> None:
        """Forget the secret and the recovery codes."""
        async with self._writing(user_id):
            await self._collection.update_one(
                {"_id": user_id},
                {"$unset": {"totp_status": "", "totp_secret": "", "totp_last_step": "", "recovery_codes": ""}},
            )

    async def use_totp_step(self, user_id: str, step: int) -> bool:
        """Record `step` as used if it is newer than the last used one: a code works once (compare-and-set)."""
        async with self._writing(user_id):
            result = await self._collection.update_one(
                {"_id": user_id, "totp_last_step": {"$lt": step}}, {"$set": {"totp_last_step": step}}
            )
            return result.modified_count == 1

    async def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        """Remove one recovery code if it is still there: each works once, even under concurrent use."""
        async with self._writing(user_id):
            result = await self._collection.update_one(
                {"_id": user_id, "recovery_codes": code_hash}, {"$pull": {"recovery_codes": code_hash}}
            )
            return result.modified_count == 1

    async def search(self, prefix: str, *, after: str | None, limit: int) -> list[User]:
        """Up to `limit` accounts whose e-mail or username starts with `prefix`, by e-mail, after e-mail `after`.

        E-mails are stored lower-cased and usernames can only be lower case, so a lower-cased prefix is the
        case-insensitive search, and an anchored, case-sensitive regex is one the unique indexes answer (a `/i`
        regex scans every key). Keyset by e-mail (unique): a page costs one index range however deep it is.
        """
        conditions: list[dict[str, Any]] = []
        if prefix:
            pattern = {"$regex": "^" + re.escape(prefix.lower())}
            conditions.append({"$or": [{"email": pattern}, {"username": pattern}]})
        if after is not None:
            conditions.append({"email": {"$gt": after}})
        query = {"$and": conditions} if conditions else {}
        docs = await self._collection.find(query).sort("email", ASCENDING).limit(limit).to_list()
        return [user for doc in docs if (user := self._to_user(doc)) is not None]

    async def suspend(self, user_id: str, suspension: Suspension) -> bool:
        """Suspend the account unless it is suspended already (the first suspension is kept); whether it changed."""
        async with self._writing(user_id):
            # `None` matches null (registration stores it) and absent (unsuspending `$unset`s it) alike.
            result = await self._collection.update_one(
                {"_id": user_id, "suspended": None},
                {"$set": {"suspended": msgspec.to_builtins(suspension, builtin_types=(datetime,))}},
            )
            return result.modified_count == 1

    async def unsuspend(self, user_id: str) -> bool:
        """Lift a suspension; whether there was one."""
        async with self._writing(user_id):
            result = await self._collection.update_one(
                {"_id": user_id, "suspended.reason": {"$exists": True}}, {"$unset": {"suspended": ""}}
            )
            return result.modified_count == 1

    async def set_role(self, user_id: str, role: str, *, now: datetime) -> None:
        """Store the account's role (the grant-role CLI is the only caller)."""
        async with self._writing(user_id):
            await self._collection.update_one({"_id": user_id}, {"$set": {"role": role, "updated_at": now}})

    @staticmethod
    def _to_user(doc: dict[str, Any] | None) -> User | None:
        if doc is None:
            return None
        doc["id"] = doc.pop("_id")
        user = utc_datetimes(msgspec.convert(doc, User, strict=False))
        if user.suspended is not None:
            user = msgspec.structs.replace(user, suspended=utc_datetimes(user.suspended))
        return user


def provide_users(state: State) -> UserRepository:
    """The users repository, once the database is ready."""
    users: UserRepository = state.services.ready().users
    return users


async def create_indexes(db: Database) -> None:
    """Uniqueness of e-mail and username: what makes concurrent registrations safe."""
    for field in UNIQUE_FIELDS:
        await db[COLLECTION].create_index(field, unique=True, name=f"{field}_unique")
