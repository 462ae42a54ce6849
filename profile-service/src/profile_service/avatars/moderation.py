"""Moderation decisions: approving or rejecting an upload held in awaiting_moderation.

Three paths decide, in any order and any number of times: Cloudinary's `moderation` notification (webhook), an
admin's route (`/admin/moderation/{upload_id}/approve|reject`, which sets the status at Cloudinary first), and
reconciliation (which asks the Admin API when a notification is overdue). Each calls `ModerationDecider.decide`.

The decision is recorded once on the intent by a compare-and-set (`moderation_status`: approved | rejected), then
carried out: an approval applies the stored asset through `UploadApplier.apply`, the ordering path every upload
takes (an approved upload signed before a newer applied one ends superseded and destroyed); a rejection destroys
the asset through the outbox, marks the intent rejected with the reason, releases its quota slot and tells the
owner (`moderation_notice`). Repeating a decision carries it out again (idempotent; it also finishes one a crash
interrupted) and answers the same status; the opposite decision afterwards is a Conflict.
"""

import logging
from typing import Literal

from profile_service.avatars.apply import UploadApplier
from profile_service.avatars.cloudinary import AssetStore
from profile_service.avatars.intents import Intent, IntentStatus
from service_kit.errors import Conflict

logger = logging.getLogger(__name__)

Outcome = Literal["approved", "rejected"]

# Where an intent ends; one that got there without a moderation decision can no longer be decided.
FINISHED = (IntentStatus.APPLIED, IntentStatus.SUPERSEDED, IntentStatus.REJECTED)


class ModerationDecider:
    """Applies moderation outcomes locally (the caller has told Cloudinary, where that is its job)."""

    def __init__(self, applier: UploadApplier, assets: AssetStore) -> None:
        self._applier = applier
        self._assets = assets

    async def decide(
        self, intent: Intent, outcome: Outcome, *, reason: str | None, by: str, source: str
    ) -> IntentStatus:
        """Approve or reject the upload; returns the intent's resulting status (approved: applied or superseded,
        or still awaiting/pending when Cloudinary does not hold the asset yet; rejected: rejected).

        `reason` is the reviewer's (or the AI moderator's kind) and is shown to the owner on a rejection; `by` is
        the admin's user id or "cloudinary"; `source` labels metrics and logs (webhook, admin, reconcile).
        Raises Conflict for an upload that is not under moderation or was decided the other way; may raise
        CloudinaryUnavailable when an approval needs the asset from the Admin API and it does not answer.
        """
        if intent.moderation is None:
            raise Conflict("This upload is not under moderation.")
        if intent.moderation_status is None and intent.status in FINISHED:
            # Ended without a moderation decision (a policy rejection, an account deletion): nothing to decide.
            raise Conflict(f"This upload is no longer under moderation ({intent.status.value}).")
        if intent.moderation_status not in (None, outcome):
            raise Conflict(f"This upload was already {intent.moderation_status}.")
        asset = None
        if outcome == "approved" and intent.asset is None and intent.status is not IntentStatus.APPLIED:
            # Decided before its upload notification arrived (or it was lost): the asset comes from Cloudinary.
            asset = await self._assets.resource(intent.public_id)
        return await self._applier.decided(intent, outcome, reason=reason, by=by, source=source, asset=asset)

    async def take_down(self, user_id: str, *, reason: str, by: str) -> str | None:
        """Remove the user's live picture for a moderation reason (its asset destroyed through the outbox, the
        owner's `moderation_notice` set to taken_down). The public_id removed, or None when there was none."""
        return await self._applier.take_down(user_id, reason=reason, by=by)
