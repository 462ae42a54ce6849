"""The MongoDB client's lifetime, the service's explicit index list, and the readiness check.

One client factory, so every process of a service (the app, its CLIs, the tests) connects with the same options.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pymongo
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from service_kit.errors import ServiceUnavailable
from service_kit.metrics import MongoCommandCounter

logger = logging.getLogger(__name__)

Database = AsyncDatabase[dict[str, Any]]
IndexCreator = Callable[[Database], Awaitable[None]]


class Mongo:
    """The client, the service's database, its index creators, whether the indexes exist yet, and the count of
    commands sent (`commands`, a Prometheus collector for the service's registry)."""

    def __init__(
        self,
        uri: str,
        database: str,
        *,
        appname: str,
        timeout_ms: int,
        indexes: Sequence[IndexCreator],
        listeners: Sequence[monitoring.CommandListener] = (),
    ) -> None:
        """`listeners`: PyMongo command listeners (the tracing's command spans, `Tracing.mongo_listeners()`)."""
        # Registered here, the one place every service's client is built, so no service can forget it.
        self.commands = MongoCommandCounter()
        # No I/O here: the client connects lazily, so the service starts even while MongoDB is down.
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            uri,
            tz_aware=True,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            appname=appname,
            event_listeners=[self.commands, *listeners],
        )
        self.db: Database = self.client[database]
        self.indexes = tuple(indexes)
        self.indexes_ready = asyncio.Event()

    async def ensure_indexes(self, retry_delay: float = 1.0) -> None:
        """Create every index, retrying until MongoDB answers; unique indexes guard data, so keep trying."""
        while True:
            try:
                for create in self.indexes:
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

    def ready_db(self) -> Database:
        """The database, once its indexes exist (before that, writes could slip past a unique index)."""
        if not self.indexes_ready.is_set():
            raise ServiceUnavailable("The service is starting; try again shortly.", headers={"Retry-After": "1"})
        return self.db

    @asynccontextmanager
    async def running(self) -> AsyncIterator["Mongo"]:
        """The app's lifetime: indexes created in the background (requests get 503 until then), client closed."""
        indexing = asyncio.create_task(self.ensure_indexes(), name="indexes")
        try:
            yield self
        finally:
            indexing.cancel()
            await self.client.close()
