"""Applying an uploaded asset to its owner's profile: the one code path behind the webhook, the confirm
fallback and reconciliation.

Order of writes, so a crash at any point leaves something a retry (or reconciliation) completes:
policy check -> (reject: schedule destroy, mark intent, release its quota slot) | ordering-guarded profile update
(which records the replaced asset and releases the upload's quota slot in the same document) -> mark intent (a
superseded one: release its slot) -> hand replaced assets to the outbox. A lost release only delays a slot: an
upload stops counting anyway once its parameters lapse.
"""

import logging

import msgspec

from profile_service.avatars.cloudinary import Asset, moderation_state, rejecting_kind, timestamp_ms
from profile_service.avatars.intents import APPLICABLE, Intent, IntentRepository, IntentStatus
from profile_service.avatars.ordering import Verdict
from profile_service.avatars.policy import AvatarPolicy
from profile_service.avatars.signing import eager_transformation
from profile_service.metrics import Metrics
from profile_service.outbox.repository import OutboxRepository
from profile_service.profiles.documents import avatar_document, notice_document, pending_document
from profile_service.profiles.repository import AvatarApplied, ProfileRepository
from service_kit.clock import Clock, from_ms, to_ms
from service_kit.errors import Conflict, NotFound
from service_kit.tracing import Tracing

logger = logging.getLogger(__name__)

# An upload under review may still be decided, rejected by policy or applied on approval from here.
DECIDABLE = (*APPLICABLE, IntentStatus.AWAITING_MODERATION)
# Who decided, when Cloudinary's own moderation array or notification said so (not one of our admins).
CLOUDINARY = "cloudinary"

# Formats browsers cannot show are delivered converted (Cloudinary converts by the URL's extension).
DELIVERY_FORMAT = {"heic": "jpg", "heif": "jpg"}


def delivery_url(secure_url: str, transformation: str | None = None, fmt: str | None = None) -> str:
    """`secure_url` with a transformation inserted after `/upload/` and, if asked, another extension."""
    base, marker, rest = secure_url.partition("/upload/")
    if not marker:
        return secure_url
    if fmt is not None and "." in rest.rsplit("/", 1)[-1]:
        rest = rest.rsplit(".", 1)[0] + "." + fmt
    return f"{base}/upload/{transformation}/{rest}" if transformation else f"{base}/upload/{rest}"


def variant_urls(asset: Asset, sizes: tuple[int, ...]) -> dict[str, str]:
    """One square URL per size, with the exact eager transformation string so the derived files are used."""
    fmt = DELIVERY_FORMAT.get(asset.format.lower())
    return {str(size): delivery_url(asset.secure_url, eager_transformation(size), fmt) for size in sizes}


class UploadApplier:
    """Takes an asset Cloudinary reports for an intent to its final state; safe to call any number of times."""

    def __init__(
        self,
        profiles: ProfileRepository,
        intents: IntentRepository,
        outbox: OutboxRepository,
        policy: AvatarPolicy,
        sizes: tuple[int, ...],
        metrics: Metrics,
        clock: Clock,
        tracing: Tracing | None = None,
    ) -> None:
        self._tracing = tracing or Tracing.disabled()
        self._profiles = profiles
        self._intents = intents
        self._outbox = outbox
        self._policy = policy
        self._sizes = sizes
        self._metrics = metrics
        self._clock = clock

    async def apply(self, intent: Intent, asset: Asset, source: str, *, approved: bool = False) -> IntentStatus:
        """Apply, supersede or reject; returns the intent's resulting status.

        An upload signed with moderation is held in awaiting_moderation (never shown publicly) until a decision
        approves it (`approved`: the decision path, `decided`) or its asset already shows one. Traced as a span
        linked to the upload's signing request, whichever path (webhook, confirm, reconcile, approval) got here.
        """
        with self._tracing.linked_span(
            "upload apply", intent.traceparent, {"upload.intent_id": intent.id, "upload.source": source}
        ) as span:
            status = await self._apply(intent, asset, source, approved=approved)
            span.set_attribute("upload.status", status.value)
            return status

    async def _apply(self, intent: Intent, asset: Asset, source: str, *, approved: bool) -> IntentStatus:
        log = {"intent_id": intent.id, "public_id": intent.public_id, "user_id": intent.user_id, "source": source}
        if asset.public_id != intent.public_id:
            raise ValueError("asset does not belong to this intent")
        if intent.status in (IntentStatus.REJECTED, IntentStatus.SUPERSEDED):
            # A duplicate for a loser: make sure its destroy is scheduled (idempotent) and change nothing else.
            await self._outbox.schedule_destroy(
                intent.public_id,
                reason=intent.status.value,
                user_id=intent.user_id,
                intent_id=intent.id,
                traceparent=intent.traceparent,
                exists_at_ms=timestamp_ms(asset.created_at),
            )
            return intent.status
        if intent.status in DECIDABLE and (problems := self._policy.violations(asset)):
            await self._outbox.schedule_destroy(
                intent.public_id,
                reason="rejected",
                user_id=intent.user_id,
                intent_id=intent.id,
                traceparent=intent.traceparent,
                exists_at_ms=timestamp_ms(asset.created_at),
            )
            await self._intents.transition(
                intent.id, IntentStatus.REJECTED, only_from=DECIDABLE, reason="; ".join(problems)
            )
            await self._profiles.release_upload(intent.user_id, intent.id)
            await self._forget_pending(intent)
            self._metrics.outcomes.labels("rejected", source).inc()
            logger.info("upload rejected by policy: %s", "; ".join(problems), extra=log)
            return IntentStatus.REJECTED
        if not approved and (intent.moderation is not None or asset.moderation):
            if intent.moderation is None:
                # Moderated at Cloudinary without our asking (an upload preset, a setting switched since signing):
                # the gate holds it all the same, under the kinds Cloudinary reports.
                kinds = "|".join(str(m.get("kind") or "manual") for m in asset.moderation or [] if isinstance(m, dict))
                intent = msgspec.structs.replace(intent, moderation=kinds or "manual")
            held = await self._moderated(intent, asset, source)
            if held is not None:
                return held
        avatar = avatar_document(
            public_id=asset.public_id,
            version=asset.version,
            secure_url=asset.secure_url,
            width=asset.width,
            height=asset.height,
            fmt=asset.format,
            size=asset.bytes,
            variants=variant_urls(asset, self._sizes),
            intent_id=intent.id,
            seq=intent.seq,
            updated_at=self._clock(),
        )
        try:
            # Applied, the upload stops counting against the owner's open-uploads quota in the same write.
            result = await self._profiles.apply_avatar(
                intent.user_id, seq=intent.seq, avatar=avatar, public_id=asset.public_id, release=intent.id
            )
        except NotFound:
            # The profile was deleted (account deletion) after this upload was signed: never resurrect it.
            result = AvatarApplied(Verdict.SUPERSEDED)
        if result.verdict is Verdict.SUPERSEDED:
            await self._outbox.schedule_destroy(
                intent.public_id,
                reason="superseded",
                user_id=intent.user_id,
                intent_id=intent.id,
                traceparent=intent.traceparent,
                exists_at_ms=timestamp_ms(asset.created_at),
            )
            if await self._intents.transition(
                intent.id, IntentStatus.SUPERSEDED, only_from=(*DECIDABLE, IntentStatus.APPLIED)
            ):
                self._metrics.outcomes.labels("superseded", source).inc()
                logger.info("upload superseded by a later one; its asset will be destroyed", extra=log)
            # Released whether or not this call moved it (idempotent): a crash between the two writes heals here.
            await self._profiles.release_upload(intent.user_id, intent.id)
            await self._forget_pending(intent)
            return IntentStatus.SUPERSEDED
        # A duplicate of an upload recorded as applied has nothing left to mark (no status leads back to DECIDABLE).
        duplicate = result.verdict is Verdict.ALREADY_APPLIED and intent.status is IntentStatus.APPLIED
        if not duplicate and await self._intents.transition(
            intent.id, IntentStatus.APPLIED, only_from=DECIDABLE, version=asset.version
        ):
            self._metrics.outcomes.labels("applied", source).inc()
            self._metrics.sign_to_applied.labels(source).observe(
                max(0.0, (self._clock() - intent.created_at).total_seconds())
            )
            logger.info("avatar applied", extra={**log, "replaced": result.replaced, "version": asset.version})
        # What is left to hand over came back with the profile's read or write: no read of its own (a duplicate
        # still hands over what a crash left, as before).
        await self.hand_over_retired(
            intent.user_id, traceparent=intent.traceparent, retired=result.retired, known=result.replaced_intents
        )
        return IntentStatus.APPLIED

    async def _moderated(self, intent: Intent, asset: Asset, source: str) -> IntentStatus | None:
        """The moderation gate of `apply`: None lets an approved upload through; otherwise the status it ends in
        (held in awaiting_moderation while undecided, rejected when the decision is a rejection)."""
        if intent.status is IntentStatus.APPLIED:
            return None  # applied after its approval: a duplicate notification, the ordering rule says so
        recorded = intent.moderation_status if intent.moderation_status in ("approved", "rejected") else None
        state = recorded or moderation_state(asset.moderation)
        try:
            if state == "approved":
                return await self.decided(intent, "approved", reason=None, by=CLOUDINARY, source=source, asset=asset)
            if state == "rejected":
                kind = rejecting_kind(asset.moderation) or intent.moderation or "manual"
                return await self.decided(intent, "rejected", reason=kind, by=CLOUDINARY, source=source, asset=asset)
        except Conflict:
            # Decided the other way meanwhile (an admin, racing this notification): that decision stands and its
            # path carries it out; this one reports where the upload is.
            current = await self._intents.get(intent.id)
            return intent.status if current is None else current.status
        # Undecided, or Cloudinary reports no moderation at all for an upload signed with it: the gate is ours, so
        # it waits (a reviewer, the notification or reconciliation decides it).
        return await self._hold(intent, asset, source)

    async def _hold(self, intent: Intent, asset: Asset, source: str) -> IntentStatus:
        """Keep the upload out of the public profile until decided: awaiting_moderation with the asset kept on the
        intent, shown to its owner as `pending_avatar` (the newest such upload wins)."""
        log = {"intent_id": intent.id, "user_id": intent.user_id, "source": source}
        snapshot = msgspec.to_builtins(asset)
        moved = await self._intents.transition(
            intent.id,
            IntentStatus.AWAITING_MODERATION,
            only_from=APPLICABLE,
            extra={
                "asset": snapshot,
                "moderation": intent.moderation,
                "awaiting_ms": (now_ms := to_ms(self._clock())),
                "checked_ms": now_ms,
            },
        )
        if moved:
            self._metrics.moderation.labels("awaiting", source).inc()
            logger.info("upload awaits moderation", extra=log)
        elif intent.status is not IntentStatus.AWAITING_MODERATION:
            current = await self._intents.get(intent.id)
            if current is None or current.status is not IntentStatus.AWAITING_MODERATION:
                # Decided (or superseded) meanwhile by another path: that path finished the job.
                return IntentStatus.PENDING if current is None else current.status
        # The browser is done with it: it stops counting as an open upload (its grant stays in the hourly budget).
        await self._profiles.release_upload(intent.user_id, intent.id)
        await self._profiles.set_pending_avatar(intent.user_id, self._pending(intent, asset))
        # A decision racing this hold may have cleared the pending picture before we set it: check again.
        current = await self._intents.get(intent.id)
        if current is not None and current.status is not IntentStatus.AWAITING_MODERATION:
            await self._forget_pending(intent)
            return current.status
        return IntentStatus.AWAITING_MODERATION

    def _pending(self, intent: Intent, asset: Asset) -> dict[str, object]:
        created = timestamp_ms(asset.created_at)
        return pending_document(
            upload_id=intent.id,
            seq=intent.seq,
            secure_url=asset.secure_url,
            version=asset.version,
            width=asset.width,
            height=asset.height,
            variants=variant_urls(asset, self._sizes),
            uploaded_at=self._clock() if created is None else from_ms(created),
        )

    async def _forget_pending(self, intent: Intent) -> None:
        """Stop showing a decided upload as under review; the next newest awaiting one (if any) takes its place."""
        if intent.moderation is None:
            return
        if await self._profiles.clear_pending_avatar(intent.user_id, intent.id):
            newest = await self._intents.newest_awaiting(intent.user_id)
            if newest is not None and newest.asset is not None:
                asset = msgspec.convert(newest.asset, Asset, strict=False)
                await self._profiles.set_pending_avatar(newest.user_id, self._pending(newest, asset))

    async def decided(
        self,
        intent: Intent,
        outcome: str,
        *,
        reason: str | None,
        by: str,
        source: str,
        asset: Asset | None = None,
    ) -> IntentStatus:
        """Record the moderation decision `outcome` once and carry it out; the same decision again carries it out
        again (idempotent, and it heals a crash in between) and the opposite one raises Conflict.

        `asset`: what Cloudinary reported, else the snapshot kept on the intent; an approval with neither only
        records the decision (the upload's notification or confirm applies it when it arrives).
        """
        if intent.review is not None and intent.review.outcome == outcome:
            # Cloudinary reporting the decision an admin asked for: the admin's reason and name, not the kind's.
            reason, by = intent.review.reason, intent.review.by
        log = {"intent_id": intent.id, "user_id": intent.user_id, "source": source, "by": by}
        if await self._intents.claim_decision(intent.id, outcome, by=by):
            self._metrics.moderation.labels(outcome, source).inc()
            logger.info("moderation decision: %s", outcome, extra=log)
            now_ms = to_ms(self._clock())
            intent = msgspec.structs.replace(intent, moderation_status=outcome, decided_by=by, decided_ms=now_ms)
        else:
            current = await self._intents.get(intent.id)
            if current is None:
                raise NotFound("There is no such upload.")
            if current.moderation_status != outcome:
                raise Conflict(f"This upload was already {current.moderation_status}.")
            intent = current
        if asset is None and intent.asset is not None:
            asset = msgspec.convert(intent.asset, Asset, strict=False)
        if outcome == "approved":
            if asset is None:
                return intent.status
            return await self.apply(intent, asset, source, approved=True)
        return await self._reject_moderated(intent, reason or intent.moderation or "manual", source, asset)

    async def _reject_moderated(self, intent: Intent, reason: str, source: str, asset: Asset | None) -> IntentStatus:
        """A rejected upload: destroyed through the outbox, never shown, its owner told why."""
        await self._outbox.schedule_destroy(
            intent.public_id,
            reason="rejected",
            user_id=intent.user_id,
            intent_id=intent.id,
            traceparent=intent.traceparent,
            exists_at_ms=None if asset is None else timestamp_ms(asset.created_at),
        )
        moved = await self._intents.transition(intent.id, IntentStatus.REJECTED, only_from=DECIDABLE, reason=reason)
        if not moved and intent.status is not IntentStatus.REJECTED:
            current = await self._intents.get(intent.id)
            if current is None or current.status is not IntentStatus.REJECTED:
                # Superseded (a newer picture or an account deletion won first): destroyed all the same.
                return IntentStatus.SUPERSEDED if current is None else current.status
        await self._profiles.release_upload(intent.user_id, intent.id)
        if moved:
            notice = notice_document(kind="rejected", reason=reason, at=self._clock(), upload_id=intent.id)
            await self._profiles.set_moderation_notice(intent.user_id, notice)
        await self._forget_pending(intent)
        return IntentStatus.REJECTED

    async def vanished(self, intent: Intent) -> IntentStatus:
        """An upload awaiting moderation whose asset Cloudinary no longer holds: no longer under review. Superseded
        when the profile already shows a newer picture (approved and shown, its intent's write lost, then replaced
        and destroyed), else expired."""
        outcome = IntentStatus.EXPIRED
        if await self._profiles.applied_seq(intent.user_id) > intent.seq:
            outcome = IntentStatus.SUPERSEDED
        if await self._intents.transition(
            intent.id, outcome, only_from=(IntentStatus.AWAITING_MODERATION,), reason="asset missing"
        ):
            await self._forget_pending(intent)
            return outcome
        current = await self._intents.get(intent.id)
        return intent.status if current is None else current.status

    async def take_down(self, user_id: str, *, reason: str, by: str) -> str | None:
        """Remove the live picture for a moderation reason: a deletion (it takes a sequence, so nothing older
        comes back), its asset destroyed through the outbox, the owner told why. The public_id taken down, or
        None when the profile shows no picture."""
        public_id = await self._profiles.current_public_id(user_id)
        if public_id is None:
            return None
        old = await self._intents.by_public_id(public_id)
        seq = await self._profiles.next_seq(user_id)
        await self._profiles.apply_avatar(user_id, seq=seq, avatar=None, public_id=None, removal="avatar_taken_down")
        notice = notice_document(
            kind="taken_down", reason=reason, at=self._clock(), upload_id=None if old is None else old.id
        )
        await self._profiles.set_moderation_notice(user_id, notice)
        logger.info("avatar taken down", extra={"user_id": user_id, "public_id": public_id, "by": by})
        await self.hand_over_retired(user_id)
        return public_id

    async def delete_avatar(self, user_id: str) -> None:
        """Show no picture (a deletion takes a sequence number like an upload, so older uploads cannot revive one)."""
        seq = await self._profiles.next_seq(user_id)
        result = await self._profiles.apply_avatar(user_id, seq=seq, avatar=None, public_id=None)
        logger.info("avatar deleted", extra={"user_id": user_id, "replaced": result.replaced})
        await self.hand_over_retired(user_id, retired=result.retired, known=result.replaced_intents)

    async def hand_over_retired(
        self,
        user_id: str,
        *,
        traceparent: str | None = None,
        retired: tuple[str, ...] | None = None,
        known: dict[str, str] | None = None,
    ) -> None:
        """Move replaced assets recorded on the profile into the outbox, then forget them there.

        `traceparent`: what replaced them (the applied upload's signing request); by default the current span.
        `retired`: the profile's `retired` as a read or write just returned it; read here when not given.
        `known`: intent ids of some of them by public_id (the picture just replaced names its own), not looked up.

        Another instance may hand over the same asset concurrently; no evidence of existence is passed, so if
        its destroy already ran the job stays finished instead of destroying the asset twice.
        """
        for public_id in await self._profiles.retired(user_id) if retired is None else retired:
            old_id = (known or {}).get(public_id)
            if old_id is None and (old := await self._intents.by_public_id(public_id)) is not None:
                old_id = old.id
            await self._outbox.schedule_destroy(
                public_id, reason="replaced", user_id=user_id, intent_id=old_id, traceparent=traceparent
            )
            if old_id is not None:
                await self._intents.transition(old_id, IntentStatus.SUPERSEDED, only_from=(IntentStatus.APPLIED,))
            await self._profiles.forget_retired(user_id, public_id)
