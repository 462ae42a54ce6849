"""The MongoDB lifespan against a real MongoDB-protocol server: indexes in the background, 503 until they exist."""

import asyncio

import pytest
from pymongo.errors import DuplicateKeyError

from service_kit.errors import ServiceUnavailable
from service_kit.mongo import Database, Mongo


async def test_running_creates_every_index_then_is_ready(mongodb_uri: str, database_name: str) -> None:
    release = asyncio.Event()
    created: list[str] = []

    async def users(db: Database) -> None:
        await release.wait()
        await db["users"].create_index("email", unique=True, name="email_unique")
        created.append("users")

    async def jobs(db: Database) -> None:
        await db["jobs"].create_index("due_ms", name="due")
        created.append("jobs")

    mongo = Mongo(mongodb_uri, database_name, appname="kit-test", timeout_ms=2000, indexes=[users, jobs])
    async with mongo.running():
        with pytest.raises(ServiceUnavailable):
            mongo.ready_db()
        assert not await mongo.ping()
        release.set()
        await asyncio.wait_for(mongo.indexes_ready.wait(), timeout=10)

        assert mongo.ready_db() is mongo.db
        assert await mongo.ping()
        assert created == ["users", "jobs"]
        # The unique index exists and guards data (the stand-in names indexes its own way, so check behaviour).
        await mongo.db["users"].insert_one({"_id": "u1", "email": "a@example.com"})
        with pytest.raises(DuplicateKeyError):
            await mongo.db["users"].insert_one({"_id": "u2", "email": "a@example.com"})
        await mongo.client.drop_database(database_name)


async def test_an_unreachable_server_is_not_ready_and_keeps_retrying() -> None:
    attempts = 0
    retried = asyncio.Event()

    async def count(db: Database) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 2:
            retried.set()
        await db.command("ping")

    mongo = Mongo("mongodb://127.0.0.1:1", "nothing", appname="kit-test", timeout_ms=100, indexes=[count])
    retrying = asyncio.create_task(mongo.ensure_indexes(retry_delay=0.01))
    try:
        await asyncio.wait_for(retried.wait(), timeout=10)
        assert not await mongo.ping(within=0.2)
        assert not mongo.indexes_ready.is_set()
    finally:
        retrying.cancel()
        await mongo.client.close()


async def test_the_client_counts_every_command_it_sends(mongodb_uri: str, database_name: str) -> None:
    mongo = Mongo(mongodb_uri, database_name, appname="kit-test", timeout_ms=2000, indexes=[])
    async with mongo.running():
        await asyncio.wait_for(mongo.indexes_ready.wait(), timeout=10)
        before = dict(mongo.commands.counts)
        await mongo.db["things"].insert_one({"_id": "t1"})
        await mongo.db["things"].find_one({"_id": "t1"})
        await mongo.db["things"].find_one({"_id": "t2"})
        after = dict(mongo.commands.counts)
        await mongo.client.drop_database(database_name)

    assert {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)} == {
        "insert": 1,
        "find": 2,
    }
