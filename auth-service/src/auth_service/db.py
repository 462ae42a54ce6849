"""The MongoDB client's lifetime, index creation, and the readiness check."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
import pymongo
from litestar import Litestar
from litestar.datastructures import State
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from auth_service.config import Settings
from auth_service.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

Database = AsyncDatabase[dict[str, Any]]
StructT = TypeVar("StructT", bound=msgspec.Struct)
IndexCreator = Callable[[Database], Awaitable[None]]

# Each domain registers the coroutine that creates its collections' indexes.
INDEX_CREATORS: list[IndexCreator] = []


class Mongo:
    """The client, the service's database, and whether its indexes exist yet."""

    def __init__(self, settings: Settings) -> None:
        # No I/O here: the client connects lazily, so the service starts even while MongoDB is down.
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            settings.mongodb_uri,
            tz_aware=True,
            serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
            connectTimeoutMS=settings.mongodb_timeout_ms,
            appname="auth-service",
        )
        self.db: Database = self.client[settings.database]
        self.indexes_ready = asyncio.Event()

    async def ensure_indexes(self, retry_delay: float = 1.0) -> None:
        """Create every index, retrying until MongoDB answers; unique indexes guard data, so keep trying."""
        while True:
            try:
                for create in INDEX_CREATORS:
                    await create(self.db)
            except PyMongoError as exc:
                logger.warning("could not create indexes yet (%s); retrying", type(exc).__name__)
                await asyncio.sleep(retry_delay)
            else:
                self.indexes_ready.set()
                logger.info("indexes ready")
                return

    async def ping(self, within: float = 1.0) -> bool:
        """True when the database answers `ping` within `within` seconds and its indexes exist."""
        try:
            with pymongo.timeout(within):
                await self.db.command("ping")
        except PyMongoError:
            return False
        return self.indexes_ready.is_set()


@asynccontextmanager
async def mongo_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Open the client for the app's lifetime and create indexes in the background."""
    mongo = Mongo(app.state.settings)
    app.state.mongo = mongo
    indexing = asyncio.create_task(mongo.ensure_indexes())
    try:
        yield
    finally:
        indexing.cancel()
        await mongo.client.close()


def provide_db(state: State) -> Database:
    """The service's database, once its indexes exist (before that, writes could slip past a unique index)."""
    mongo: Mongo = state.mongo
    if not mongo.indexes_ready.is_set():
        raise ServiceUnavailable("The service is starting; try again shortly.", headers={"Retry-After": "1"})
    return mongo.db


def utc_datetimes(struct: StructT) -> StructT:
    """The Struct with naive datetimes read as UTC.

    The stand-in stores a datetime written by `$set` as a string without its timezone (msgspec parses it
    back naive), so such fields are only ever compared for presence, never queried by range; every
    datetime we store is UTC, so both servers then give back the same aware values.
    """
    naive = {
        name: value.replace(tzinfo=UTC)
        for name in struct.__struct_fields__
        if isinstance(value := getattr(struct, name), datetime) and value.tzinfo is None
    }
    return msgspec.structs.replace(struct, **naive) if naive else struct
