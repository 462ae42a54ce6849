"""Durable side effects (e-mail, account deletion): jobs in MongoDB, performed by a worker in every instance.

A job is inserted before the request that caused it answers, so it survives a crash. Any instance's worker
claims a due job with one conditional `update_one` on its lease (`lease_until_ms` lapsed): of several
racing instances exactly one matches. A failed attempt releases the job with exponential backoff; after
`outbox_max_attempts` it is dead-lettered (`status: dead`) and left for an operator. Times are integer
milliseconds of the injectable clock: range queries on them behave the same on MongoDB and the stand-in,
which gives back `$set` datetimes as naive strings.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from auth_service.db import INDEX_CREATORS
from service_kit.clock import Clock
from service_kit.mongo import Database

logger = logging.getLogger(__name__)

PENDING, DONE, DEAD = "pending", "done", "dead"
EMAIL_OUTBOX = "email_outbox"
DELETION_OUTBOX = "account_deletions"
# Finished jobs are kept this long for inspection, then purged by TTL (housekeeping only).
DONE_RETENTION = timedelta(days=7)


class Job(msgspec.Struct, kw_only=True):
    """One side effect to perform; `payload` is the kind's own data."""

    id: str
    kind: str
    payload: dict[str, Any] = {}
    status: str = PENDING
    attempts: int = 0
    due_ms: int
    lease_until_ms: int = 0
    owner: str | None = None
    last_error: str | None = None
    created_at: datetime


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay after `attempts` failed attempts: base, 2*base, 4*base, ... at most `cap`."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


class Outbox:
    """Enqueue, claim, finish and release jobs of one collection."""

    def __init__(
        self, collection: AsyncCollection[dict[str, Any]], clock: Clock, wake: asyncio.Event | None = None
    ) -> None:
        self._collection = collection
        self._clock = clock
        self._wake = wake

    async def enqueue(self, kind: str, payload: dict[str, Any], *, job_id: str | None = None) -> bool:
        """Insert a job due now; with `job_id`, enqueueing twice is one job. True if this call created it."""
        now = self._clock()
        job = Job(id=job_id or str(uuid.uuid4()), kind=kind, payload=payload, due_ms=to_ms(now), created_at=now)
        doc: dict[str, Any] = msgspec.to_builtins(job, builtin_types=(datetime,))
        doc["_id"] = doc.pop("id")
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        if self._wake is not None:
            self._wake.set()
        return True

    async def claim(self, owner: str, lease_seconds: int, limit: int = 20) -> list[Job]:
        """Claim up to `limit` due jobs whose lease has lapsed; each claim is one compare-and-set."""
        now = to_ms(self._clock())
        cursor = (
            self._collection.find({"status": PENDING, "due_ms": {"$lte": now}, "lease_until_ms": {"$lt": now}})
            .sort("due_ms", ASCENDING)
            .limit(limit)
        )
        claimed = []
        for doc in await cursor.to_list():
            result = await self._collection.update_one(
                {"_id": doc["_id"], "status": PENDING, "lease_until_ms": {"$lt": now}},
                {"$set": {"lease_until_ms": now + lease_seconds * 1000, "owner": owner}, "$inc": {"attempts": 1}},
            )
            if result.modified_count == 1:
                doc["id"] = doc.pop("_id")
                doc["attempts"] = int(doc.get("attempts") or 0) + 1
                doc["owner"] = owner
                claimed.append(msgspec.convert(doc, Job, strict=False))
        return claimed

    async def finish(self, job: Job, *, forget_payload: bool = False) -> None:
        """Mark a job we hold done; `forget_payload` drops data (a link in a mail) no longer needed."""
        update: dict[str, Any] = {
            "$set": {"status": DONE, "lease_until_ms": 0, "finished_ms": to_ms(self._clock())},
        }
        if forget_payload:
            update["$unset"] = {"payload": ""}
        await self._collection.update_one({"_id": job.id, "owner": job.owner, "status": PENDING}, update)
        # The purge time sits in a sub-document written whole, where the stand-in keeps a real datetime.
        await self._collection.update_one({"_id": job.id}, {"$set": {"purge": {"at": self._clock() + DONE_RETENTION}}})

    async def release(self, job: Job, error: str, *, delay_seconds: float, dead: bool) -> None:
        """Give a failed job back for another attempt after `delay_seconds`, or dead-letter it."""
        values: dict[str, Any] = {"last_error": error[:500], "lease_until_ms": 0}
        if dead:
            values["status"] = DEAD
        else:
            values["due_ms"] = to_ms(self._clock()) + int(delay_seconds * 1000)
        await self._collection.update_one({"_id": job.id, "owner": job.owner, "status": PENDING}, {"$set": values})

    async def get(self, job_id: str) -> dict[str, Any] | None:
        """The raw job document (tests and operators)."""
        return await self._collection.find_one({"_id": job_id})


Handler = Callable[[Job], Awaitable[None]]


class OutboxWorker:
    """Performs one outbox's jobs with `handler`; `run_once` is what tests call, `run` loops until cancelled."""

    def __init__(
        self,
        name: str,
        outbox: Outbox,
        handler: Handler,
        *,
        wake: asyncio.Event,
        lease_seconds: int,
        max_attempts: int,
        backoff: float,
        backoff_cap: float,
        poll_seconds: float,
    ) -> None:
        self.name = name
        self._outbox = outbox
        self._handler = handler
        self._wake = wake
        self._lease_seconds = lease_seconds
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._backoff_cap = backoff_cap
        self._poll_seconds = poll_seconds
        self.owner = f"{name}-{uuid.uuid4().hex[:12]}"

    async def run_once(self) -> int:
        """Claim one batch of due jobs and perform them; how many were claimed."""
        jobs = await self._outbox.claim(self.owner, self._lease_seconds)
        await asyncio.gather(*(self._perform(job) for job in jobs))
        return len(jobs)

    async def run(self) -> None:
        """Work until cancelled: at once while there is work, else on wake-up or every poll interval."""
        while True:
            try:
                if await self.run_once():
                    continue
            except PyMongoError as exc:
                logger.warning("%s: database unavailable (%s)", self.name, type(exc).__name__)
            except Exception:
                logger.exception("%s: unexpected error", self.name)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)

    async def _perform(self, job: Job) -> None:
        log = {"job_id": job.id, "kind": job.kind, "attempt": job.attempts}
        try:
            await self._handler(job)
        except PyMongoError:
            raise
        except Exception as exc:
            dead = job.attempts >= self._max_attempts
            delay = backoff_seconds(job.attempts, self._backoff, self._backoff_cap)
            await self._outbox.release(job, f"{type(exc).__name__}: {exc}", delay_seconds=delay, dead=dead)
            if dead:
                logger.error("%s: job dead-lettered after %d attempts: %s", self.name, job.attempts, exc, extra=log)
            else:
                logger.warning("%s: job failed, retrying in %.1fs: %s", self.name, delay, exc, extra=log)
            return
        await self._outbox.finish(job, forget_payload=job.kind == "email")
        logger.info("%s: job done", self.name, extra=log)


async def create_indexes(db: Database) -> None:
    """Due jobs by status and time; finished ones purged by TTL."""
    for name in (EMAIL_OUTBOX, DELETION_OUTBOX):
        await db[name].create_index([("status", ASCENDING), ("due_ms", ASCENDING)], name="status_due")
        await db[name].create_index([("purge.at", ASCENDING)], expireAfterSeconds=0, name="purge_ttl")


INDEX_CREATORS.append(create_indexes)
