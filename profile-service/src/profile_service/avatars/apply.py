"""Applying an uploaded asset to its owner's profile: the one code path behind the webhook, the confirm
fallback and reconciliation.

Order of writes, so a crash at any point leaves something a retry (or reconciliation) completes:
policy check -> (reject: schedule destroy, mark intent, release its quota slot) | ordering-guarded profile update
(which records the replaced asset and releases the upload's quota slot in the same document) -> mark intent (a
superseded one: release its slot) -> hand replaced assets to the outbox. A lost release only delays a slot: an
upload stops counting anyway once its parameters lapse.
"""

import logging

from profile_service.avatars.cloudinary import Asset, timestamp_ms
from profile_service.avatars.intents import APPLICABLE, Intent, IntentRepository, IntentStatus
from profile_service.avatars.ordering import Verdict
from profile_service.avatars.policy import AvatarPolicy
from profile_service.avatars.signing import eager_transformation
from profile_service.metrics import Metrics
from profile_service.outbox.repository import OutboxRepository
from profile_service.profiles.repository import AvatarApplied, ProfileRepository, avatar_document
from service_kit.clock import Clock
from service_kit.errors import NotFound

logger = logging.getLogger(__name__)

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
    ) -> None:
        self._profiles = profiles
        self._intents = intents
        self._outbox = outbox
        self._policy = policy
        self._sizes = sizes
        self._metrics = metrics
        self._clock = clock

    async def apply(self, intent: Intent, asset: Asset, source: str) -> IntentStatus:
        """Apply, supersede or reject; returns the intent's resulting status."""
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
                exists_at_ms=timestamp_ms(asset.created_at),
            )
            return intent.status
        if intent.status in APPLICABLE and (problems := self._policy.violations(asset)):
            await self._outbox.schedule_destroy(
                intent.public_id,
                reason="rejected",
                user_id=intent.user_id,
                intent_id=intent.id,
                exists_at_ms=timestamp_ms(asset.created_at),
            )
            await self._intents.transition(
                intent.id, IntentStatus.REJECTED, only_from=APPLICABLE, reason="; ".join(problems)
            )
            await self._profiles.release_upload(intent.user_id, intent.id)
            self._metrics.outcomes.labels("rejected", source).inc()
            logger.info("upload rejected by policy: %s", "; ".join(problems), extra=log)
            return IntentStatus.REJECTED
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
                exists_at_ms=timestamp_ms(asset.created_at),
            )
            if await self._intents.transition(
                intent.id, IntentStatus.SUPERSEDED, only_from=(*APPLICABLE, IntentStatus.APPLIED)
            ):
                self._metrics.outcomes.labels("superseded", source).inc()
                logger.info("upload superseded by a later one; its asset will be destroyed", extra=log)
            # Released whether or not this call moved it (idempotent): a crash between the two writes heals here.
            await self._profiles.release_upload(intent.user_id, intent.id)
            return IntentStatus.SUPERSEDED
        if await self._intents.transition(intent.id, IntentStatus.APPLIED, only_from=APPLICABLE, version=asset.version):
            self._metrics.outcomes.labels("applied", source).inc()
            self._metrics.sign_to_applied.labels(source).observe(
                max(0.0, (self._clock() - intent.created_at).total_seconds())
            )
            logger.info("avatar applied", extra={**log, "replaced": result.replaced, "version": asset.version})
        await self.hand_over_retired(intent.user_id)
        return IntentStatus.APPLIED

    async def delete_avatar(self, user_id: str) -> None:
        """Show no picture (a deletion takes a sequence number like an upload, so older uploads cannot revive one)."""
        seq = await self._profiles.next_seq(user_id)
        result = await self._profiles.apply_avatar(user_id, seq=seq, avatar=None, public_id=None)
        logger.info("avatar deleted", extra={"user_id": user_id, "replaced": result.replaced})
        await self.hand_over_retired(user_id)

    async def hand_over_retired(self, user_id: str) -> None:
        """Move replaced assets recorded on the profile into the outbox, then forget them there.

        Another instance may hand over the same asset concurrently; no evidence of existence is passed, so if
        its destroy already ran the job stays finished instead of destroying the asset twice.
        """
        for public_id in await self._profiles.retired(user_id):
            old = await self._intents.by_public_id(public_id)
            await self._outbox.schedule_destroy(
                public_id, reason="replaced", user_id=user_id, intent_id=None if old is None else old.id
            )
            if old is not None:
                await self._intents.transition(old.id, IntentStatus.SUPERSEDED, only_from=(IntentStatus.APPLIED,))
            await self._profiles.forget_retired(user_id, public_id)
