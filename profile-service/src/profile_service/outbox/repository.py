"""`profiles.outbox`: Cloudinary destroys to perform, claimed with a lease so several instances can share them.

A job's id is `destroy:{public_id}`, so scheduling the same destroy twice is one job. Claiming is a single
`update_one` whose filter requires the lease to have lapsed: of two instances racing for a job, one matches.

A finished job is armed again only on evidence that the asset exists *after* it was destroyed (an upload that
landed after its destroy ran). Without that evidence a late duplicate (a second instance handing over the same
replaced asset, a notification delivered twice) would destroy the asset a second time.
"""

import asyncio
from datetime import datetime, timedelta
from typing import Any

import msgspec
from litestar.datastructures import State
from litestar.di import NamedDependency
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from profile_service.clock import now_ms, utcnow
from profile_service.db import INDEX_CREATORS
from service_kit.mongo import Database

PENDING, DONE, DEAD = "pending", "done", "dead"
# Finished jobs are kept this long for inspection, then purged by TTL.
DONE_RETENTION = timedelta(days=7)


class Job(msgspec.Struct, kw_only=True):
    """A destroy to perform."""

    id: str = msgspec.field(name="_id")
    public_id: str
    user_id: str | None = None
    intent_id: str | None = None
    reason: str
    status: str
    attempts: int = 0
    due_ms: int
    lease_ms: int = 0
    # When the asset was destroyed (0: never, e.g. a job finished without destroying because the asset was in use).
    destroyed_ms: int = 0
    last_error: str | None = None
    created_at: datetime


class OutboxRepository:
    """Scheduling, claiming and finishing destroy jobs."""

    def __init__(self, db: Database, wake: asyncio.Event | None = None) -> None:
        self._collection: AsyncCollection[dict[str, Any]] = db["outbox"]
        self._wake = wake

    async def schedule_destroy(
        self,
        public_id: str,
        *,
        reason: str,
        user_id: str | None = None,
        intent_id: str | None = None,
        exists_at_ms: int | None = None,
    ) -> bool:
        """Schedule destruction of `public_id`; idempotent. True if this call created (or re-armed) the job.

        `exists_at_ms` is the caller's evidence that the asset existed at that time (its creation time, or when a
        listing showed it). A job that already destroyed the asset before then is armed again; one that
        destroyed it later, or with no evidence given, is left alone, so one asset is destroyed once.
        """
        job = Job(
            id=f"destroy:{public_id}",
            public_id=public_id,
            user_id=user_id,
            intent_id=intent_id,
            reason=reason,
            status=PENDING,
            due_ms=now_ms(),
            created_at=utcnow(),
        )
        try:
            await self._collection.insert_one(msgspec.to_builtins(job, builtin_types=(datetime,)))
        except DuplicateKeyError:
            # Already scheduled. A finished job is armed again only if it never destroyed the asset, or if the
            # asset provably exists again since (an upload that landed after its destroy ran).
            result = await self._collection.update_one(
                {"_id": job.id, "status": DONE, "destroyed_ms": {"$lt": max(1, exists_at_ms or 0)}},
                {
                    "$set": {"status": PENDING, "due_ms": now_ms(), "attempts": 0, "lease_ms": 0, "reason": reason},
                    "$unset": {"purge": "", "outcome": ""},
                },
            )
            if result.matched_count == 0:
                return False
        if self._wake is not None:
            self._wake.set()
        return True

    async def claim(self, owner: str, lease_seconds: float, limit: int = 20) -> list[Job]:
        """Claim up to `limit` due jobs whose lease lapsed; each claim is one conditional update_one."""
        now = now_ms()
        cursor = (
            self._collection.find({"status": PENDING, "due_ms": {"$lte": now}, "lease_ms": {"$lt": now}})
            .sort("due_ms", ASCENDING)
            .limit(limit)
        )
        claimed = []
        for doc in await cursor.to_list():
            result = await self._collection.update_one(
                {"_id": doc["_id"], "status": PENDING, "lease_ms": {"$lt": now}},
                {"$set": {"lease_ms": now + int(lease_seconds * 1000), "owner": owner}, "$inc": {"attempts": 1}},
            )
            if result.matched_count == 1:
                doc["attempts"] = int(doc.get("attempts") or 0) + 1
                claimed.append(msgspec.convert(doc, Job, strict=False))
        return claimed

    async def finish(self, job: Job, owner: str, outcome: str, *, destroyed: bool) -> None:
        """Mark a claimed job done (only while we still hold it); `destroyed` says whether the asset is gone."""
        finished = now_ms()
        await self._collection.update_one(
            {"_id": job.id, "owner": owner, "status": PENDING},
            {
                "$set": {
                    "status": DONE,
                    "outcome": outcome,
                    "lease_ms": 0,
                    "finished_ms": finished,
                    "destroyed_ms": finished if destroyed else 0,
                }
            },
        )
        # A TTL field must be a real datetime, and the stand-in keeps datetimes only inside sub-documents
        # written whole or at insert; the purge is housekeeping, so it may be a little late or never.
        await self._collection.update_one({"_id": job.id}, {"$set": {"purge": {"at": utcnow() + DONE_RETENTION}}})

    async def retry_later(self, job: Job, owner: str, error: str, delay_seconds: float, dead: bool) -> None:
        """Release a failed job for another attempt after `delay_seconds`, or dead-letter it."""
        values: dict[str, Any] = {"last_error": error[:500], "lease_ms": 0}
        if dead:
            values["status"] = DEAD
        else:
            values["due_ms"] = now_ms() + int(delay_seconds * 1000)
        await self._collection.update_one({"_id": job.id, "owner": owner, "status": PENDING}, {"$set": values})

    async def counts(self) -> dict[str, int]:
        """Jobs per status."""
        pipeline: list[dict[str, Any]] = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        cursor = await self._collection.aggregate(pipeline)
        return {str(doc["_id"]): int(doc["n"]) async for doc in cursor}

    async def pending_public_ids(self, public_ids: list[str]) -> set[str]:
        """Which of `public_ids` already have a destroy job waiting."""
        cursor = self._collection.find({"public_id": {"$in": public_ids}, "status": PENDING}, {"public_id": True})
        return {doc["public_id"] async for doc in cursor}


async def create_indexes(db: Database) -> None:
    """Due jobs are found by status and time; finished ones are purged by TTL."""
    collection = db["outbox"]
    await collection.create_index([("status", ASCENDING), ("due_ms", ASCENDING)], name="status_due")
    await collection.create_index([("purge.at", ASCENDING)], expireAfterSeconds=0, name="purge_ttl")


INDEX_CREATORS.append(create_indexes)


def provide_outbox(db: NamedDependency[Database], state: State) -> OutboxRepository:
    """The outbox over this request's database; scheduling a job wakes this instance's worker."""
    return OutboxRepository(db, getattr(state, "outbox_wake", None))
