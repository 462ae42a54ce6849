"""The outbox against the Mongo stand-in: leases, retries with backoff, dead letters. Cloudinary is the
configured account's upload_prefix, 127.0.0.1:9, where nothing listens: every destroy fails for real."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from profile_service.avatars.cloudinary import Asset, CloudinaryAssets
from profile_service.config import Settings
from profile_service.outbox.repository import OutboxRepository
from profile_service.services import Services, build, running
from service_kit.outbox import Finished, backoff_seconds
from tests.fakes import FakeAssets


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    """The service's objects without its background loops (tests run the worker themselves)."""
    async with running(build(settings, assets=CloudinaryAssets(timeout=0.5)), background=False) as built:
        yield built


@pytest.fixture
def db(services: Services) -> AsyncDatabase[dict[str, Any]]:
    return services.mongo.db


@pytest.fixture
def outbox(services: Services) -> OutboxRepository:
    return services.outbox


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n, 2.0, 10.0) for n in (1, 2, 3, 4, 5)] == [2.0, 4.0, 8.0, 10.0, 10.0]


async def test_scheduling_the_same_destroy_twice_is_one_job(outbox: OutboxRepository) -> None:
    created = [await outbox.schedule_destroy("p/u1/a", reason="replaced") for _ in range(2)]

    assert created == [True, False]
    assert await outbox.counts() == {"pending": 1}


async def _destroyed(outbox: OutboxRepository, public_id: str, *, destroyed: bool = True) -> int:
    """Claim and finish the job for `public_id` as a worker would; returns when it finished (epoch ms)."""
    [job] = [j for j in await outbox.queue.claim("w", 30) if j.public_id == public_id]
    outcome = {"outcome": "ok", "destroyed_ms": outbox.queue.now_ms()} if destroyed else {"outcome": "in use: skipped"}
    await outbox.queue.finish(job, Finished(set=outcome))
    return outbox.queue.now_ms()


async def test_a_late_duplicate_never_destroys_an_asset_twice(outbox: OutboxRepository) -> None:
    await outbox.schedule_destroy("p/u1/a", reason="replaced")
    finished = await _destroyed(outbox, "p/u1/a")

    # A second instance handing over the same replaced asset, or a duplicate notification of an upload
    # created before the destroy ran: the job stays finished.
    assert await outbox.schedule_destroy("p/u1/a", reason="replaced") is False
    assert await outbox.schedule_destroy("p/u1/a", reason="superseded", exists_at_ms=finished - 1000) is False
    assert await outbox.counts() == {"done": 1}


async def test_an_asset_that_exists_again_after_its_destroy_is_destroyed_again(
    outbox: OutboxRepository,
) -> None:
    await outbox.schedule_destroy("p/u1/a", reason="superseded")
    finished = await _destroyed(outbox, "p/u1/a")

    # The same signed upload posted again after the destroy: Cloudinary reports a newer creation time.
    assert await outbox.schedule_destroy("p/u1/a", reason="superseded", exists_at_ms=finished + 1000) is True
    assert await outbox.counts() == {"pending": 1}


async def test_a_job_that_skipped_an_asset_in_use_is_armed_again_when_it_is_replaced(
    outbox: OutboxRepository,
) -> None:
    await outbox.schedule_destroy("p/u1/a", reason="orphan")
    await _destroyed(outbox, "p/u1/a", destroyed=False)

    assert await outbox.schedule_destroy("p/u1/a", reason="replaced") is True
    assert await outbox.counts() == {"pending": 1}


async def test_two_workers_never_claim_the_same_job(outbox: OutboxRepository) -> None:
    for i in range(10):
        await outbox.schedule_destroy(f"p/u1/{i}", reason="replaced")

    first, second = await asyncio.gather(outbox.queue.claim("w1", 30), outbox.queue.claim("w2", 30))

    assert len(first) + len(second) == 10
    assert not {j.id for j in first} & {j.id for j in second}
    assert await outbox.queue.claim("w3", 30) == []


async def test_a_failing_destroy_is_retried_then_dead_lettered(
    db: AsyncDatabase[dict[str, Any]], settings: Settings
) -> None:
    tight = msgspec_replace(
        settings, outbox_max_attempts=3, outbox_backoff_seconds=0.01, outbox_backoff_max_seconds=0.02
    )
    async with running(build(tight, assets=CloudinaryAssets(timeout=0.5)), background=False) as services:
        await services.outbox.schedule_destroy("p/u1/gone", reason="replaced")

        for _ in range(200):
            await services.outbox_worker.run_once()
            if (await services.outbox.counts()).get("dead"):
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
    services: Services, db: AsyncDatabase[dict[str, Any]]
) -> None:
    # As if the process died between the guarded profile write and the outbox insert.
    await db["profiles"].insert_one({"_id": "u1", "applied_seq": 2, "avatar": None, "retired": ["p/u1/old"]})

    report = await services.reconciler.reconcile_overdue()

    assert report.retired_handed_over == 1
    assert await db["outbox"].find_one({"_id": "destroy:p/u1/old"}) is not None
    assert (await db["profiles"].find_one({"_id": "u1"}) or {})["retired"] == []


async def test_a_job_written_before_the_move_to_the_chassis_is_claimed_and_performed(
    db: AsyncDatabase[dict[str, Any]], settings: Settings
) -> None:
    # The old outbox kept the lease in `lease_ms` and never wrote `lease_until_ms`, which the chassis claims on.
    created = datetime(2026, 1, 1, tzinfo=UTC)
    old: dict[str, Any] = {
        "_id": "destroy:p/u1/old",
        "public_id": "p/u1/old",
        "user_id": "u1",
        "intent_id": None,
        "reason": "replaced",
    }
    old |= {"status": "pending", "attempts": 0, "due_ms": 0, "lease_ms": 0, "destroyed_ms": 0, "created_at": created}
    await db["outbox"].insert_one(old)
    assets = FakeAssets()
    assets.assets["p/u1/old"] = Asset(
        public_id="p/u1/old", version=1, secure_url="https://x/p/u1/old.jpg", format="jpg", bytes=1, width=64, height=64
    )

    # A new instance starts: its index creation (run twice, as every start does) makes the job claimable.
    async with running(build(settings, assets=assets), background=False) as upgraded:
        await upgraded.mongo.ensure_indexes()
        claimed = await upgraded.outbox_worker.run_once()

    job = await db["outbox"].find_one({"_id": "destroy:p/u1/old"})
    assert claimed == 1
    assert assets.destroyed == ["p/u1/old"]
    assert job is not None
    assert (job["status"], job["outcome"], job["attempts"]) == ("done", "ok", 1)
    assert job["destroyed_ms"] > 0
