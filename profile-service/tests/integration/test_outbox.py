"""The outbox against the Mongo stand-in: leases, retries with backoff, dead letters. Cloudinary is the
configured account's upload_prefix, 127.0.0.1:9, where nothing listens: every destroy fails for real."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from profile_service.avatars.cloudinary import CloudinaryAccount, CloudinaryAssets, configure_sdk
from profile_service.clock import now_ms
from profile_service.config import Settings
from profile_service.metrics import Metrics
from profile_service.outbox.repository import OutboxRepository, create_indexes
from profile_service.outbox.worker import OutboxWorker, backoff_seconds


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=2000
    )
    await create_indexes(client[settings.database])
    configure_sdk(CloudinaryAccount.from_url(settings.cloudinary_url))
    try:
        yield client[settings.database]
    finally:
        await client.close()


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n, 2.0, 10.0) for n in (1, 2, 3, 4, 5)] == [2.0, 4.0, 8.0, 10.0, 10.0]


async def test_scheduling_the_same_destroy_twice_is_one_job(db: AsyncDatabase[dict[str, Any]]) -> None:
    outbox = OutboxRepository(db)

    created = [await outbox.schedule_destroy("p/u1/a", reason="replaced") for _ in range(2)]

    assert created == [True, False]
    assert await outbox.counts() == {"pending": 1}


async def _destroyed(outbox: OutboxRepository, public_id: str, *, destroyed: bool = True) -> int:
    """Claim and finish the job for `public_id` as a worker would; returns when it finished (epoch ms)."""
    [job] = [j for j in await outbox.claim("w", 30) if j.public_id == public_id]
    await outbox.finish(job, "w", "ok" if destroyed else "in use: skipped", destroyed=destroyed)
    return now_ms()


async def test_a_late_duplicate_never_destroys_an_asset_twice(db: AsyncDatabase[dict[str, Any]]) -> None:
    outbox = OutboxRepository(db)
    await outbox.schedule_destroy("p/u1/a", reason="replaced")
    finished = await _destroyed(outbox, "p/u1/a")

    # A second instance handing over the same replaced asset, or a duplicate notification of an upload
    # created before the destroy ran: the job stays finished.
    assert await outbox.schedule_destroy("p/u1/a", reason="replaced") is False
    assert await outbox.schedule_destroy("p/u1/a", reason="superseded", exists_at_ms=finished - 1000) is False
    assert await outbox.counts() == {"done": 1}


async def test_an_asset_that_exists_again_after_its_destroy_is_destroyed_again(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    outbox = OutboxRepository(db)
    await outbox.schedule_destroy("p/u1/a", reason="superseded")
    finished = await _destroyed(outbox, "p/u1/a")

    # The same signed upload posted again after the destroy: Cloudinary reports a newer creation time.
    assert await outbox.schedule_destroy("p/u1/a", reason="superseded", exists_at_ms=finished + 1000) is True
    assert await outbox.counts() == {"pending": 1}


async def test_a_job_that_skipped_an_asset_in_use_is_armed_again_when_it_is_replaced(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    outbox = OutboxRepository(db)
    await outbox.schedule_destroy("p/u1/a", reason="orphan")
    await _destroyed(outbox, "p/u1/a", destroyed=False)

    assert await outbox.schedule_destroy("p/u1/a", reason="replaced") is True
    assert await outbox.counts() == {"pending": 1}


async def test_two_workers_never_claim_the_same_job(db: AsyncDatabase[dict[str, Any]]) -> None:
    outbox = OutboxRepository(db)
    for i in range(10):
        await outbox.schedule_destroy(f"p/u1/{i}", reason="replaced")

    first, second = await asyncio.gather(outbox.claim("w1", 30), outbox.claim("w2", 30))

    assert len(first) + len(second) == 10
    assert not {j.id for j in first} & {j.id for j in second}
    assert await outbox.claim("w3", 30) == []


async def test_a_failing_destroy_is_retried_then_dead_lettered(
    db: AsyncDatabase[dict[str, Any]], settings: Settings
) -> None:
    tight = msgspec_replace(
        settings, outbox_max_attempts=3, outbox_backoff_seconds=0.01, outbox_backoff_max_seconds=0.02
    )
    worker = OutboxWorker(db, CloudinaryAssets(timeout=0.5), tight, Metrics(), asyncio.Event())
    await OutboxRepository(db).schedule_destroy("p/u1/gone", reason="replaced")

    for _ in range(200):
        await worker.run_once()
        if (await OutboxRepository(db).counts()).get("dead"):
            break
        await asyncio.sleep(0.01)

    job = await db["outbox"].find_one({"_id": "destroy:p/u1/gone"})
    assert job is not None
    assert job["status"] == "dead"
    assert job["attempts"] == 3
    assert "CloudinaryUnavailable" in job["last_error"]


def msgspec_replace(settings: Settings, **changes: Any) -> Settings:
    import msgspec

    return msgspec.structs.replace(settings, **changes)


async def test_reconciliation_hands_over_replaced_assets_left_on_a_profile(
    db: AsyncDatabase[dict[str, Any]], settings: Settings
) -> None:
    from profile_service.reconcile import Reconciler

    # As if the process died between the guarded profile write and the outbox insert.
    await db["profiles"].insert_one({"_id": "u1", "applied_seq": 2, "avatar": None, "retired": ["p/u1/old"]})

    report = await Reconciler(db, CloudinaryAssets(timeout=0.5), settings, Metrics()).reconcile_overdue()

    assert report.retired_handed_over == 1
    assert await db["outbox"].find_one({"_id": "destroy:p/u1/old"}) is not None
    assert (await db["profiles"].find_one({"_id": "u1"}) or {})["retired"] == []
