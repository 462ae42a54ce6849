"""The composition root: every long-lived object of a process, built once by `build()` and run by `running()`.

`app.py`, the CLIs (`reconcile.py`, `migration/cli.py`) and the tests all build through here, so every process
connects to MongoDB with the same options and creates the same indexes. `build()` does no I/O (the MongoDB and
HTTP clients connect lazily); `running()` is what needs the event loop: the SDK configuration, the client's
lifetime with its indexes, the JWKS client, the outbox worker and the reconciliation loops.
"""

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from litestar.datastructures import State
from prometheus_client import CollectorRegistry
from pymongo.errors import PyMongoError

from profile_service.admin import audit as audit_module
from profile_service.admin.audit import AuditRepository
from profile_service.admin.desk import ModerationDesk
from profile_service.auth import KeySet, TokenVerifier
from profile_service.avatars import intents as intents_module
from profile_service.avatars.apply import UploadApplier
from profile_service.avatars.cloudinary import (
    AssetStore,
    CloudinaryAccount,
    CloudinaryAssets,
    CloudinaryUnavailable,
    configure_sdk,
)
from profile_service.avatars.intents import IntentRepository
from profile_service.avatars.moderation import ModerationDecider
from profile_service.avatars.policy import AvatarPolicy
from profile_service.config import Settings
from profile_service.feed import repository as feed_module
from profile_service.feed.repository import ChangeFeed
from profile_service.metrics import Metrics, refresh_gauges
from profile_service.outbox import repository as outbox_module
from profile_service.outbox.repository import DestroyJob, OutboxRepository
from profile_service.outbox.worker import Destroyer, outbox_worker
from profile_service.profiles import repository as profiles_module
from profile_service.profiles.cache import RecentProfiles
from profile_service.profiles.deletion import ProfileDeletion
from profile_service.profiles.repository import ProfileRepository
from profile_service.reconcile import Reconciler
from service_kit.clock import Clock, to_ms, utc_now
from service_kit.mongo import Database, IndexCreator, Mongo
from service_kit.outbox import JobQueue, JobWorker
from service_kit.tracing import Tracing

logger = logging.getLogger(__name__)

# Every collection's indexes, created at each start by the app and by the CLIs.
INDEXES: tuple[IndexCreator, ...] = (
    profiles_module.create_indexes,
    intents_module.create_indexes,
    outbox_module.create_indexes,
    audit_module.create_indexes,
)


@dataclass(frozen=True, kw_only=True)
class Services:
    """What exists once per process; request handlers reach it through the providers below."""

    settings: Settings
    clock: Clock
    mongo: Mongo
    account: CloudinaryAccount
    assets: AssetStore
    recent_profiles: RecentProfiles
    profiles: ProfileRepository
    feed: ChangeFeed
    intents: IntentRepository
    outbox: OutboxRepository
    metrics: Metrics
    applier: UploadApplier
    moderation: ModerationDecider
    deletion: ProfileDeletion
    reconciler: Reconciler
    audit: AuditRepository
    desk: ModerationDesk
    outbox_worker: JobWorker[DestroyJob]
    http: httpx.AsyncClient
    tracing: Tracing
    token_verifier: TokenVerifier
    service_token_verifier: TokenVerifier
    any_audience_verifier: TokenVerifier


def build(
    settings: Settings, *, clock: Clock = utc_now, assets: AssetStore | None = None, tracing: Tracing | None = None
) -> Services:
    """Build every long-lived object, without I/O; `clock`, `assets` (Cloudinary) and `tracing` (by default the
    OTEL_* environment's, off unless something exports) may be replaced by tests."""
    tracing = tracing or Tracing.from_env("profile-service")
    feed_indexes = functools.partial(feed_module.create_indexes, retention_days=settings.change_retention_days)
    mongo = Mongo(
        settings.mongodb_uri,
        settings.database,
        appname="profile-service",
        timeout_ms=settings.mongodb_timeout_ms,
        # The change feed's TTL index depends on the retention setting.
        indexes=(*INDEXES, feed_indexes),
        listeners=tracing.mongo_listeners(),
    )
    db = mongo.db
    assets = CloudinaryAssets(tracing=tracing) if assets is None else assets
    # Scheduling a destroy wakes this instance's worker at once instead of at its next poll.
    wake = asyncio.Event()
    recent = RecentProfiles(settings.read_cache_seconds)
    intents = IntentRepository(db, clock)
    outbox = OutboxRepository(JobQueue(db["outbox"], DestroyJob, clock, wake))
    metrics = Metrics(
        recent,
        intents=intents,
        outbox=outbox,
        grace_seconds=settings.upload_grace_seconds,
        clock=clock,
        commands=mongo.commands,
    )
    feed = ChangeFeed(
        db,
        clock,
        retention_days=settings.change_retention_days,
        gap_timeout_seconds=settings.change_gap_timeout_seconds,
        on_gap_skipped=metrics.change_gaps_skipped.inc,
    )
    # One repository for every request (per-request construction was measurable on the hot reads).
    profiles = ProfileRepository(db, clock, recent, feed)
    applier = UploadApplier(
        profiles,
        intents,
        outbox,
        AvatarPolicy.from_settings(settings),
        settings.avatar_sizes,
        metrics,
        clock,
        tracing,
    )
    moderation = ModerationDecider(applier, assets)
    audit = AuditRepository(db, clock)
    http = tracing.http_client()
    keys = KeySet(
        settings.auth_jwks_url,
        http,
        min_refresh=settings.jwks_min_refresh_seconds,
        max_age=settings.jwks_max_age_seconds,
    )
    return Services(
        settings=settings,
        clock=clock,
        mongo=mongo,
        account=CloudinaryAccount.from_url(settings.cloudinary_url),
        assets=assets,
        recent_profiles=recent,
        profiles=profiles,
        feed=feed,
        intents=intents,
        outbox=outbox,
        metrics=metrics,
        applier=applier,
        moderation=moderation,
        deletion=ProfileDeletion(profiles, intents, outbox, assets, settings.avatar_prefix, clock),
        reconciler=Reconciler(
            profiles=profiles,
            intents=intents,
            outbox=outbox,
            applier=applier,
            moderation=moderation,
            assets=assets,
            settings=settings,
            metrics=metrics,
            clock=clock,
            tracing=tracing,
        ),
        audit=audit,
        desk=ModerationDesk(
            intents=intents, decider=moderation, assets=assets, audit=audit, sizes=settings.avatar_sizes
        ),
        outbox_worker=outbox_worker(Destroyer(outbox, profiles, assets, metrics), outbox, settings, wake, tracing),
        http=http,
        tracing=tracing,
        # One key set, two audiences: user access tokens, and service tokens for /internal/*.
        token_verifier=TokenVerifier(keys, issuer=settings.auth_issuer, audience=settings.auth_audience),
        service_token_verifier=TokenVerifier(keys, issuer=settings.auth_issuer, audience=settings.internal_audience),
        # Only to answer 403 rather than 401 to a valid token of another audience on /internal/*.
        any_audience_verifier=TokenVerifier(keys, issuer=settings.auth_issuer, audience=None),
    )


@asynccontextmanager
async def running(services: Services, *, background: bool = True) -> AsyncIterator[Services]:
    """The lifetime of the app (`background`: the outbox worker and the reconciliation loops) or of a CLI.

    The app serves while its indexes are created (requests that need them answer 503 until then); a CLI starts
    working only once they exist, and gives up with TimeoutError when MongoDB does not answer.
    """
    settings, mongo = services.settings, services.mongo
    configure_sdk(services.account)
    async with mongo.running(), services.http:
        tasks: list[asyncio.Task[None]] = []
        if background:
            tasks.append(asyncio.create_task(_after_indexes(mongo, services.outbox_worker.run), name="outbox"))
            if settings.reconcile_interval_seconds > 0:
                reconcile = every(
                    "reconcile", settings.reconcile_interval_seconds, services.reconciler.reconcile_overdue
                )
                tasks.append(asyncio.create_task(_after_indexes(mongo, reconcile), name="reconcile"))
            if settings.orphan_sweep_interval_seconds > 0:
                sweep = every(
                    "orphan sweep",
                    settings.orphan_sweep_interval_seconds,
                    lambda: services.reconciler.sweep_orphans(dry_run=False),
                )
                tasks.append(asyncio.create_task(_after_indexes(mongo, sweep), name="orphan sweep"))
            if settings.change_sweep_interval_seconds > 0:
                gap_ms = int(settings.change_gap_timeout_seconds * 1000)
                sweep_changes = every(
                    "change sweep",
                    settings.change_sweep_interval_seconds,
                    lambda: services.profiles.publish_stranded(to_ms(services.clock()) - gap_ms),
                )
                tasks.append(asyncio.create_task(_after_indexes(mongo, sweep_changes), name="change sweep"))
            logger.info(
                "profile-service started",
                extra={
                    "cloud_name": services.account.cloud_name,
                    "database": settings.database,
                    "issuer": settings.auth_issuer,
                },
            )
        else:
            # Two rounds of server selection: the first attempt to create the indexes and its retry.
            async with asyncio.timeout(2 * settings.mongodb_timeout_ms / 1000 + 1):
                await mongo.indexes_ready.wait()
        try:
            yield services
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if background:
                # The app's end flushes the exporters; a CLI's spans are flushed at interpreter exit.
                services.tracing.shutdown()


async def _after_indexes(mongo: Mongo, loop: Callable[[], Awaitable[None]]) -> None:
    await mongo.indexes_ready.wait()
    await loop()


def every(name: str, interval: float, action: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """A loop running `action` every `interval` seconds; failures are logged, never fatal."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await action()
            except (PyMongoError, CloudinaryUnavailable) as exc:
                logger.warning("%s: dependency unavailable (%s: %s)", name, type(exc).__name__, exc)
            except Exception:
                logger.exception("%s failed", name)

    return loop


# Providers: request handlers reach the services through these (app-level dependencies in app.py).


def services_of(state: State) -> Services:
    """The app's services (the only key on `app.state`)."""
    services: Services = state.services
    return services


def _ready(state: State) -> Services:
    # Until the indexes exist, writes could slip past a unique index (intents' public_id): 503 until then.
    services = services_of(state)
    services.mongo.ready_db()
    return services


def provide_settings(state: State) -> Settings:
    """The app's settings (a dependency, so handlers declare what they read)."""
    return services_of(state).settings


def provide_db(state: State) -> Database:
    """The service's database, once its indexes exist."""
    return services_of(state).mongo.ready_db()


def provide_metrics(state: State) -> Metrics:
    """The app's metrics."""
    return services_of(state).metrics


def metrics_registry(state: State) -> CollectorRegistry:
    """What `/metrics` serves."""
    return services_of(state).metrics.registry


async def refresh_metrics(state: State) -> None:
    """Read the gauges from MongoDB before a scrape."""
    await refresh_gauges(services_of(state).metrics)


def provide_account(state: State) -> CloudinaryAccount:
    """The Cloudinary account the app was configured with."""
    return services_of(state).account


def provide_assets(state: State) -> AssetStore:
    """The Cloudinary adapter."""
    return services_of(state).assets


def provide_profiles(state: State) -> ProfileRepository:
    """The shared repository. No readiness gate: the profiles collection has no unique index but `_id`, so
    nothing can slip past an index that does not exist yet."""
    return services_of(state).profiles


def provide_intents(state: State) -> IntentRepository:
    """Upload intents, once the indexes exist."""
    return _ready(state).intents


def provide_outbox(state: State) -> OutboxRepository:
    """The outbox, once the indexes exist; scheduling a job wakes this instance's worker."""
    return _ready(state).outbox


def provide_applier(state: State) -> UploadApplier:
    """The one apply path, once the indexes exist."""
    return _ready(state).applier


def provide_moderation(state: State) -> ModerationDecider:
    """Moderation decisions (the webhook's, admins', reconciliation's), once the indexes exist."""
    return _ready(state).moderation


def provide_deletion(state: State) -> ProfileDeletion:
    """The account deletion, once the indexes exist."""
    return _ready(state).deletion


def provide_feed(state: State) -> ChangeFeed:
    """The change feed (its TTL index is not needed for correctness: reads filter by age themselves)."""
    return services_of(state).feed


def provide_audit(state: State) -> AuditRepository:
    """The admin audit log."""
    return services_of(state).audit


def provide_desk(state: State) -> ModerationDesk:
    """The admins' moderation use cases, once the indexes exist."""
    return _ready(state).desk


async def mongo_ready(state: State) -> bool:
    """Readiness: MongoDB answers and the indexes exist."""
    return await services_of(state).mongo.ping()
