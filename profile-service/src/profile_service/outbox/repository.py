"""`profiles.outbox`: the Cloudinary destroys to perform, on the chassis' leased-job queue (service_kit.outbox).

A job's id is `destroy:{public_id}`, so scheduling the same destroy twice is one job. Claiming, leases, backoff,
dead letters and the TTL purge are the chassis'; what is ours is what a destroy job carries and when a finished
one is armed again.

A finished job is armed again only on evidence that the asset exists *after* it was destroyed (an upload that
landed after its destroy ran). Without that evidence a late duplicate (a second instance handing over the same
replaced asset, a notification delivered twice) would destroy the asset a second time.
"""

from service_kit.mongo import Database
from service_kit.outbox import DONE, PENDING, Job, JobQueue, create_job_indexes
from service_kit.tracing import current_traceparent


class DestroyJob(Job, kw_only=True):
    """A destroy to perform."""

    public_id: str
    user_id: str | None = None
    intent_id: str | None = None
    reason: str
    # When the asset was destroyed (0: never, e.g. a job finished without destroying because the asset was in use).
    destroyed_ms: int = 0
    outcome: str | None = None


class OutboxRepository:
    """Scheduling destroy jobs, and what the rest of the service asks about them."""

    def __init__(self, queue: JobQueue[DestroyJob]) -> None:
        self.queue = queue

    async def schedule_destroy(
        self,
        public_id: str,
        *,
        reason: str,
        user_id: str | None = None,
        intent_id: str | None = None,
        exists_at_ms: int | None = None,
        traceparent: str | None = None,
    ) -> bool:
        """Schedule destruction of `public_id`; idempotent. True if this call created (or re-armed) the job.

        `exists_at_ms` is the caller's evidence that the asset existed at that time (its creation time, or when a
        listing showed it). A job that already destroyed the asset before then is armed again; one that
        destroyed it later, or with no evidence given, is left alone, so one asset is destroyed once.
        `traceparent`: the span the destroy's own span links to (the upload's signing request; by default the
        current span).
        """
        job = DestroyJob(
            id=f"destroy:{public_id}",
            public_id=public_id,
            user_id=user_id,
            intent_id=intent_id,
            reason=reason,
            traceparent=traceparent or current_traceparent(),
        )
        if await self.queue.enqueue(job):
            return True
        # Already scheduled. A finished job is armed again only if it never destroyed the asset, or if the asset
        # provably exists again since (an upload that landed after its destroy ran): one compare-and-set.
        result = await self.queue.collection.update_one(
            {"_id": job.id, "status": DONE, "destroyed_ms": {"$lt": max(1, exists_at_ms or 0)}},
            {
                "$set": {
                    "status": PENDING,
                    "due_ms": self.queue.now_ms(),
                    "attempts": 0,
                    "lease_until_ms": 0,
                    "reason": reason,
                    "traceparent": job.traceparent,
                },
                "$unset": {"purge": "", "outcome": ""},
            },
        )
        if result.matched_count == 0:
            return False
        self.queue.wake()
        return True

    async def pending_public_ids(self, public_ids: list[str]) -> set[str]:
        """Which of `public_ids` already have a destroy job waiting."""
        cursor = self.queue.collection.find({"public_id": {"$in": public_ids}, "status": PENDING}, {"public_id": True})
        return {doc["public_id"] async for doc in cursor}

    async def counts(self) -> dict[str, int]:
        """Jobs per status."""
        return await self.queue.counts()


async def create_indexes(db: Database) -> None:
    """The chassis' job indexes, and jobs written before the move to it made claimable again."""
    collection = db["outbox"]
    await create_job_indexes(collection)
    # Jobs written by the service's own outbox kept their lease in `lease_ms`; the chassis claims on
    # `lease_until_ms`, which a missing field never matches. Idempotent, and each document changes on its own.
    await collection.update_many({"lease_until_ms": {"$exists": False}}, {"$set": {"lease_until_ms": 0}})
