"""Profiles in MongoDB: one document per user (`_id` = user id), every change a single-document update.

This module sends the commands; `documents.py` builds and reads the documents they carry, and `publication.py`
publishes the change-feed markers the writes store."""

import contextlib
import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from profile_service.avatars.ordering import Verdict, decide
from profile_service.avatars.quota import QuotaExceeded, QuotaLimits, QuotaState, Turns, refusal
from profile_service.feed.repository import ChangeFeed
from profile_service.feed.schemas import ChangeKind, ProfileLookupResult
from profile_service.profiles.cache import CachedView, RecentProfiles
from profile_service.profiles.documents import (
    DEFAULT_PREFERENCES,
    OrderingState,
    change_document,
    is_private,
    pending_fields,
    to_looked_up,
    to_millisecond,
    to_profile,
    to_public_view,
)
from profile_service.profiles.publication import ChangePublisher
from profile_service.profiles.schemas import Profile, ProfileChange, PublicProfile
from service_kit.clock import Clock, to_ms
from service_kit.errors import NotFound, ServiceUnavailable
from service_kit.mongo import Database

logger = logging.getLogger(__name__)

# A compare-and-set that misses this often while the document does not change means something is badly wrong.
MAX_CAS_ATTEMPTS = 50
# A quota reservation that loses this often while the quota fields do not change (see `reserve_upload`).
QUOTA_STALLS = 20
# The quota fields, read again after a lost reservation (sub-documents whole: dotted projections fail on the stand-in).
_QUOTA_FIELDS = {"_id": False, "avatar_seq": True, "quota_rev": True, "open_uploads": True, "upload_grants": True}
# What an applied avatar's write returns: the quota fields, the replaced pictures left to hand over, and the
# ordering fields the user's next apply starts from.
_AFTER_APPLY_FIELDS = {**_QUOTA_FIELDS, "username": True, "retired": True, "applied_seq": True, "pending_seq": True}
# The fields an apply decides on, read when there is no guess (or it was stale).
_ORDERING_FIELDS = {"applied_seq": True, "avatar": True, "pending_seq": True, "retired": True}
# Users whose last known quota and ordering state this instance keeps (`signing_state`, `apply_avatar`).
KNOWN_QUOTAS = 10_000
# What the lookup reads of each profile (the public view other services render).
_LOOKUP_FIELDS = {"username": True, "display_name": True, "avatar": True, "visibility": True}


@dataclass(frozen=True)
class AvatarApplied:
    """The outcome of `apply_avatar`: the verdict, the public_id it replaced (when it replaced one), and the
    replaced public_ids the profile records as not yet handed to the outbox (`retired`), as the decisive read or
    the write itself returned them, so the hand-over need not read them again."""

    verdict: Verdict
    replaced: str | None = None
    retired: tuple[str, ...] = ()
    # The replaced picture's intent, as its avatar document names it (None for one written without).
    replaced_intent: str | None = None

    @property
    def replaced_intents(self) -> dict[str, str]:
        """The replaced public_id's intent id, when known."""
        if self.replaced is None or self.replaced_intent is None:
            return {}
        return {self.replaced: self.replaced_intent}


class ProfileRepository:
    """Reads and single-document atomic writes of `profiles.profiles`, and the tombstones of deleted users
    (`profiles.deleted_users`, `_id` = user id) that keep a deleted profile from being created again."""

    def __init__(
        self, db: Database, clock: Clock, recent: RecentProfiles | None = None, feed: ChangeFeed | None = None
    ) -> None:
        self._collection: AsyncCollection[dict[str, Any]] = db["profiles"]
        self._deleted: AsyncCollection[dict[str, Any]] = db["deleted_users"]
        self._clock = clock
        # This instance's public-view cache (request handlers pass it); every write below forgets the user's entry.
        self._recent = recent
        # Signing requests of one user on this instance take turns (quota.Turns): no compare-and-set lost to each other.
        self.signing_turns = Turns()
        # Every write that changes a public view appends to the change feed after it (`feed/repository.py`).
        self._publication = ChangePublisher(self._collection, self._deleted, feed)
        # The quota fields (and username) each user's profile had when this instance last read or wrote them: a
        # signing request starts its compare-and-set from them instead of reading the profile first. Only ever a
        # guess: a stale one matches nothing and the reservation reads afresh (`reserve_upload`).
        self._quotas: dict[str, tuple[str | None, QuotaState]] = {}
        # The same for the ordering fields: an apply starts its compare-and-set from them (`apply_avatar`).
        self._ordering: dict[str, OrderingState] = {}

    def _changed(self, user_id: str) -> None:
        if self._recent is not None:
            self._recent.forget(user_id)

    def _remember_quota(self, user_id: str, doc: dict[str, Any]) -> None:
        if len(self._quotas) >= KNOWN_QUOTAS:
            self._quotas.clear()  # a bound, not an LRU: a forgotten user pays one read on their next sign
        self._quotas[user_id] = (doc.get("username"), QuotaState.from_document(doc))

    def _remember_ordering(self, user_id: str, state: OrderingState | None) -> None:
        if state is None:
            self._ordering.pop(user_id, None)
            return
        if len(self._ordering) >= KNOWN_QUOTAS:
            self._ordering.clear()  # a bound, not an LRU: a forgotten user's next apply reads first, as before
        self._ordering[user_id] = state

    async def publish_stranded(self, older_than_ms: int, limit: int = 500) -> int:
        """Publish the changes whose writer died before publishing them (`ChangePublisher.publish_stranded`)."""
        return await self._publication.publish_stranded(older_than_ms, limit)

    async def lookup(self, user_ids: list[str]) -> ProfileLookupResult:
        """The public views of these users (duplicates ignored) in one query; unknown and deleted ones `missing`.
        Both parts are ordered by user id, so the same state always encodes to the same bytes (the ETag)."""
        wanted = sorted(set(user_ids))
        docs = await self._collection.find({"_id": {"$in": wanted}}, _LOOKUP_FIELDS).to_list()
        found = {doc["_id"]: to_looked_up(doc) for doc in docs}
        return ProfileLookupResult(
            profiles={user_id: found[user_id] for user_id in wanted if user_id in found},
            missing=[user_id for user_id in wanted if user_id not in found],
        )

    async def ensure(self, user_id: str, username: str | None) -> Profile:
        """The user's profile, created on first access; the token's username is kept up to date on it.

        A deleted user's profile is not created again (their access token outlives the account by minutes).
        """
        return to_profile(await self._ensure_document(user_id, username))

    async def ensure_for_signing(self, user_id: str, username: str | None) -> QuotaState:
        """`ensure`, answering the quota fields of the same read (signing needs them, not the profile)."""
        return QuotaState.from_document(await self._ensure_document(user_id, username))

    async def signing_state(self, user_id: str, username: str | None) -> tuple[QuotaState, bool]:
        """The quota state a signing request starts from, and whether it is this instance's last known one (a
        guess `reserve_upload` checks with its compare-and-set) rather than `ensure_for_signing`'s fresh read."""
        known = self._quotas.get(user_id)
        if known is not None and (username is None or known[0] == username):
            return known[1], True
        return await self.ensure_for_signing(user_id, username), False

    async def _ensure_document(self, user_id: str, username: str | None) -> dict[str, Any]:
        doc = await self._collection.find_one({"_id": user_id})
        if doc is None and await self.is_deleted(user_id):
            raise NotFound("This account has been deleted.")
        if doc is None or (username is not None and doc.get("username") != username):
            update: dict[str, Any] = {
                "$setOnInsert": {
                    "display_name": None,
                    "bio": "",
                    "location": "",
                    "website": None,
                    "visibility": "public",
                    "preferences": DEFAULT_PREFERENCES,
                    "avatar": None,
                    "avatar_seq": 0,
                    "applied_seq": 0,
                    "retired": [],
                    "open_uploads": {},
                    "upload_grants": [],
                    "quota_rev": 0,
                    "pending_avatar": None,
                    "pending_seq": 0,
                    # Milliseconds, as the database stores it: the document answered from this write reads the same.
                    "created_at": to_millisecond(self._clock()),
                }
            }
            if username is not None:
                update["$set"] = {"username": username}
            # The account's username changed at auth-service: the public view names the user differently.
            marker = self._publication.marker("username") if doc is not None else None
            if marker is not None:
                update["$set"] = {**update.get("$set", {}), **pending_fields(marker)}
            # update_one(upsert): the stand-in drops $setOnInsert inside find_one_and_update.
            # DuplicateKeyError: a concurrent first access created it; the read below sees that document.
            created = None
            with contextlib.suppress(DuplicateKeyError):
                created = (await self._collection.update_one({"_id": user_id}, update, upsert=True)).upserted_id
            self._changed(user_id)
            await self._publication.publish(user_id, marker)
            if created is not None:
                # This write inserted the document, so it is exactly what the write held: no read back.
                doc = {"_id": user_id, **update["$setOnInsert"], **update.get("$set", {})}
            else:
                doc = await self._collection.find_one({"_id": user_id})
        if doc is None:  # pragma: no cover - only if the document is deleted between the two calls
            raise NotFound("no profile")
        self._remember_quota(user_id, doc)
        self._remember_ordering(user_id, OrderingState.from_document(doc))
        return doc

    async def mine(self, user_id: str, username: str | None, *, fresh: bool = False) -> Profile:
        """The owner's profile as `ensure` gives it, from this instance's cache unless `fresh` is asked for
        (the owner wrote moments ago, possibly through another instance: `profiles/freshness.py`)."""
        if self._recent is None:
            return await self.ensure(user_id, username)
        if fresh:
            self._recent.lookups["me", "skipped"] += 1
        elif (cached := self._recent.own(user_id)) is not None and cached.username == username:
            return cached
        writes_before = self._recent.writes()
        profile = await self.ensure(user_id, username)
        self._recent.put_own(profile, writes_before=writes_before)
        return profile

    async def get(self, user_id: str) -> Profile:
        """The profile, or NotFound."""
        if (doc := await self._collection.find_one({"_id": user_id})) is None:
            raise NotFound("There is no profile for this user.")
        return to_profile(doc)

    async def change(self, user_id: str, change: ProfileChange) -> None:
        """Set the fields the owner sent; absent ones stay."""
        values = change_document(change)
        if values:
            public: list[ChangeKind] = [kind for kind in ("display_name", "visibility") if kind in values]
            marker = self._publication.marker(*public)
            update = {"$set": {**values, "updated_ms": to_ms(self._clock()), **pending_fields(marker)}}
            # The document as it was, from the same write (no extra round trip): which public fields changed. A
            # crash before publishing makes the sweep publish every kind the write could have changed.
            before = await self._collection.find_one_and_update(
                {"_id": user_id},
                update,
                projection={"_id": False, "display_name": True, "visibility": True},
                return_document=ReturnDocument.BEFORE,
            )
            self._changed(user_id)
            if before is None:
                return
            changed: list[ChangeKind] = []
            if "display_name" in values and before.get("display_name") != values["display_name"]:
                changed.append("display_name")
            if "visibility" in values and (before.get("visibility") or "public") != values["visibility"]:
                changed.append("visibility")
            await self._publication.publish(user_id, marker, changed)

    async def public(self, username: str, viewer_id: str | None = None) -> PublicProfile:
        """The public view of the profile with this username, or NotFound; a private profile is NotFound
        (the same answer as no profile at all) for everyone but its owner, `viewer_id`."""
        cached = None if self._recent is None else self._recent.get(username)
        if cached is None:
            writes_before = 0 if self._recent is None else self._recent.writes()
            if (doc := await self._collection.find_one({"username": username})) is None:
                raise NotFound("There is no profile with this username.")
            cached = CachedView(user_id=doc["_id"], private=is_private(doc), view=to_public_view(doc))
            if self._recent is not None:
                self._recent.put(username, cached, writes_before=writes_before)
        if cached.private and cached.user_id != viewer_id:
            raise NotFound("There is no profile with this username.")
        return cached.view

    async def is_deleted(self, user_id: str) -> bool:
        """Whether the user's profile was deleted for good (account deletion)."""
        return await self._deleted.find_one({"_id": user_id}) is not None

    async def mark_deleted(self, user_id: str) -> None:
        """Record the tombstone first, so nothing recreates the profile while it is being deleted; idempotent."""
        # The tombstone carries the account_deleted change until `delete` publishes it (a retry or the sweep
        # finishes it after a crash; the id is the user's, so it is published once).
        tombstone: dict[str, Any] = {"_id": user_id, "deleted_at": self._clock()}
        if (marker := self._publication.marker("account_deleted", marker_id="deleted")) is not None:
            # Nested, not dotted: this is an insert.
            tombstone["feed_pending"] = {"deleted": {"kinds": marker["kinds"], "at_ms": marker["at_ms"]}}
            tombstone["feed_pending_ms"] = marker["at_ms"]
        with contextlib.suppress(DuplicateKeyError):
            await self._deleted.insert_one(tombstone)

    async def delete(self, user_id: str) -> dict[str, Any] | None:
        """Remove the profile document; returns what it held (None if there was none)."""
        try:
            doc = await self._collection.find_one_and_delete({"_id": user_id})
        finally:
            self._changed(user_id)
            self._ordering.pop(user_id, None)
        tombstone = await self._deleted.find_one({"_id": user_id}, {"feed_pending": True})
        for marker_id, pending in ((tombstone or {}).get("feed_pending") or {}).items():
            await self._publication.publish(user_id, {"id": marker_id, **pending}, tombstone=True)
        return doc

    async def claim_first_seq(self, user_id: str, claimer: str) -> bool:
        """Take sequence 1 for `claimer` if the profile never allocated one (no upload, no deletion ever).

        True also when `claimer` took it before (a resumed migration). Anything signed later gets a higher
        sequence and wins; anything signed earlier made this fail: the ordering rule, unchanged.
        """
        result = await self._collection.update_one(
            {"_id": user_id, "avatar_seq": 0}, {"$set": {"avatar_seq": 1, "migration_intent": claimer}}
        )
        if result.matched_count == 1:
            return True
        doc = await self._collection.find_one({"_id": user_id}, {"migration_intent": True, "avatar_seq": True})
        return doc is not None and doc.get("migration_intent") == claimer and int(doc.get("avatar_seq") or 0) >= 1

    async def next_seq(self, user_id: str) -> int:
        """Allocate the next value of the user's upload sequence: one atomic `$inc`, so concurrent callers get
        distinct consecutive values and contention never fails a request. The profile must exist (`ensure`)."""
        # Only $inc on an existing document: the stand-in drops $setOnInsert inside find_one_and_update upserts.
        doc = await self._collection.find_one_and_update(
            {"_id": user_id},
            {"$inc": {"avatar_seq": 1}},
            projection={"_id": False, "avatar_seq": True},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise NotFound("There is no profile for this user.")
        return int(doc["avatar_seq"])

    async def reserve_upload(
        self,
        user_id: str,
        *,
        upload_id: str,
        expires_ms: int,
        limits: QuotaLimits,
        state: QuotaState,
        guessed: bool = False,
        username: str | None = None,
    ) -> int:
        """Count one more signed upload against the user's quotas and allocate its sequence; QuotaExceeded if
        either quota is spent (then nothing is written).

        `state` is what `ensure_for_signing` just read. One `update_one` whose filter pins the `quota_rev` and the
        `avatar_seq` read: it sets the next sequence (monotonic per user, the ordering rule), the next revision,
        the open uploads with this one added and lapsed ones dropped, and the grants with this one appended (the
        last `max_per_hour` kept), all computed from that state. When anything changed them in between (another
        reservation or a release on any instance, an avatar deletion taking a sequence) it matches nothing and we
        decide again on a fresh read, so concurrent requests can never exceed a limit or share a sequence.

        `guessed`: `state` is this instance's last known one (`signing_state`), not a read. The compare-and-set
        checks it all the same; a guess that is stale, or that would refuse, is replaced by `ensure_for_signing`'s
        read (as the caller `username`) before anything is decided, so a refusal is always decided on a read.
        """
        stalls = 0
        while True:
            now_ms = to_ms(self._clock())
            if (refused := refusal(state, limits, now_ms)) is not None:
                if guessed:
                    state, guessed = await self.ensure_for_signing(user_id, username), False
                    continue
                raise QuotaExceeded(refused)
            values = state.reserved(upload_id, expires_ms, now_ms, keep=limits.max_per_hour)
            # A profile from before quotas has no `quota_rev`: this write creates it, so that match happens once.
            missing = {"$exists": False}
            pinned = {
                "_id": user_id,
                "quota_rev": missing if state.rev is None else state.rev,
                "avatar_seq": missing if state.seq is None else state.seq,
            }
            if (await self._collection.update_one(pinned, {"$set": values})).matched_count == 1:
                reserved = QuotaState(
                    rev=int(values["quota_rev"]),
                    open_uploads=dict(values["open_uploads"]),
                    grants=tuple(values["upload_grants"]),
                    seq=int(values["avatar_seq"]),
                )
                known = self._quotas.get(user_id)
                self._quotas[user_id] = (known[0] if known is not None else username, reserved)
                return int(values["avatar_seq"])
            if guessed:
                # The guess was stale (another instance, a release, a deletion): decide on a read, as without one.
                state, guessed = await self.ensure_for_signing(user_id, username), False
                continue
            fresh = await self._collection.find_one({"_id": user_id}, _QUOTA_FIELDS)
            if fresh is None:
                raise NotFound("There is no profile for this user.")
            latest = QuotaState.from_document(fresh)
            # Losing to another reservation, a release or a deletion (a pinned field moved) is progress made
            # elsewhere, not a failure; only a miss with nothing changed counts towards giving up.
            stalls = stalls + 1 if (latest.rev, latest.seq) == (state.rev, state.seq) else 0
            if stalls >= QUOTA_STALLS:
                logger.error("quota reservation stalled", extra={"user_id": user_id, "quota_rev": latest.rev})
                raise ServiceUnavailable("Could not start the upload; try again.", headers={"Retry-After": "1"})
            state = latest

    async def release_upload(self, user_id: str, upload_id: str) -> None:
        """Stop counting an upload as open (it was rejected, superseded or expired); idempotent."""
        written = await self._collection.find_one_and_update(
            {"_id": user_id},
            {"$unset": {f"open_uploads.{upload_id}": ""}, "$inc": {"quota_rev": 1}},
            projection={**_QUOTA_FIELDS, "username": True},
            return_document=ReturnDocument.AFTER,
        )
        if written is not None:
            self._remember_quota(user_id, written)

    async def apply_avatar(
        self,
        user_id: str,
        *,
        seq: int,
        avatar: dict[str, Any] | None,
        public_id: str | None,
        release: str | None = None,
        removal: ChangeKind = "avatar_removed",
    ) -> AvatarApplied:
        """Show `avatar` (None: no picture) if `seq` is newer than what the profile shows: the ordering rule.

        One conditional find_one_and_update; its filter pins the `applied_seq` (and `pending_seq`) it was decided
        on, so a concurrent apply makes it match nothing and we decide again on a fresh read. It starts from this
        instance's last known state of the profile (`OrderingState`, kept from its last read or write) when it has
        one, so a user's apply costs no read; a stale guess only misses, and a verdict other than apply is always
        decided on a read. The replaced public_id goes into `retired` in the same write, so it is scheduled for
        destruction even if the process dies right after. `release` (the applied upload's id) stops counting it
        as open in the same write (`quota.py`), at no extra round trip. A change of what the profile shows goes to
        the change feed: `avatar_applied`, or `removal` when `avatar` is None.
        """
        stalls = 0
        last_seen: OrderingState | None = None
        guess = self._ordering.get(user_id)
        while stalls < MAX_CAS_ATTEMPTS:
            retired: tuple[str, ...] = ()
            if guess is not None:
                state, guess, guessed = guess, None, True
            else:
                doc = await self._collection.find_one({"_id": user_id}, _ORDERING_FIELDS)
                if doc is None:
                    raise NotFound("There is no profile for this user.")
                state, complete = OrderingState.read(doc)
                retired, guessed = tuple(doc.get("retired") or ()), False
                self._remember_ordering(user_id, state if complete else None)
                # A lost compare-and-set means another apply raised `applied_seq`, which only ever grows until it
                # passes `seq` (then `decide` stops us), or a newer upload went under review: that is progress,
                # not a failure. Only a miss with nothing changed counts towards giving up, so contention never
                # errs.
                stalls = stalls + 1 if state == last_seen else 0
                last_seen = state
            verdict = decide(
                applied_seq=state.applied_seq, applied_public_id=state.public_id, seq=seq, public_id=public_id
            )
            if verdict is not Verdict.APPLY:
                if guessed:
                    continue  # decided on a read, never on a guess
                return AvatarApplied(verdict, retired=retired)
            written = await self._write_avatar(user_id, state, guessed, seq, avatar, public_id, release, removal)
            if written is not None:
                return AvatarApplied(
                    Verdict.APPLY, replaced=state.public_id, retired=written, replaced_intent=state.intent_id
                )
        raise RuntimeError(f"could not apply an avatar for {user_id}")

    async def _write_avatar(
        self,
        user_id: str,
        state: OrderingState,
        guessed: bool,
        seq: int,
        avatar: dict[str, Any] | None,
        public_id: str | None,
        release: str | None,
        removal: ChangeKind,
    ) -> tuple[str, ...] | None:
        """`apply_avatar`'s compare-and-set from `state` (`guessed`: this instance's memory, not a read): the
        replaced pictures left to hand over, or None when the profile is no longer in `state` (nothing written)."""
        values: dict[str, Any] = {"avatar": avatar, "applied_seq": seq, "updated_ms": to_ms(self._clock())}
        pinned: dict[str, Any] = {"_id": user_id, "applied_seq": state.applied_seq}
        if avatar is not None:
            # A newer picture is live: an older rejection or take-down notice no longer concerns it.
            values["moderation_notice"] = None
        if state.pending_seq and state.pending_seq <= seq:
            # The upload under review is this one, or older (its approval could only supersede it now); pinned,
            # so a newer upload that went under review meanwhile is never wiped.
            values["pending_avatar"] = None
            values["pending_seq"] = 0
            pinned["pending_seq"] = state.pending_seq
        elif guessed:
            # Whether to clear it was decided on a guess too: a guessed "none under review" must still be true.
            pinned["pending_seq"] = state.pending_seq
        kind: ChangeKind | None = "avatar_applied" if avatar is not None else removal if state.public_id else None
        marker = None if kind is None else self._publication.marker(kind)
        update: dict[str, Any] = {"$set": {**values, **pending_fields(marker)}}
        if state.public_id is not None and state.public_id != public_id:
            update["$push"] = {"retired": state.public_id}
        if release is not None:
            update["$unset"] = {f"open_uploads.{release}": ""}
            update["$inc"] = {"quota_rev": 1}
        # The document as written comes back from the same round trip: what is left to hand over, the quota fields
        # the user's next signing request starts from, and the ordering fields the next apply starts from.
        written = await self._collection.find_one_and_update(
            pinned, update, projection=_AFTER_APPLY_FIELDS, return_document=ReturnDocument.AFTER
        )
        self._changed(user_id)
        if written is None:
            return None  # the read that follows refreshes what this instance knows
        self._remember_quota(user_id, written)
        after = OrderingState.from_document({**written, "avatar": avatar})
        self._remember_ordering(user_id, after)
        await self._publication.publish(user_id, marker)
        return tuple(written.get("retired") or ())

    async def set_pending_avatar(self, user_id: str, pending: dict[str, Any]) -> bool:
        """Show `pending` (`pending_document`) to the owner as the upload under review, if it is newer than the
        live picture and than the one shown now: one conditional update_one (`pending_seq` orders them; a document
        from before moderation has none). True if set, or if this very upload is shown already."""
        seq = int(pending["seq"])
        values = {"$set": {"pending_avatar": pending, "pending_seq": seq}}
        # Two filters rather than one `$or`: inside `$or` the stand-in does not match a null field with None.
        for newer in ({"$lt": seq}, {"$exists": False}):
            result = await self._collection.update_one(
                {"_id": user_id, "applied_seq": {"$lt": seq}, "pending_seq": newer}, values
            )
            if result.matched_count == 1:
                self._changed(user_id)
                self._known_pending(user_id, seq)
                return True
        shown = await self._collection.find_one({"_id": user_id, "pending_avatar.upload_id": pending["upload_id"]})
        return shown is not None

    async def clear_pending_avatar(self, user_id: str, upload_id: str) -> bool:
        """Stop showing upload `upload_id` as under review (it was decided); True if it was shown."""
        result = await self._collection.update_one(
            {"_id": user_id, "pending_avatar.upload_id": upload_id},
            {"$set": {"pending_avatar": None, "pending_seq": 0}},
        )
        self._changed(user_id)
        if result.matched_count == 1:
            self._known_pending(user_id, 0)
        return result.matched_count == 1

    def _known_pending(self, user_id: str, pending_seq: int) -> None:
        # Keeps this instance's ordering guess in step with a pending-picture write it made (a stale one costs
        # the next apply a missed compare-and-set and a read).
        if (known := self._ordering.get(user_id)) is not None:
            self._ordering[user_id] = dataclasses.replace(known, pending_seq=pending_seq)

    async def set_moderation_notice(self, user_id: str, notice: dict[str, Any]) -> None:
        """Tell the owner about a decision against their picture (`notice_document`); replaces an older notice."""
        await self._collection.update_one(
            {"_id": user_id}, {"$set": {"moderation_notice": notice, "updated_ms": to_ms(self._clock())}}
        )
        self._changed(user_id)

    async def retired(self, user_id: str) -> list[str]:
        """Replaced public_ids not yet handed to the outbox."""
        doc = await self._collection.find_one({"_id": user_id}, {"retired": True})
        return list((doc or {}).get("retired") or [])

    async def forget_retired(self, user_id: str, public_id: str) -> None:
        """Drop a replaced public_id once its destroy job is in the outbox."""
        await self._collection.update_one({"_id": user_id}, {"$pull": {"retired": public_id}})

    async def with_retired(self, limit: int = 500) -> list[str]:
        """Users whose replaced pictures still wait to be handed to the outbox (after a crash, say)."""
        # `retired.0` / `$ne: []` behave differently on the stand-in: filter in Python on a narrow projection.
        cursor = self._collection.find({}, {"retired": True}).limit(10_000)
        return [doc["_id"] async for doc in cursor if doc.get("retired")][:limit]

    async def avatar_public_ids(self, public_ids: list[str]) -> set[str]:
        """Which of `public_ids` some profile shows right now."""
        cursor = self._collection.find({"avatar.public_id": {"$in": public_ids}}, {"avatar": True})
        return {doc["avatar"]["public_id"] async for doc in cursor}

    async def applied_seq(self, user_id: str) -> int:
        """The sequence number of what the profile shows (0: nothing applied yet, or no profile)."""
        doc = await self._collection.find_one({"_id": user_id}, {"applied_seq": True})
        return int((doc or {}).get("applied_seq") or 0)

    async def current_public_id(self, user_id: str) -> str | None:
        """The public_id the user's profile shows, if any."""
        doc = await self._collection.find_one({"_id": user_id}, {"avatar": True})
        return ((doc or {}).get("avatar") or {}).get("public_id")


async def create_indexes(db: Database) -> None:
    """Public profiles are looked up by username, avatars by public_id (orphan sweep)."""
    await db["profiles"].create_index([("username", ASCENDING)], name="username")
    await db["profiles"].create_index([("avatar.public_id", ASCENDING)], name="avatar_public_id")
    # The change-feed sweep looks for changes whose writer died before publishing them.
    await db["profiles"].create_index([("feed_pending_ms", ASCENDING)], name="feed_pending_ms")
    await db["deleted_users"].create_index([("feed_pending_ms", ASCENDING)], name="feed_pending_ms")
