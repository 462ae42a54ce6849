"""One user racing themselves: concurrent signing and avatar deletion through the whole app (one event loop, real
concurrency against the session's MongoDB). Contention must never turn into a 500."""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pymongo.asynchronous.database import AsyncDatabase

from profile_service.app import create_app
from profile_service.config import Settings
from profile_service.services import Services, build, running
from tests.conftest import TokenFactory, auth

# Well beyond one user's browser (the report was 50): the old read-then-compare-and-set loop gave up below this.
CONCURRENCY = 150


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with running(build(settings), background=False) as built:
        yield built


@pytest.fixture
def db(services: Services) -> AsyncDatabase[dict[str, Any]]:
    return services.mongo.db


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    # Quotas out of the way: this is about contention; tests/integration/test_quota.py races them.
    unlimited = msgspec.structs.replace(settings, max_open_uploads=10_000, max_uploads_per_hour=10_000)
    async with AsyncTestClient(create_app(unlimited)) as client:
        # Indexes are created in the background at start-up; `/ready` says when the app serves.
        deadline = time.monotonic() + 10
        while (await client.get("/ready")).status_code != 200:
            assert time.monotonic() < deadline, "the app never became ready"
            await asyncio.sleep(0.02)
        yield client


async def test_concurrent_sequence_allocations_are_distinct_and_consecutive(services: Services) -> None:
    profiles = services.profiles
    await profiles.ensure("u1", "alice")

    allocated = await asyncio.gather(*(profiles.next_seq("u1") for _ in range(CONCURRENCY)))

    assert sorted(allocated) == list(range(1, CONCURRENCY + 1))


async def test_concurrent_signing_by_one_user_all_succeed_with_distinct_sequences(
    app_client: AsyncTestClient[Litestar], db: AsyncDatabase[dict[str, Any]], token: TokenFactory
) -> None:
    headers = auth(token("u1", "alice"))
    assert (await app_client.get("/profiles/me", headers=headers)).status_code == 200

    responses = await asyncio.gather(
        *(app_client.post("/profiles/me/avatar/uploads", headers=headers) for _ in range(CONCURRENCY))
    )

    assert [r.status_code for r in responses] == [201] * CONCURRENCY, [r.text for r in responses if r.is_error]
    upload_ids = [r.json()["upload_id"] for r in responses]
    seqs = [doc["seq"] async for doc in db["upload_intents"].find({"_id": {"$in": upload_ids}}, {"seq": True})]
    assert sorted(seqs) == list(range(1, CONCURRENCY + 1))


async def test_concurrent_avatar_deletions_by_one_user_all_succeed(
    app_client: AsyncTestClient[Litestar], db: AsyncDatabase[dict[str, Any]], token: TokenFactory
) -> None:
    headers = auth(token("u1", "alice"))
    assert (await app_client.get("/profiles/me", headers=headers)).status_code == 200

    responses = await asyncio.gather(
        *(app_client.delete("/profiles/me/avatar", headers=headers) for _ in range(CONCURRENCY))
    )

    assert [r.status_code for r in responses] == [204] * CONCURRENCY, [r.text for r in responses if r.is_error]
    doc = await db["profiles"].find_one({"_id": "u1"}, {"avatar_seq": True, "applied_seq": True})
    assert doc is not None
    # Every deletion took a sequence, and the newest one is what the profile shows.
    assert (doc["avatar_seq"], doc["applied_seq"]) == (CONCURRENCY, CONCURRENCY)
