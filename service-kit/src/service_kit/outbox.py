"""Durable side effects: jobs in one MongoDB collection, performed by a worker in every instance.

A job is inserted before the request that caused it answers, so it survives a crash. Any instance's worker
claims a due job with one conditional `update_one` on its lease (`lease_until_ms` lapsed): of several racing
instances exactly one matches, and `matched_count` says which. A failed attempt releases the job with
exponential backoff; after `max_attempts` it is dead-lettered (`status: dead`) and left for an operator.
Finished jobs are purged by TTL. Times are integer milliseconds of the injected clock: range queries on them
behave the same on MongoDB and on the stand-in, which gives back `$set` datetimes as naive strings.

The domain owns what a job carries (a subclass of `Job`) and what performing it means (a `Perform` callable).
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import msgspec
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from service_kit.clock import Clock, to_ms
from service_kit.tracing import Tracing, current_traceparent

logger = logging.getLogger(__name__)

PENDING, DONE, DEAD = "pending", "done", "dead"
# Jobs one claim takes at most; a worker whose claim came back short has nothing more due until it is woken.
CLAIM_LIMIT = 20
# Finished jobs are kept this long for inspection, then purged by TTL (housekeeping only).
DONE_RETENTION = timedelta(days=7)


class Job(msgspec.Struct, kw_only=True):
    """The fields the core reads and writes; a domain subclasses it with what its jobs carry."""

    id: str = msgspec.field(name="_id")
    status: str = PENDING
    attempts: int = 0
    due_ms: int = 0
    lease_until_ms: int = 0
    owner: str | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    # The W3C traceparent of the span that caused the job: the worker's span for it links back there.
    traceparent: str | None = None


JobT = TypeVar("JobT", bound=Job)


class Finished(msgspec.Struct, frozen=True, kw_only=True):
    """What a successful attempt records on its job beside `status: done`."""

    set: Mapping[str, Any] = {}
    unset: tuple[str, ...] = ()


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay after `attempts` failed attempts: base, 2*base, 4*base, ... at most `cap`."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


class JobQueue(Generic[JobT]):
    """Enqueue, claim, finish and release the jobs of one collection."""

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        job_type: type[JobT],
        clock: Clock,
        wake: asyncio.Event | None = None,
    ) -> None:
        self.collection = collection
        self._job_type = job_type
        self._clock = clock
        self._wake = wake

    def now_ms(self) -> int:
        """The queue's clock in epoch milliseconds."""
        return to_ms(self._clock())

    def wake(self) -> None:
        """Tell this instance's worker there is work (other instances find it when they next poll)."""
        if self._wake is not None:
            self._wake.set()

    async def enqueue(self, job: JobT) -> bool:
        """Insert `job` pending and due now; an already stored job of that id wins. True if this call created it.

        A job without a `traceparent` gets the current span's, so the worker's span links to what caused it."""
        now = self._clock()
        job = msgspec.structs.replace(
            job,
            status=PENDING,
            attempts=0,
            due_ms=to_ms(now),
            lease_until_ms=0,
            owner=None,
            created_at=now,
            traceparent=job.traceparent or current_traceparent(),
        )
        try:
            await self.collection.insert_one(msgspec.to_builtins(job, builtin_types=(datetime,)))
        except DuplicateKeyError:
            return False
        self.wake()
        return True

    async def claim(self, owner: str, lease_seconds: float, limit: int = CLAIM_LIMIT) -> list[JobT]:
        """Claim up to `limit` due jobs whose lease has lapsed; each claim is one compare-and-set."""
        now = self.now_ms()
        cursor = (
            self.collection.find({"status": PENDING, "due_ms": {"$lte": now}, "lease_until_ms": {"$lt": now}})
            .sort("due_ms", ASCENDING)
            .limit(limit)
        )
        claimed = []
        for doc in await cursor.to_list():
            result = await self.collection.update_one(
                {"_id": doc["_id"], "status": PENDING, "lease_until_ms": {"$lt": now}},
                {"$set": {"lease_until_ms": now + int(lease_seconds * 1000), "owner": owner}, "$inc": {"attempts": 1}},
            )
            if result.matched_count == 1:
                doc["attempts"] = int(doc.get("attempts") or 0) + 1
                doc["owner"] = owner
                claimed.append(msgspec.convert(doc, self._job_type, strict=False))
        return claimed

    async def finish(self, job: JobT, finished: Finished | None = None) -> bool:
        """Mark a job we hold done; False if our lease was lost to another instance meanwhile."""
        finished = finished or Finished()
        # A TTL field must be a real datetime, and the stand-in keeps datetimes only inside sub-documents written
        # whole or at insert: `purge` is set as a whole sub-document, in the same single update as the rest.
        update: dict[str, Any] = {
            "$set": {
                **finished.set,
                "status": DONE,
                "lease_until_ms": 0,
                "finished_ms": self.now_ms(),
                "purge": {"at": self._clock() + DONE_RETENTION},
            },
        }
        if finished.unset:
            update["$unset"] = dict.fromkeys(finished.unset, "")
        result = await self.collection.update_one({"_id": job.id, "owner": job.owner, "status": PENDING}, update)
        return result.matched_count == 1

    async def release(self, job: JobT, error: str, *, delay_seconds: float, dead: bool) -> None:
        """Give a failed job back for another attempt after `delay_seconds`, or dead-letter it."""
        values: dict[str, Any] = {"last_error": error[:500], "lease_until_ms": 0}
        if dead:
            values["status"] = DEAD
        else:
            values["due_ms"] = self.now_ms() + int(delay_seconds * 1000)
        await self.collection.update_one({"_id": job.id, "owner": job.owner, "status": PENDING}, {"$set": values})

    async def counts(self) -> dict[str, int]:
        """Jobs per status."""
        pipeline: list[dict[str, Any]] = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        cursor = await self.collection.aggregate(pipeline)
        return {str(doc["_id"]): int(doc["n"]) async for doc in cursor}

    async def get(self, job_id: str) -> dict[str, Any] | None:
        """The raw job document (tests and operators)."""
        return await self.collection.find_one({"_id": job_id})


async def create_job_indexes(collection: AsyncCollection[dict[str, Any]]) -> None:
    """Due jobs are found by status and time; finished ones are purged by TTL."""
    await collection.create_index([("status", ASCENDING), ("due_ms", ASCENDING)], name="status_due")
    await collection.create_index([("purge.at", ASCENDING)], expireAfterSeconds=0, name="purge_ttl")


Perform = Callable[[JobT], Awaitable[Finished]]
FailureHook = Callable[[JobT, bool], None]


class Retry(msgspec.Struct, frozen=True, kw_only=True):
    """How a worker holds and retries jobs."""

    lease_seconds: float
    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float
    poll_seconds: float


class JobWorker(Generic[JobT]):
    """Performs one queue's jobs; `run_once` is what tests call, `run` loops until cancelled.

    `perform` raising means the attempt failed (retried with backoff, then dead-lettered), except for a database
    error, which ends the batch: the job's lease lapses and any instance claims it again once MongoDB answers.
    """

    def __init__(
        self,
        name: str,
        queue: JobQueue[JobT],
        perform: Perform[JobT],
        retry: Retry,
        *,
        wake: asyncio.Event,
        log_fields: Callable[[JobT], Mapping[str, Any]] = lambda job: {},
        on_failure: FailureHook[JobT] | None = None,
        tracing: Tracing | None = None,
        span_attributes: Callable[[JobT], Mapping[str, str | None]] = lambda job: {},
    ) -> None:
        self.name = name
        self.owner = f"{name}-{uuid.uuid4().hex[:12]}"
        self._queue = queue
        self._perform_job = perform
        self._retry = retry
        self._wake = wake
        self._log_fields = log_fields
        self._on_failure = on_failure
        self._tracing = tracing or Tracing.disabled()
        self._span_attributes = span_attributes

    async def run_once(self) -> int:
        """Claim one batch of due jobs and perform them concurrently; how many were claimed."""
        jobs = await self._queue.claim(self.owner, self._retry.lease_seconds)
        await asyncio.gather(*(self._perform(job) for job in jobs))
        return len(jobs)

    async def run(self) -> None:
        """Work until cancelled: at once while there is work, else on wake-up or every poll interval.

        The wake-up is cleared before each claim, so a job enqueued while a batch runs wakes the next one; a
        claim that came back short of the limit found everything then due, so no second claim is sent to learn
        that nothing is left (one command less per batch).
        """
        while True:
            self._wake.clear()
            try:
                if await self.run_once() >= CLAIM_LIMIT:
                    continue
            except PyMongoError as exc:
                logger.warning("%s: database unavailable (%s)", self.name, type(exc).__name__)
            except Exception:
                logger.exception("%s: unexpected error", self.name)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation that lands in the same
            # loop turn as the wake-up, and the worker would not stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._retry.poll_seconds):
                    await self._wake.wait()

    async def _perform(self, job: JobT) -> None:
        attributes = {"job.id": job.id, "job.attempt": str(job.attempts), **self._span_attributes(job)}
        # A span of its own (the worker runs outside any request), linked to the span that scheduled the job.
        with self._tracing.linked_span(f"{self.name} job", job.traceparent, attributes):
            await self._attempt(job)

    async def _attempt(self, job: JobT) -> None:
        log = {"job_id": job.id, "attempt": job.attempts, **self._log_fields(job)}
        try:
            finished = await self._perform_job(job)
        except PyMongoError:
            raise
        except Exception as exc:
            dead = job.attempts >= self._retry.max_attempts
            delay = backoff_seconds(job.attempts, self._retry.backoff_seconds, self._retry.backoff_max_seconds)
            await self._queue.release(job, f"{type(exc).__name__}: {exc}", delay_seconds=delay, dead=dead)
            if self._on_failure is not None:
                self._on_failure(job, dead)
            if dead:
                logger.error("%s: job dead-lettered after %d attempts: %s", self.name, job.attempts, exc, extra=log)
            else:
                logger.warning("%s: job failed, retrying in %.1fs: %s", self.name, delay, exc, extra=log)
            return
        await self._queue.finish(job, finished)
        logger.info("%s: job done", self.name, extra=log)
