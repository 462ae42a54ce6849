"""Deleting a user's profile for good (the auth service's account deletion): the profile, and every asset of
the user at Cloudinary, destroyed through the outbox.

Order, so a retry after a crash at any point finishes the job (the auth service retries until 2xx):
tombstone (nothing recreates the profile from now on) -> every intent superseded (no late upload can apply) ->
profile document deleted -> destroys scheduled for the avatar, replaced pictures, every intent's public_id and
everything Cloudinary lists under `{prefix}/{user_id}/`. Destroys are idempotent; a late upload of a
superseded intent is destroyed by the normal apply path.
"""

import logging
import re

import msgspec

from profile_service.avatars.cloudinary import LISTING_LAG_MS, AssetStore, CloudinaryUnavailable
from profile_service.avatars.intents import IntentRepository
from profile_service.outbox.repository import OutboxRepository
from profile_service.profiles.repository import ProfileRepository
from service_kit.clock import Clock, to_ms
from service_kit.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

DELETE_SCOPE = "profiles:delete"
# Only such ids can own assets (signing refuses others), so only they are listed at Cloudinary.
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class DeletionReport(msgspec.Struct):
    """What one deletion did (logged; the endpoint answers 204)."""

    profile_deleted: bool
    intents_superseded: int
    destroys_scheduled: int


class ProfileDeletion:
    """Deletes a user's profile and schedules destruction of all their assets; safe to repeat."""

    def __init__(
        self,
        profiles: ProfileRepository,
        intents: IntentRepository,
        outbox: OutboxRepository,
        assets: AssetStore,
        avatar_prefix: str,
        clock: Clock,
    ) -> None:
        self._profiles = profiles
        self._intents = intents
        self._outbox = outbox
        self._assets = assets
        self._prefix = avatar_prefix
        self._clock = clock

    async def delete_user(self, user_id: str) -> DeletionReport:
        """Delete; raise ServiceUnavailable (the caller retries) when Cloudinary cannot list the user's assets."""
        await self._profiles.mark_deleted(user_id)
        superseded = await self._intents.supersede_all(user_id, reason="account deleted")
        public_ids = set(await self._intents.public_ids_of(user_id))
        doc = await self._profiles.delete(user_id)
        if doc is not None:
            if avatar_id := (doc.get("avatar") or {}).get("public_id"):
                public_ids.add(avatar_id)
            public_ids.update(doc.get("retired") or [])
        await self._schedule(user_id, public_ids)
        scheduled = len(public_ids)
        if _SAFE_ID.match(user_id):
            listed_since = to_ms(self._clock()) - LISTING_LAG_MS
            try:
                listed = await self._assets.list_public_ids(f"{self._prefix}/{user_id}/")
            except CloudinaryUnavailable as exc:
                logger.warning("deletion: Cloudinary listing failed; the caller retries", extra={"user_id": user_id})
                raise ServiceUnavailable(
                    "Cloudinary is not answering; the deletion is incomplete, retry shortly.",
                    headers={"Retry-After": "5"},
                ) from exc
            # Listed assets exist, so a destroy that ran well before the listing (a re-upload since) runs again.
            listed_ids = {pid for pid, _ in listed}
            await self._schedule(user_id, listed_ids, exists_at_ms=listed_since)
            scheduled = len(public_ids | listed_ids)
        report = DeletionReport(
            profile_deleted=doc is not None, intents_superseded=superseded, destroys_scheduled=scheduled
        )
        logger.info("user's profile deleted", extra={"user_id": user_id, **msgspec.to_builtins(report)})
        return report

    async def _schedule(self, user_id: str, public_ids: set[str], exists_at_ms: int | None = None) -> None:
        for public_id in sorted(public_ids):
            await self._outbox.schedule_destroy(
                public_id, reason="account deleted", user_id=user_id, exists_at_ms=exists_at_ms
            )
