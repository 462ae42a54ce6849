"""Prometheus metrics at `/metrics`: counters and histograms updated as things happen, gauges read from MongoDB
at scrape time (so every instance reports the same shared numbers)."""

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from pymongo.errors import PyMongoError

from profile_service.avatars.intents import IntentRepository, IntentStatus
from profile_service.outbox.repository import OutboxRepository
from profile_service.profiles.cache import RecentProfiles
from service_kit.clock import Clock, to_ms
from service_kit.outbox import DEAD, PENDING

logger = logging.getLogger(__name__)


class ReadCacheCollector(Collector):
    """`profile_read_cache_total{view, result}`, read from the read caches' own tallies at scrape time (a plain
    integer increment on the hot path instead of a Prometheus counter's lock)."""

    def __init__(self, recent: RecentProfiles) -> None:
        self._recent = recent

    def collect(self) -> Iterator[CounterMetricFamily]:
        """One sample per (view, result) seen so far."""
        family = CounterMetricFamily(
            "profile_read_cache",
            "Hot-read cache lookups: hit, miss, or skipped (the owner just wrote)",
            labels=["view", "result"],
        )
        for (view, result), count in sorted(self._recent.lookups.items()):
            family.add_metric([view, result], count)
        yield family


class Metrics:
    """One registry per app, so tests can build many apps in one process; the gauges read `intents` and `outbox`;
    `commands` is the Mongo client's command counter (`mongodb_commands_total{command,collection}`)."""

    def __init__(
        self,
        recent: RecentProfiles,
        *,
        intents: IntentRepository,
        outbox: OutboxRepository,
        grace_seconds: float,
        clock: Clock,
        commands: Collector,
    ) -> None:
        self._intents = intents
        self._outbox = outbox
        self._grace_seconds = grace_seconds
        self._clock = clock
        self.registry = CollectorRegistry()
        self.registry.register(ReadCacheCollector(recent))
        self.registry.register(commands)
        self.sign_to_applied = Histogram(
            "profile_avatar_sign_to_applied_seconds",
            "Time from signing upload parameters to the avatar being applied",
            ["source"],
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800),
            registry=self.registry,
        )
        self.uploads_signed = Counter(
            "profile_uploads_signed_total", "Upload parameters signed", registry=self.registry
        )
        self.sign_refused = Counter(
            "profile_upload_sign_refused_total",
            "Signing requests refused by a quota (open_uploads: too many pending; hourly_uploads: too many this hour)",
            ["reason"],
            registry=self.registry,
        )
        self.webhook_signature_failures = Counter(
            "profile_webhook_signature_failures_total",
            "Webhook requests rejected for a bad signature or timestamp",
            ["reason"],
            registry=self.registry,
        )
        self.webhooks = Counter(
            "profile_webhook_notifications_total",
            "Verified notifications by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.outcomes = Counter(
            "profile_upload_outcomes_total",
            "Applied/superseded/rejected uploads by source",
            ["outcome", "source"],
            registry=self.registry,
        )
        self.moderation = Counter(
            "profile_moderation_outcomes_total",
            "Moderated uploads: awaiting (held for review), approved, rejected, by source (webhook, confirm, "
            "reconcile, admin)",
            ["outcome", "source"],
            registry=self.registry,
        )
        self.destroys = Counter(
            "profile_outbox_destroys_total", "Outbox destroy attempts by result", ["result"], registry=self.registry
        )
        self.change_gaps_skipped = Counter(
            "profile_change_gaps_skipped_total",
            "Change-feed sequence numbers given up after the gap timeout (their writer never inserted the event)",
            registry=self.registry,
        )
        self.orphans_found = Counter(
            "profile_orphans_found_total",
            "Assets under the avatar prefix that nothing refers to",
            registry=self.registry,
        )
        self.intents = Gauge("profile_upload_intents", "Upload intents by status", ["status"], registry=self.registry)
        self.stuck_pending = Gauge(
            "profile_upload_intents_stuck_pending",
            "Pending intents past their expiry and grace period (reconciliation is behind)",
            registry=self.registry,
        )
        self.outbox_depth = Gauge("profile_outbox_depth", "Outbox jobs waiting to run", registry=self.registry)
        self.dead_letters = Gauge("profile_outbox_dead_letters", "Outbox jobs that gave up", registry=self.registry)

    async def refresh_gauges(self) -> None:
        """Read the shared numbers from MongoDB."""
        by_status = await self._intents.count_by_status()
        for status in IntentStatus:
            self.intents.labels(status.value).set(by_status.get(status.value, 0))
        overdue_before = to_ms(self._clock()) - int(self._grace_seconds * 1000)
        self.stuck_pending.set(await self._intents.count_overdue(overdue_before))
        jobs = await self._outbox.counts()
        self.outbox_depth.set(jobs.get(PENDING, 0))
        self.dead_letters.set(jobs.get(DEAD, 0))


async def refresh_gauges(metrics: Metrics) -> None:
    """Read the gauges before a scrape; without the database, still serve the in-process counters (the gauges
    keep their last values)."""
    try:
        await metrics.refresh_gauges()
    except PyMongoError as exc:
        logger.warning("metrics: database unavailable (%s)", type(exc).__name__)
