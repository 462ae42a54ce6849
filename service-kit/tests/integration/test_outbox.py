"""The leased-job core against a real MongoDB-protocol server, on an injected clock: one claim per job among racing
workers, retries with backoff, dead letters, and what a finished job records."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from service_kit.outbox import (
    CLAIM_LIMIT,
    DEAD,
    DONE,
    PENDING,
    Finished,
    Job,
    JobQueue,
    JobWorker,
    Retry,
    create_job_indexes,
)


class Mail(Job, kw_only=True):
    """A domain's job: what it carries beside the core's fields."""

    to: str
    payload: dict[str, Any] = {}


class FakeClock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


RETRY = Retry(lease_seconds=30, max_attempts=3, backoff_seconds=2, backoff_max_seconds=5, poll_seconds=0.05)


@pytest.fixture
async def collection(mongodb_uri: str, database_name: str) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=2000
    )
    jobs = client[database_name]["jobs"]
    await create_job_indexes(jobs)
    yield jobs
    await client.drop_database(database_name)
    await client.close()


def queue(collection: AsyncCollection[dict[str, Any]], clock: FakeClock) -> JobQueue[Mail]:
    return JobQueue(collection, Mail, clock, asyncio.Event())


async def test_enqueueing_one_id_twice_is_one_job(collection: AsyncCollection[dict[str, Any]]) -> None:
    jobs = queue(collection, FakeClock())

    first = await jobs.enqueue(Mail(id="mail:1", to="a@example.com"))
    second = await jobs.enqueue(Mail(id="mail:1", to="b@example.com"))

    assert (first, second) == (True, False)
    stored = await jobs.get("mail:1")
    assert stored is not None
    assert (stored["to"], stored["status"], stored["attempts"], stored["lease_until_ms"]) == (
        "a@example.com",
        PENDING,
        0,
        0,
    )


async def test_of_two_racing_claims_exactly_one_gets_each_job(collection: AsyncCollection[dict[str, Any]]) -> None:
    clock = FakeClock()
    jobs = queue(collection, clock)
    for n in range(10):
        await jobs.enqueue(Mail(id=f"mail:{n}", to="a@example.com"))

    a, b = await asyncio.gather(jobs.claim("a", 30), jobs.claim("b", 30))

    assert sorted(job.id for job in a + b) == sorted(f"mail:{n}" for n in range(10))
    assert {job.owner for job in a} <= {"a"} and {job.owner for job in b} <= {"b"}
    assert all(job.attempts == 1 for job in a + b)
    # Held jobs are not claimed again until their lease lapses.
    assert await jobs.claim("c", 30) == []
    clock.advance(31)
    assert len(await jobs.claim("c", 30)) == 10


async def test_finish_records_the_domains_fields_and_a_purge_time_only_while_holding_the_lease(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    clock = FakeClock()
    jobs = queue(collection, clock)
    await jobs.enqueue(Mail(id="mail:1", to="a@example.com", payload={"link": "secret"}))
    [held] = await jobs.claim("a", 30)
    clock.advance(31)
    [stolen] = await jobs.claim("b", 30)

    lost = await jobs.finish(held, Finished(set={"outcome": "sent"}))
    after_lost = await jobs.get("mail:1")
    won = await jobs.finish(stolen, Finished(set={"outcome": "sent"}, unset=("payload",)))

    assert (lost, won) == (False, True)
    stored = await jobs.get("mail:1")
    assert stored is not None
    assert (stored["status"], stored["outcome"], stored["owner"], "payload" in stored) == (DONE, "sent", "b", False)
    assert stored["purge"]["at"] > clock.now
    # One update, only while holding the lease: the lost finish wrote nothing, not even the purge time.
    assert after_lost is not None
    assert (after_lost["status"], "purge" in after_lost, "outcome" in after_lost) == (PENDING, False, False)


async def test_a_failing_job_is_retried_with_backoff_then_dead_lettered(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    clock = FakeClock()
    jobs = queue(collection, clock)
    failures: list[tuple[str, bool]] = []

    async def perform(job: Mail) -> Finished:
        raise ConnectionError(f"smtp down for {job.to}")

    worker = JobWorker(
        "mail", jobs, perform, RETRY, wake=asyncio.Event(), on_failure=lambda job, dead: failures.append((job.id, dead))
    )
    await jobs.enqueue(Mail(id="mail:1", to="a@example.com"))

    claimed = [await worker.run_once()]
    clock.advance(1.9)  # the first backoff is 2 s: not due yet
    claimed.append(await worker.run_once())
    clock.advance(0.2)
    claimed.append(await worker.run_once())
    clock.advance(4.1)  # then 4 s
    claimed.append(await worker.run_once())
    clock.advance(3600)  # dead jobs stay dead
    claimed.append(await worker.run_once())

    assert claimed == [1, 0, 1, 1, 0]
    assert failures == [("mail:1", False), ("mail:1", False), ("mail:1", True)]
    stored = await jobs.get("mail:1")
    assert stored is not None
    assert (stored["status"], stored["attempts"]) == (DEAD, 3)
    assert stored["last_error"] == "ConnectionError: smtp down for a@example.com"


async def test_the_worker_performs_due_jobs_once_and_records_their_result(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    clock = FakeClock()
    jobs = queue(collection, clock)
    sent: list[str] = []

    async def perform(job: Mail) -> Finished:
        sent.append(job.to)
        return Finished(set={"outcome": "sent"})

    first = JobWorker("mail", jobs, perform, RETRY, wake=asyncio.Event())
    second = JobWorker("mail", jobs, perform, RETRY, wake=asyncio.Event())
    for n in range(5):
        await jobs.enqueue(Mail(id=f"mail:{n}", to=f"{n}@example.com"))

    counts = await asyncio.gather(first.run_once(), second.run_once())
    clock.advance(3600)
    again = await asyncio.gather(first.run_once(), second.run_once())

    assert sum(counts) == 5 and list(again) == [0, 0]
    assert sorted(sent) == sorted(f"{n}@example.com" for n in range(5))
    assert await jobs.counts() == {DONE: 5}


async def test_the_running_worker_is_woken_by_jobs_enqueued_during_a_batch_and_drains_more_than_one_claim(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    # A poll interval no test waits out: every job here must be reached through a wake-up or a full claim.
    patient = Retry(lease_seconds=30, max_attempts=3, backoff_seconds=2, backoff_max_seconds=5, poll_seconds=600)
    total = CLAIM_LIMIT + 6
    all_finished = asyncio.Event()

    class CountingQueue(JobQueue[Mail]):
        """The real queue; it says when the last job's finish is written (performing it is not the end)."""

        finished = 0

        async def finish(self, job: Mail, finished: Finished | None = None) -> bool:
            written = await super().finish(job, finished)
            self.finished += 1
            if self.finished == total + 2:
                all_finished.set()
            return written

    wake = asyncio.Event()
    jobs = CountingQueue(collection, Mail, FakeClock(), wake)
    sent: list[str] = []

    async def perform(job: Mail) -> Finished:
        sent.append(job.id)
        if job.id == "mail:first":
            # Enqueued while its batch is being performed: the wake-up must not be lost to the batch's end.
            await jobs.enqueue(Mail(id="mail:during", to="d@example.com"))
        return Finished()

    worker = JobWorker("mail", jobs, perform, patient, wake=wake)
    running = asyncio.create_task(worker.run())
    try:
        await jobs.enqueue(Mail(id="mail:first", to="f@example.com"))
        for n in range(total):
            await jobs.enqueue(Mail(id=f"mail:{n}", to=f"{n}@example.com"))
        await asyncio.wait_for(all_finished.wait(), timeout=20)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    assert sorted(sent) == sorted(["mail:first", "mail:during", *(f"mail:{n}" for n in range(total))])
    assert await jobs.counts() == {DONE: total + 2}


async def test_the_running_worker_stops_when_cancelled_as_its_wake_up_arrives(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    # Python 3.11's asyncio.wait_for returns the awaited result, dropping the cancellation, when both land in the
    # same loop turn: a worker waiting that way kept running (a test's teardown hung, a shutdown would too).
    patient = Retry(lease_seconds=30, max_attempts=3, backoff_seconds=2, backoff_max_seconds=5, poll_seconds=600)

    class Parked(asyncio.Event):
        """The worker's wake-up; `waiting` is set once the worker waits on it (nothing left to claim)."""

        def __init__(self) -> None:
            super().__init__()
            self.waiting = asyncio.Event()

        async def wait(self) -> Literal[True]:
            self.waiting.set()
            return await super().wait()

    wake = Parked()
    jobs = JobQueue(collection, Mail, FakeClock(), wake)

    async def perform(job: Mail) -> Finished:
        return Finished()

    running = asyncio.create_task(JobWorker("mail", jobs, perform, patient, wake=wake).run())
    try:
        await asyncio.wait_for(wake.waiting.wait(), timeout=20)
        wake.set()  # a job enqueued, say, in the same turn as the shutdown
        running.cancel()
        async with asyncio.timeout(10):
            await asyncio.gather(running, return_exceptions=True)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert running.cancelled()
