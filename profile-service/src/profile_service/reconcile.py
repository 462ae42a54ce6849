"""Reconciliation: what notifications missed.

- Overdue intents (parameters lapsed, no notification): ask the Admin API. An asset that exists goes through
  the same apply path as a webhook (policy, ordering rule, the moderation gate: a pending asset waits in
  awaiting_moderation); no asset means the upload never happened (expired), or that a later upload won
  (superseded, when the profile already shows a newer picture).
- Uploads awaiting moderation longer than PROFILE_MODERATION_RECONCILE_SECONDS (a lost `moderation`
  notification): the Admin API resource's moderation array decides them through the same decision path as the
  notification and the admin routes; each is asked about at most once per that period.
- Replaced pictures recorded on a profile but not yet in the outbox (a crash between the two writes).
- Orphan sweep: list the avatar prefix at Cloudinary and destroy assets no profile shows and no pending intent
  awaits (crashes, manual uploads). `dry_run` only reports.

Runs periodically inside the service; `python -m profile_service.reconcile [--orphans] [--dry-run]` runs one pass.
"""

import argparse
import asyncio
import json
import logging
import sys

import msgspec
from pymongo.errors import PyMongoError

from profile_service.avatars.apply import UploadApplier
from profile_service.avatars.cloudinary import (
    LISTING_LAG_MS,
    AssetStore,
    moderation_state,
    rejecting_kind,
    timestamp_ms,
)
from profile_service.avatars.intents import Intent, IntentRepository, IntentStatus
from profile_service.avatars.moderation import ModerationDecider, Outcome
from profile_service.config import Settings
from profile_service.metrics import Metrics
from profile_service.outbox.repository import OutboxRepository
from profile_service.profiles.repository import ProfileRepository
from service_kit.clock import Clock, to_ms
from service_kit.errors import Conflict
from service_kit.settings import SettingsError
from service_kit.tracing import Tracing

logger = logging.getLogger(__name__)


class ReconcileReport(msgspec.Struct):
    """What one pass over overdue intents did, by resulting status."""

    checked: int = 0
    outcomes: dict[str, int] = msgspec.field(default_factory=dict)
    retired_handed_over: int = 0
    # Uploads awaiting moderation that were checked against the Admin API, by resulting status.
    awaiting_checked: int = 0
    awaiting_outcomes: dict[str, int] = msgspec.field(default_factory=dict)


class OrphanReport(msgspec.Struct):
    """What the orphan sweep found (and, unless dry_run, scheduled for destruction)."""

    dry_run: bool
    listed: int
    orphans: list[str]


class Reconciler:
    """One instance per process; every method is safe to run concurrently on several instances."""

    def __init__(
        self,
        *,
        profiles: ProfileRepository,
        intents: IntentRepository,
        outbox: OutboxRepository,
        applier: UploadApplier,
        moderation: ModerationDecider,
        assets: AssetStore,
        settings: Settings,
        metrics: Metrics,
        clock: Clock,
        tracing: Tracing | None = None,
    ) -> None:
        # `profiles` carries the instance's read caches, so an avatar applied here is forgotten there at once.
        self._profiles = profiles
        self._intents = intents
        self._outbox = outbox
        self._applier = applier
        self._moderation = moderation
        self._assets = assets
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._tracing = tracing or Tracing.disabled()

    async def reconcile_overdue(self) -> ReconcileReport:
        """Resolve every pending intent whose parameters lapsed more than the grace period ago."""
        report = ReconcileReport()
        cutoff = to_ms(self._clock()) - int(self._settings.upload_grace_seconds * 1000)
        for intent in await self._intents.overdue(cutoff):
            report.checked += 1
            with self._tracing.linked_span("reconcile overdue upload", intent.traceparent, _span_of(intent)):
                status = await self._overdue(intent)
            report.outcomes[status.value] = report.outcomes.get(status.value, 0) + 1
            logger.info("reconciled overdue intent: %s", status.value, extra={"intent_id": intent.id})
        for user_id in await self._profiles.with_retired():
            await self._applier.hand_over_retired(user_id)
            report.retired_handed_over += 1
        await self.reconcile_awaiting(report)
        return report

    async def _overdue(self, intent: Intent) -> IntentStatus:
        asset = await self._assets.resource(intent.public_id)
        if asset is not None:
            return await self._applier.apply(intent, asset, "reconcile")
        # No asset: never uploaded, or uploaded, shown and already replaced and destroyed while its intent stayed
        # pending (the process lost MongoDB between the profile write and the intent's, and the notification's
        # retries had not come back yet). A newer picture on the profile means a later upload won either way.
        outcome = IntentStatus.EXPIRED
        if await self._profiles.applied_seq(intent.user_id) > intent.seq:
            outcome = IntentStatus.SUPERSEDED
        if await self._intents.transition(intent.id, outcome, only_from=(IntentStatus.PENDING,)):
            # It had stopped counting when its parameters lapsed; this only tidies the profile's quota.
            await self._profiles.release_upload(intent.user_id, intent.id)
        return outcome

    async def reconcile_awaiting(self, report: ReconcileReport) -> None:
        """Decide uploads whose moderation notification is overdue from what the Admin API reports now."""
        before_ms = to_ms(self._clock()) - int(self._settings.moderation_reconcile_seconds * 1000)
        for intent in await self._intents.awaiting_unchecked(before_ms):
            report.awaiting_checked += 1
            with self._tracing.linked_span("reconcile awaiting upload", intent.traceparent, _span_of(intent)):
                await self._awaiting(intent, report)

    async def _awaiting(self, intent: Intent, report: ReconcileReport) -> None:
        asset = await self._assets.resource(intent.public_id)
        await self._intents.mark_checked(intent.id)
        state = None if asset is None else moderation_state(asset.moderation)
        status = intent.status
        if asset is None:
            # Gone at Cloudinary (destroyed in its console, say): nothing left to approve.
            status = await self._applier.vanished(intent)
        elif state == "approved" or state == "rejected":
            outcome: Outcome = "approved" if state == "approved" else "rejected"
            kind = rejecting_kind(asset.moderation) or intent.moderation or "manual"
            try:
                status = await self._moderation.decide(
                    intent,
                    outcome,
                    reason=kind if outcome == "rejected" else None,
                    by="cloudinary",
                    source="reconcile",
                )
            except Conflict as exc:
                logger.warning("awaiting upload not decided: %s", exc.detail, extra={"intent_id": intent.id})
        report.awaiting_outcomes[status.value] = report.awaiting_outcomes.get(status.value, 0) + 1
        logger.info("reconciled awaiting upload: %s", status.value, extra={"intent_id": intent.id})

    async def sweep_orphans(self, *, dry_run: bool) -> OrphanReport:
        """Find assets under the avatar prefix that nothing refers to; schedule their destruction unless dry_run."""
        now = to_ms(self._clock())
        listed_since = now - LISTING_LAG_MS
        listed = await self._assets.list_public_ids(self._settings.avatar_prefix + "/")
        min_age = self._settings.orphan_min_age_seconds
        old_enough = [pid for pid, created in listed if _age_seconds(created, now) >= min_age]
        orphans: list[str] = []
        for start in range(0, len(old_enough), 200):
            chunk = old_enough[start : start + 200]
            used = await self._profiles.avatar_public_ids(chunk) | await self._intents.live_public_ids(chunk)
            orphans.extend(pid for pid in chunk if pid not in used)
        self._metrics.orphans_found.inc(len(orphans))
        if not dry_run:
            for public_id in orphans:
                owner = public_id.split("/")[1] if public_id.count("/") >= 2 else None
                await self._outbox.schedule_destroy(
                    public_id, reason="orphan", user_id=owner, exists_at_ms=listed_since
                )
        logger.info("orphan sweep: %d listed, %d orphans", len(listed), len(orphans), extra={"dry_run": dry_run})
        return OrphanReport(dry_run=dry_run, listed=len(listed), orphans=orphans)


def _span_of(intent: Intent) -> dict[str, str | None]:
    return {"upload.intent_id": intent.id, "upload.source": "reconcile"}


def _age_seconds(created_at: str | None, now_ms: int) -> float:
    created = timestamp_ms(created_at)
    if created is None:
        return float("inf")  # no creation time reported: old enough to judge
    return (now_ms - created) / 1000


async def _cli(argv: list[str]) -> int:
    # Imported here: services.py imports this module for the Reconciler.
    from profile_service.services import build, running

    parser = argparse.ArgumentParser(prog="python -m profile_service.reconcile", description=__doc__)
    parser.add_argument("--orphans", action="store_true", help="also sweep the avatar prefix for orphans")
    parser.add_argument("--dry-run", action="store_true", help="report orphans without scheduling destroys")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"profile_service.reconcile: {exc}", file=sys.stderr)
        return 2
    try:
        async with running(build(settings), background=False) as services:
            output: dict[str, object] = {}
            if not args.dry_run:
                output["overdue"] = msgspec.to_builtins(await services.reconciler.reconcile_overdue())
            if args.orphans or args.dry_run:
                output["orphans"] = msgspec.to_builtins(await services.reconciler.sweep_orphans(dry_run=args.dry_run))
    except (PyMongoError, TimeoutError) as exc:
        print(f"profile_service.reconcile: MongoDB is not answering ({type(exc).__name__})", file=sys.stderr)
        return 2
    print(json.dumps(output, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(_cli(sys.argv[1:])))
