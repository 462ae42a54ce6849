"""The `users` collection: unique e-mail and username, enforced by MongoDB, never by a read-then-write."""

import re
import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar.di import NamedDependency
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from auth_service.db import INDEX_CREATORS, Database, utc_datetimes
from auth_service.errors import Conflict
from auth_service.users.schemas import User, normalize_email

COLLECTION = "users"
UNIQUE_FIELDS = ("email", "username")


def _duplicate_field(exc: DuplicateKeyError) -> str:
    details = exc.details or {}
    # Real MongoDB names the key pattern; the stand-in names only its index (`idx_users_email`).
    if pattern := details.get("keyPattern"):
        return str(next(iter(pattern)))
    match = re.search(r"index:? '?(?:idx_\w*?_)?(email|username)", str(details.get("errmsg", exc)))
    return match.group(1) if match else "email"


class UserRepository:
    """Accounts by id, e-mail or username."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection

    async def create(self, user: User) -> None:
        """Insert a new account; Conflict naming the field if the e-mail or username is taken."""
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

    async def find_by_login(self, login: str) -> User | None:
        """The account whose e-mail (if `login` has an @) or username is `login`."""
        key = normalize_email(login)
        query = {"email": key} if "@" in key else {"username": key}
        return self._to_user(await self._collection.find_one(query))

    async def set_password_hash(self, user_id: str, password_hash: str, *, now: datetime) -> None:
        """Store an upgraded hash of the same password."""
        await self._collection.update_one(
            {"_id": user_id}, {"$set": {"password_hash": password_hash, "updated_at": now}}
        )

    @staticmethod
    def _to_user(doc: dict[str, Any] | None) -> User | None:
        if doc is None:
            return None
        doc["id"] = doc.pop("_id")
        return utc_datetimes(msgspec.convert(doc, User, strict=False))


def provide_users(db: NamedDependency[Database]) -> UserRepository:
    """The repository over this service's database."""
    return UserRepository(db[COLLECTION])


async def create_indexes(db: Database) -> None:
    """Uniqueness of e-mail and username: what makes concurrent registrations safe."""
    for field in UNIQUE_FIELDS:
        await db[COLLECTION].create_index(field, unique=True, name=f"{field}_unique")


INDEX_CREATORS.append(create_indexes)
