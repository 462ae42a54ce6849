"""The MongoDB client's lifetime, index creation, and the readiness check."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from service_kit.mongo import Database, IndexCreator, Mongo

logger = logging.getLogger(__name__)


# Each domain registers the coroutine that creates its collections' indexes.
INDEX_CREATORS: list[IndexCreator] = []


@asynccontextmanager
async def mongo_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Open the client for the app's lifetime and create indexes in the background."""
    settings = app.state.settings
    mongo = Mongo(
        settings.mongodb_uri,
        settings.database,
        appname="profile-service",
        timeout_ms=settings.mongodb_timeout_ms,
        indexes=INDEX_CREATORS,
    )
    app.state.mongo = mongo
    async with mongo.running():
        yield


def provide_db(state: State) -> Database:
    """The service's database, once its indexes exist (before that, writes could slip past a unique index)."""
    mongo: Mongo = state.mongo
    return mongo.ready_db()


async def mongo_ready(state: State) -> bool:
    """Readiness: MongoDB answers and the indexes exist."""
    mongo: Mongo = state.mongo
    return await mongo.ping()
