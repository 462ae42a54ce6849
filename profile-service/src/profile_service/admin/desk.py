"""The moderation desk: what an administrator does through `/admin/moderation*` and `/admin/profiles/*`.

It spans the intents, Cloudinary, the moderation decider and the audit log. Decisions go to Cloudinary first
(the Admin API resource update, `moderation_status`), then are applied locally through `ModerationDecider`, the
path the `moderation` notification and reconciliation take, so whichever gets there first decides and the
others change nothing. The opposite decision is refused before Cloudinary is told, so a reviewer never flips
Cloudinary's status away from what the service did. Every call is audited, repeats included.
"""

import logging
import re
from typing import Literal

import msgspec

from profile_service.admin import cursor as cursors
from profile_service.admin.audit import AuditAction, AuditRepository
from profile_service.admin.schemas import ModerationDecision, ModerationItem, ModerationPage, QueueStatus
from profile_service.auth import Claims
from profile_service.avatars.apply import DELIVERY_FORMAT, delivery_url
from profile_service.avatars.cloudinary import Asset, AssetStore, CloudinaryUnavailable, timestamp_ms
from profile_service.avatars.intents import Intent, IntentRepository, IntentStatus, Review
from profile_service.avatars.moderation import ModerationDecider
from profile_service.avatars.signing import eager_transformation
from service_kit.clock import from_ms
from service_kit.errors import Conflict, NotFound, ServiceUnavailable

logger = logging.getLogger(__name__)

Outcome = Literal["approved", "rejected"]
UPLOAD_ID = re.compile(r"[0-9a-f]{24}")
# The queue's thumbnails: one of the eager sizes (already derived at upload, so no transformation is billed),
# the smallest at least this big.
THUMBNAIL_MIN = 128


def thumbnail_size(sizes: tuple[int, ...]) -> int:
    """The eager size the queue shows: the smallest >= THUMBNAIL_MIN, else the largest there is."""
    return min((s for s in sizes if s >= THUMBNAIL_MIN), default=max(sizes))


class ModerationDesk:
    """The admin use cases; every method takes the admin's verified claims and audits what it did."""

    def __init__(
        self,
        *,
        intents: IntentRepository,
        decider: ModerationDecider,
        assets: AssetStore,
        audit: AuditRepository,
        sizes: tuple[int, ...],
    ) -> None:
        self._intents = intents
        self._decider = decider
        self._assets = assets
        self._audit = audit
        self._thumbnail = eager_transformation(thumbnail_size(sizes))

    async def queue(self, admin: Claims, status: QueueStatus, limit: int, cursor: str | None) -> ModerationPage:
        """A page of uploads: pending ones (awaiting a decision) oldest first, decided ones newest first."""
        after = None if cursor is None else cursors.decode(cursor)
        intents, last = await self._intents.moderation_page(status, after=after, limit=limit)
        await self._audit.record(
            actor_id=admin.sub, action=AuditAction.QUEUE_VIEWED, target_user_id=None, detail={"status": status}
        )
        items = [self._item(intent, status) for intent in intents]
        next_cursor = None if last is None else cursors.encode(cursors.sort_key(*last))
        return ModerationPage(items=items, next_cursor=next_cursor)

    async def decide(self, admin: Claims, upload_id: str, outcome: Outcome, reason: str | None) -> ModerationDecision:
        """Approve or reject an upload under moderation: Cloudinary first, then the local decision."""
        intent = await self._intents.get(upload_id) if UPLOAD_ID.fullmatch(upload_id) else None
        if intent is None:
            raise NotFound("There is no such upload.")
        if intent.moderation is None:
            raise Conflict("This upload is not under moderation.")
        decided = intent.moderation_status if intent.moderation_status in ("approved", "rejected") else None
        if decided is not None and decided != outcome:
            raise Conflict(f"This upload was already {decided}.")
        if decided is None:
            # Kept before Cloudinary is told: the notification of this very decision may come back first.
            await self._intents.request_review(intent.id, Review(outcome=outcome, reason=reason, by=admin.sub))
            # Told first: if Cloudinary cannot be told, no decision is made here and the admin retries.
            try:
                stored = await self._assets.set_moderation(intent.public_id, outcome)
            except CloudinaryUnavailable as exc:
                logger.warning("moderation update failed: %s", exc, extra={"intent_id": intent.id})
                raise ServiceUnavailable(
                    "Cloudinary is not answering; try again shortly.", headers={"Retry-After": "2"}
                ) from exc
            if stored is None and outcome == "approved":
                raise Conflict("Cloudinary does not hold this upload (not uploaded yet, or already destroyed).")
            # A rejection of an asset Cloudinary no longer holds still goes ahead: there is nothing to show, and
            # the review queue must not keep an upload no one can decide.
        status = await self._decider.decide(intent, outcome, reason=reason, by=admin.sub, source="admin")
        action = AuditAction.UPLOAD_APPROVED if outcome == "approved" else AuditAction.UPLOAD_REJECTED
        await self._audit.record(
            actor_id=admin.sub, action=action, target_user_id=intent.user_id, upload_id=intent.id, reason=reason
        )
        return ModerationDecision(upload_id=intent.id, status=status.value, moderation_status=outcome)

    async def take_down(self, admin: Claims, user_id: str, reason: str) -> None:
        """Remove a user's live picture (destroyed through the outbox, the owner told why); NotFound if none."""
        public_id = await self._decider.take_down(user_id, reason=reason, by=admin.sub)
        if public_id is None:
            raise NotFound("This profile shows no picture.")
        await self._audit.record(
            actor_id=admin.sub,
            action=AuditAction.AVATAR_TAKEN_DOWN,
            target_user_id=user_id,
            upload_id=public_id.rsplit("/", 1)[-1],
            reason=reason,
        )

    def _item(self, intent: Intent, status: QueueStatus) -> ModerationItem:
        asset = None if intent.asset is None else msgspec.convert(intent.asset, Asset, strict=False)
        uploaded_ms = None if asset is None else timestamp_ms(asset.created_at)
        if uploaded_ms is None:
            uploaded_ms = intent.awaiting_ms
        thumbnail = None
        if asset is not None:
            thumbnail = delivery_url(asset.secure_url, self._thumbnail, DELIVERY_FORMAT.get(asset.format.lower()))
        return ModerationItem(
            upload_id=intent.id,
            user_id=intent.user_id,
            username=intent.username,
            status=status,
            thumbnail_url=thumbnail,
            secure_url=None if asset is None else asset.secure_url,
            uploaded_at=None if uploaded_ms is None else from_ms(uploaded_ms),
            decided_at=None if intent.decided_ms is None else from_ms(intent.decided_ms),
            decided_by=intent.decided_by,
            reason=intent.reason if intent.status is IntentStatus.REJECTED else None,
        )
