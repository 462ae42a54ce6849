"""The change feed (`profiles.profile_changes`): every change of a profile's public view, in commit order.

Design (several instances write at once; the stand-in has single-document atomicity only):

- The profile write itself records the change as a marker (`feed_pending.<id>: {kinds, at_ms}` plus
  `feed_pending_ms`, set in the same single-document update, so it commits with the change or not at all; a map,
  not an array: the stand-in stores `$push`ed sub-documents as JSON strings). Publishing it into the feed comes
  next, then the marker is unset. A process that dies in between leaves the marker; the sweep
  (`ProfileRepository.publish_stranded`, every `change_sweep_interval_seconds`) publishes markers older than the
  gap timeout. Events carry the marker's id (`change_id`, unique), so publishing twice (a sweep racing a slow
  writer) stores one event: the loser fills the number it took with a placeholder at once.
- Publishing takes the next sequence number from one counter document (`profiles.counters`, one atomic `$inc`) and
  then inserts the event with `_id` = that number. A global counter alone does not give commit order: a writer can
  take 7, another take 8 and insert first. So readers never pass a hole: a page stops before the first missing
  number, and that hole is held back until its event arrives.
- A hole whose writer died (or lost its database connection) between the two writes would block every reader for
  good, so a hole older than `change_gap_timeout_seconds` (measured by the event after it, which was numbered
  after the hole's writer took its number) is filled by the reader with a `skipped` placeholder (an `insert` with
  that `_id`, so only one of the writer's event and the placeholder can ever hold a number) and counted in
  `profile_change_gaps_skipped_total`. A slow writer that finds its number taken by a placeholder takes a new
  number and inserts again: its change appears later, never lost, never twice.
- Events carry `at` (a real datetime: the TTL index purges them after the retention). Cursors are
  `<seq>-<at ms>`, so whether a cursor is older than the retention is decided from the cursor itself, never from
  when a TTL purge happened to run.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from profile_service.feed.schemas import ChangeKind, ProfileChangeEvent, ProfileChangePage
from service_kit.clock import Clock, from_ms, to_ms
from service_kit.errors import BadRequest, Gone, problem_type
from service_kit.mongo import Database

logger = logging.getLogger(__name__)

COUNTER_ID = "profile_changes"
SKIPPED = "skipped"
CURSOR_GONE = problem_type("cursor-expired")
# A hole wider than this is not in-flight writers: fill at most this many placeholders per read.
MAX_HOLE = 1000


def _change_id(user_id: str, marker: dict[str, Any], kind: str) -> str:
    return f"{user_id}:{marker['id']}:{kind}"


def cursor_of(seq: int, at: datetime) -> str:
    """The cursor naming event `seq` written at `at`."""
    return f"{seq}-{to_ms(at)}"


def parse_cursor(cursor: str) -> tuple[int, int]:
    """(seq, at ms) of a cursor; BadRequest when it is not one this service hands out."""
    seq, sep, at_ms = cursor.partition("-")
    if not sep or not seq.isdecimal() or not at_ms.isdecimal() or len(seq) > 18 or len(at_ms) > 13:
        raise BadRequest("`after` is not a cursor this service handed out.")
    return int(seq), int(at_ms)


class ChangeFeed:
    """Records and reads profile changes; one per process (its in-process wake-up serves long polls)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        retention_days: int,
        gap_timeout_seconds: float,
        on_gap_skipped: Callable[[int], None] = lambda _: None,
    ) -> None:
        self._events: AsyncCollection[dict[str, Any]] = db["profile_changes"]
        self._counters: AsyncCollection[dict[str, Any]] = db["counters"]
        self._clock = clock
        self.retention = timedelta(days=retention_days)
        self._gap_timeout = timedelta(seconds=gap_timeout_seconds)
        self._on_gap_skipped = on_gap_skipped
        self._written = asyncio.Event()

    def marker(self, *kinds: ChangeKind, marker_id: str | None = None) -> dict[str, Any]:
        """The record of a change to store in the profile write itself (`feed_pending`), published afterwards.
        `marker_id` is a field name (no dots); random unless given."""
        return {"id": marker_id or uuid.uuid4().hex, "kinds": list(kinds), "at_ms": to_ms(self._clock())}

    async def publish(self, user_id: str, marker: dict[str, Any], kinds: list[ChangeKind] | None = None) -> None:
        """Append the marker's changes (`kinds`: those of them that happened; all by default); idempotent."""
        for kind in marker["kinds"] if kinds is None else kinds:
            await self._record(user_id, kind, _change_id(user_id, marker, kind), from_ms(int(marker["at_ms"])))

    async def publish_many(self, changes: list[tuple[str, dict[str, Any], list[ChangeKind] | None]]) -> None:
        """`publish` for several (user id, marker, kinds) at once, in that order: one counter `$inc` for all their
        numbers and one `insert_many`, so a burst of changes costs two round trips, not two per change. An event
        whose number or `change_id` is taken already goes the one-at-a-time way of `publish`."""
        events = [
            (user_id, kind, _change_id(user_id, marker, kind), from_ms(int(marker["at_ms"])))
            for user_id, marker, kinds in changes
            for kind in (marker["kinds"] if kinds is None else kinds)
        ]
        if not events:
            return
        last = await self._next_seq(len(events))
        docs: list[dict[str, Any]] = [
            {"_id": last - len(events) + 1 + index, "change_id": change_id, "user_id": user_id, "kind": kind, "at": at}
            for index, (user_id, kind, change_id, at) in enumerate(events)
        ]
        try:
            await self._events.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            failed = [error for error in exc.details.get("writeErrors", []) if error.get("code") == 11000]
            if len(failed) != len(exc.details.get("writeErrors", [])):
                raise
            for error in failed:
                doc = docs[int(error["index"])]
                if await self._events.find_one({"change_id": doc["change_id"]}, {"_id": True}) is not None:
                    await self._placeholders([doc["_id"]])  # published already (the sweep raced us)
                else:  # a reader gave our number up for lost: take another
                    await self._record(doc["user_id"], doc["kind"], doc["change_id"], doc["at"])
        self._wake()

    async def published(self, user_id: str, marker: dict[str, Any]) -> bool:
        """Whether every change of the marker is in the feed already."""
        ids = [_change_id(user_id, marker, kind) for kind in marker["kinds"]]
        return await self._events.count_documents({"change_id": {"$in": ids}}) == len(ids)

    async def _record(self, user_id: str, kind: str, change_id: str, at: datetime) -> None:
        while True:
            seq = await self._next_seq()
            try:
                await self._events.insert_one(
                    {"_id": seq, "change_id": change_id, "user_id": user_id, "kind": kind, "at": at}
                )
            except DuplicateKeyError:
                if await self._events.find_one({"change_id": change_id}, {"_id": True}) is not None:
                    # Published already (the sweep raced us): fill our number now so no reader waits on it.
                    await self._placeholders([seq])
                    return
                # A reader gave our number up for lost (we were slower than the gap timeout): take another.
                logger.warning("change feed: a sequence was skipped before its event arrived", extra={"seq": seq})
                continue
            self._wake()
            return

    async def _placeholders(self, seqs: list[int]) -> int:
        """Fill these numbers with `skipped` placeholders where nothing holds them yet; how many were filled."""
        now = self._clock()
        docs = [
            {"_id": seq, "change_id": f"{SKIPPED}:{seq}", "user_id": None, "kind": SKIPPED, "at": now} for seq in seqs
        ]
        try:
            await self._events.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            # Duplicates: the late events (or another reader's placeholders) got there first.
            return int(exc.details.get("nInserted", 0))
        return len(docs)

    async def _next_seq(self, count: int = 1) -> int:
        # The last of `count` consecutive numbers taken at once.
        while True:
            doc = await self._counters.find_one_and_update(
                {"_id": COUNTER_ID}, {"$inc": {"seq": count}}, return_document=ReturnDocument.AFTER
            )
            if doc is not None:
                return int(doc["seq"])
            # Created by insert-and-catch-duplicate: the stand-in drops $setOnInsert in find_one_and_update upserts.
            with contextlib.suppress(DuplicateKeyError):
                await self._counters.insert_one({"_id": COUNTER_ID, "seq": 0})

    def _wake(self) -> None:
        self._written.set()
        self._written = asyncio.Event()

    async def page(self, after: str | None, limit: int, wait: float) -> ProfileChangePage:
        """Up to `limit` changes after `after` (from the oldest retained when None), waiting up to `wait` seconds
        for one when there is none yet; Gone (410) for a cursor older than the retention."""
        start = None if after is None else parse_cursor(after)
        if start is not None and from_ms(start[1]) < self._clock() - self.retention:
            raise Gone(
                "This cursor is older than the change feed's retention: resync with the lookup, then follow the "
                "feed from its start (no `after`).",
                type=CURSOR_GONE,
            )
        deadline = time.monotonic() + wait
        while True:
            written = self._written
            page = await self._read(after, None if start is None else start[0], limit)
            remaining = deadline - time.monotonic()
            if page.changes or remaining <= 0:
                return page
            # Woken at once by a write through this instance; other instances' writes are seen at the next poll.
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can drop the cancellation of a long poll whose
            # client went away (service_kit.outbox has the same wait).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, POLL_SECONDS)):
                    await written.wait()
            if page.next_cursor != (after or ""):
                after, start = page.next_cursor, parse_cursor(page.next_cursor)

    async def _read(self, after: str | None, after_seq: int | None, limit: int) -> ProfileChangePage:
        if after_seq is None:
            # From the start: the oldest event still within the retention (TTL purges lazily), then on by number.
            first = await self._events.find_one(
                {"at": {"$gte": self._clock() - self.retention}}, {"_id": True}, sort=[("_id", ASCENDING)]
            )
            if first is None:
                return ProfileChangePage(changes=[], next_cursor=await self._start_cursor())
            after_seq = int(first["_id"]) - 1
        # A hole given up is read past at once; bounded, in case placeholders cannot be written (then it waits).
        for _ in range(3):
            docs = await self._events.find({"_id": {"$gt": after_seq}}).sort("_id", ASCENDING).limit(limit).to_list()
            changes: list[ProfileChangeEvent] = []
            last: tuple[int, datetime] | None = None
            expected = after_seq + 1
            refill = False
            for doc in docs:
                seq = int(doc["_id"])
                if seq != expected:
                    refill = await self._skip_if_abandoned(expected, seq, doc["at"])
                    break
                last, expected = (seq, doc["at"]), seq + 1
                if doc.get("kind") != SKIPPED:
                    changes.append(
                        ProfileChangeEvent(
                            cursor=cursor_of(seq, doc["at"]), user_id=doc["user_id"], kind=doc["kind"], at=doc["at"]
                        )
                    )
            if not (refill and not changes):
                break
        if last is not None:
            return ProfileChangePage(changes=changes, next_cursor=cursor_of(*last))
        if after is not None:
            return ProfileChangePage(changes=[], next_cursor=after)
        # From the start, and the first retained number is still a hole: resume just before it.
        return ProfileChangePage(changes=[], next_cursor=cursor_of(after_seq, self._clock()))

    async def _skip_if_abandoned(self, first: int, found: int, found_at: datetime) -> bool:
        """Fill the hole `first`..`found - 1` with placeholders if its writers are given up for lost."""
        if self._clock() - found_at < self._gap_timeout:
            return False
        filled = await self._placeholders(list(range(first, min(found, first + MAX_HOLE))))
        if filled:
            logger.warning("change feed: gave up waiting for %d sequence number(s)", filled, extra={"first": first})
            self._on_gap_skipped(filled)
        return True

    async def _start_cursor(self) -> str:
        # An empty feed read from its start: a cursor past every event held (all older than the retention), so
        # that resuming from it does not wait on numbers that were purged.
        newest = await self._events.find_one({}, sort=[("_id", DESCENDING)])
        if newest is None:
            return cursor_of(0, self._clock())
        return cursor_of(int(newest["_id"]), self._clock())


# How often a long poll looks for other instances' writes.
POLL_SECONDS = 0.1


async def create_indexes(db: Database, retention_days: int) -> None:
    """Events expire after the retention (TTL on `at`, a real datetime); a change is published once."""
    await db["profile_changes"].create_index([("change_id", ASCENDING)], name="change_id", unique=True)
    await db["profile_changes"].create_index(
        [("at", ASCENDING)], name="at_ttl", expireAfterSeconds=int(timedelta(days=retention_days).total_seconds())
    )
