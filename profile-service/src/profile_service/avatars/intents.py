"""Upload intents: one per signed upload, keyed by the random upload id that ends its public_id."""

import enum
from datetime import datetime, timedelta
from typing import Any

import msgspec
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from service_kit.clock import Clock, to_ms
from service_kit.mongo import Database


class IntentStatus(enum.StrEnum):
    """Where an upload stands. `expired`: the parameters lapsed, Cloudinary has no asset and no later upload won
    (with a newer picture on the profile, reconciliation records `superseded` instead)."""

    PENDING = "pending"
    APPLIED = "applied"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"
    EXPIRED = "expired"
    # Uploaded, but its asset waits for a moderation decision: never shown publicly until approved.
    AWAITING_MODERATION = "awaiting_moderation"


# An asset may still be applied from these (a late notification for an intent reconciliation expired).
APPLICABLE = (IntentStatus.PENDING, IntentStatus.EXPIRED)


class Review(msgspec.Struct):
    """An admin's decision as asked of Cloudinary, stored before Cloudinary is told: the notification that the
    decision itself causes may arrive first, and must carry out the admin's reason, not the moderator's kind."""

    outcome: str
    reason: str | None
    by: str


class Intent(msgspec.Struct, kw_only=True):
    """A stored intent. Times that change are epoch milliseconds (see service_kit.clock)."""

    id: str = msgspec.field(name="_id")
    user_id: str
    public_id: str
    seq: int
    status: IntentStatus
    created_at: datetime
    expires_ms: int
    purge_at: datetime
    reason: str | None = None
    version: int | None = None
    updated_ms: int | None = None
    # Moderation (PROFILE_MODERATION): the kind signed into the upload (None: not moderated), the owner's username
    # from the signing token (the review queue shows it), the asset Cloudinary reported when the intent entered
    # awaiting_moderation (enough to apply it on approval without asking the Admin API), and the decision.
    moderation: str | None = None
    username: str | None = None
    asset: dict[str, Any] | None = None
    # None until decided, then "approved" | "rejected": set once by a compare-and-set (`claim_decision`).
    moderation_status: str | None = None
    decided_by: str | None = None
    decided_ms: int | None = None
    review: Review | None = None
    awaiting_ms: int | None = None
    # When reconciliation last asked Cloudinary about this awaiting upload (it asks at most once per period);
    # `awaiting_ms` until it first asks.
    checked_ms: int | None = None
    # The W3C traceparent of the signing request's span: later work on this upload (webhook apply, confirm,
    # reconciliation, the outbox) starts spans linked to it, so one upload's life reads as one connected trace.
    traceparent: str | None = None


class IntentRepository:
    """`profiles.upload_intents`; every status change is one conditional update_one."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._collection: AsyncCollection[dict[str, Any]] = db["upload_intents"]
        self._clock = clock

    def now(self) -> datetime:
        """The time a new intent is created at (its parameters are signed with the same time)."""
        return self._clock()

    async def create(self, intent: Intent) -> None:
        """Store a new intent (before its parameters are handed out)."""
        await self._collection.insert_one(msgspec.to_builtins(intent, builtin_types=(datetime,)))

    async def get(self, intent_id: str) -> Intent | None:
        """The intent with this id."""
        doc = await self._collection.find_one({"_id": intent_id})
        return None if doc is None else msgspec.convert(doc, Intent, strict=False)

    async def by_public_id(self, public_id: str) -> Intent | None:
        """The intent that signed this public_id."""
        doc = await self._collection.find_one({"public_id": public_id})
        return None if doc is None else msgspec.convert(doc, Intent, strict=False)

    async def transition(
        self,
        intent_id: str,
        to: IntentStatus,
        *,
        only_from: tuple[IntentStatus, ...],
        reason: str | None = None,
        version: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> bool:
        """Move the intent to `to` if it is in one of `only_from`; True if this call changed it. `extra` fields are
        set in the same write (the moderation snapshot, say)."""
        values: dict[str, Any] = {**(extra or {}), "status": to.value, "updated_ms": to_ms(self._clock())}
        if reason is not None:
            values["reason"] = reason
        if version is not None:
            values["version"] = version
        result = await self._collection.update_one(
            {"_id": intent_id, "status": {"$in": [s.value for s in only_from]}}, {"$set": values}
        )
        return result.matched_count == 1

    async def claim_decision(self, intent_id: str, outcome: str, *, by: str) -> bool:
        """Record a moderation decision once: True if this call made it (the intent had none), False otherwise."""
        result = await self._collection.update_one(
            {"_id": intent_id, "moderation_status": None},
            {"$set": {"moderation_status": outcome, "decided_by": by, "decided_ms": to_ms(self._clock())}},
        )
        return result.matched_count == 1

    async def request_review(self, intent_id: str, review: Review) -> None:
        """Store the admin's decision before Cloudinary is told (only while undecided: a decision stands)."""
        await self._collection.update_one(
            {"_id": intent_id, "moderation_status": None}, {"$set": {"review": msgspec.to_builtins(review)}}
        )

    async def mark_checked(self, intent_id: str) -> None:
        """Note that reconciliation asked Cloudinary about this awaiting upload just now."""
        await self._collection.update_one({"_id": intent_id}, {"$set": {"checked_ms": to_ms(self._clock())}})

    async def awaiting_unchecked(self, before_ms: int, limit: int = 200) -> list[Intent]:
        """Awaiting uploads nobody decided since `before_ms` and reconciliation has not asked about since then."""
        cursor = (
            self._collection.find(
                # `checked_ms` starts as `awaiting_ms` (no `$or` with a null: the stand-in does not match it there).
                {"status": IntentStatus.AWAITING_MODERATION.value, "checked_ms": {"$lt": before_ms}}
            )
            .sort("checked_ms", ASCENDING)
            .limit(limit)
        )
        return [msgspec.convert(doc, Intent, strict=False) async for doc in cursor]

    async def newest_awaiting(self, user_id: str) -> Intent | None:
        """The user's awaiting upload with the highest sequence (the one the owner sees as `pending_avatar`)."""
        cursor = (
            self._collection.find({"user_id": user_id, "status": IntentStatus.AWAITING_MODERATION.value})
            .sort("seq", -1)
            .limit(1)
        )
        async for doc in cursor:
            return msgspec.convert(doc, Intent, strict=False)
        return None

    async def overdue(self, before_ms: int, limit: int = 200) -> list[Intent]:
        """Pending intents whose parameters lapsed before `before_ms` (candidates for reconciliation)."""
        cursor = (
            self._collection.find({"status": IntentStatus.PENDING.value, "expires_ms": {"$lt": before_ms}})
            .sort("expires_ms", ASCENDING)
            .limit(limit)
        )
        return [msgspec.convert(doc, Intent, strict=False) async for doc in cursor]

    async def live_public_ids(self, public_ids: list[str]) -> set[str]:
        """Which of `public_ids` belong to an intent still waiting for its upload or for a moderation decision (the
        orphan sweep must leave both alone: an asset under review is on no profile yet)."""
        waiting = [IntentStatus.PENDING.value, IntentStatus.AWAITING_MODERATION.value]
        cursor = self._collection.find(
            {"public_id": {"$in": public_ids}, "status": {"$in": waiting}}, {"public_id": True}
        )
        return {doc["public_id"] async for doc in cursor}

    async def public_ids_of(self, user_id: str) -> list[str]:
        """Every public_id ever signed for the user (whatever became of it), while its record is kept."""
        cursor = self._collection.find({"user_id": user_id}, {"public_id": True})
        return [doc["public_id"] async for doc in cursor]

    async def supersede_all(self, user_id: str, reason: str) -> int:
        """Mark every intent of the user that could still be applied (or is applied) superseded: after an
        account deletion none of them may ever reach a profile. Returns how many changed."""
        result = await self._collection.update_many(
            {
                "user_id": user_id,
                "status": {
                    "$in": [
                        *(s.value for s in APPLICABLE),
                        IntentStatus.APPLIED.value,
                        IntentStatus.AWAITING_MODERATION.value,
                    ]
                },
            },
            {"$set": {"status": IntentStatus.SUPERSEDED.value, "reason": reason, "updated_ms": to_ms(self._clock())}},
        )
        return result.modified_count

    async def count_by_status(self) -> dict[str, int]:
        """How many intents are in each status."""
        pipeline: list[dict[str, Any]] = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        cursor = await self._collection.aggregate(pipeline)
        return {str(doc["_id"]): int(doc["n"]) async for doc in cursor}

    async def count_overdue(self, before_ms: int) -> int:
        """Pending intents whose parameters lapsed before `before_ms`: stuck, if reconciliation keeps up."""
        return await self._collection.count_documents(
            {"status": IntentStatus.PENDING.value, "expires_ms": {"$lt": before_ms}}
        )

    async def moderation_page(
        self, status: str, *, after: tuple[int, str] | None, limit: int
    ) -> tuple[list[Intent], tuple[int, str] | None]:
        """A page of the review queue and, when more follow, the (milliseconds, id) its last item sorts by.

        `pending`: uploads awaiting a decision, oldest first by `awaiting_ms`; `approved` / `rejected`: decided
        ones, newest first by `decided_ms`; ties broken by id. `after` is the (milliseconds, id) the previous page
        ended at. Two plain range queries (the ties at `after`'s millisecond, then everything past it) instead of
        one `$or` over two fields, which lost and repeated entries on the MongoDB stand-in.
        """
        if status == "pending":
            base: dict[str, Any] = {"status": IntentStatus.AWAITING_MODERATION.value}
            field, order, past = "awaiting_ms", ASCENDING, "$gt"
        else:
            base = {"moderation_status": status}
            field, order, past = "decided_ms", DESCENDING, "$lt"
        docs: list[dict[str, Any]] = []
        rest = base
        if after is not None:
            ms, last_id = after
            ties = self._collection.find({**base, field: ms, "_id": {past: last_id}}).sort("_id", order)
            docs = await ties.limit(limit + 1).to_list()
            rest = {**base, field: {past: ms}}
        if len(docs) <= limit:
            more = self._collection.find(rest).sort([(field, order), ("_id", order)]).limit(limit + 1 - len(docs))
            docs += await more.to_list()
        page = [msgspec.convert(doc, Intent, strict=False) for doc in docs[:limit]]
        last = docs[limit - 1] if len(docs) > limit else None
        return page, None if last is None else (int(last[field] or 0), str(last["_id"]))


def new_intent(
    *,
    intent_id: str,
    user_id: str,
    public_id: str,
    seq: int,
    created_at: datetime,
    ttl_seconds: int,
    retention_days: int,
    moderation: str | None = None,
    username: str | None = None,
    traceparent: str | None = None,
) -> Intent:
    """A pending intent whose parameters lapse after `ttl_seconds` and whose record is purged after retention."""
    return Intent(
        id=intent_id,
        user_id=user_id,
        public_id=public_id,
        seq=seq,
        status=IntentStatus.PENDING,
        created_at=created_at,
        expires_ms=int(created_at.timestamp() * 1000) + ttl_seconds * 1000,
        purge_at=created_at + timedelta(days=retention_days),
        moderation=moderation,
        username=username,
        traceparent=traceparent,
    )


async def create_indexes(db: Database) -> None:
    """public_id is unique (one intent signs it); a TTL purges old intents (correctness never waits for it)."""
    collection = db["upload_intents"]
    await collection.create_index([("public_id", ASCENDING)], unique=True, name="public_id")
    await collection.create_index([("status", ASCENDING), ("expires_ms", ASCENDING)], name="status_expires")
    await collection.create_index([("purge_at", ASCENDING)], expireAfterSeconds=0, name="purge_ttl")
    await collection.create_index([("user_id", ASCENDING)], name="user_id")
    # The review queue (awaiting, oldest first) and reconciliation of awaiting uploads.
    # (Without `_id` in it: the stand-in fails every insert into a collection with `_id` inside a compound index.)
    await collection.create_index([("status", ASCENDING), ("awaiting_ms", ASCENDING)], name="status_awaiting")
    await collection.create_index([("status", ASCENDING), ("checked_ms", ASCENDING)], name="status_checked")
    # The review queue's decided pages (approved / rejected), newest decision first (no `_id`: see above).
    await collection.create_index(
        [("moderation_status", ASCENDING), ("decided_ms", DESCENDING)], name="moderation_decided"
    )
