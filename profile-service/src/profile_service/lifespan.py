"""Everything the service runs beside its handlers, for the app's lifetime: the Cloudinary SDK configuration,
the JWKS client, the outbox worker and the reconciliation loops."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar
from pymongo.errors import PyMongoError

from profile_service.auth import KeySet, TokenVerifier
from profile_service.avatars.cloudinary import CloudinaryAccount, CloudinaryAssets, CloudinaryUnavailable, configure_sdk
from profile_service.config import Settings
from profile_service.metrics import Metrics
from profile_service.outbox.worker import OutboxWorker
from profile_service.profiles.repository import ProfileRepository
from profile_service.reconcile import Reconciler
from service_kit.mongo import Mongo

logger = logging.getLogger(__name__)


async def every(name: str, interval: float, action: Callable[[], Awaitable[object]], ready: asyncio.Event) -> None:
    """Run `action` every `interval` seconds once the database is ready; failures are logged, never fatal."""
    await ready.wait()
    while True:
        await asyncio.sleep(interval)
        try:
            await action()
        except (PyMongoError, CloudinaryUnavailable) as exc:
            logger.warning("%s: dependency unavailable (%s: %s)", name, type(exc).__name__, exc)
        except Exception:
            logger.exception("%s failed", name)


@asynccontextmanager
async def services_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Configure the SDK once, open the JWKS client, start the background loops; stop them on shutdown."""
    settings: Settings = app.state.settings
    mongo: Mongo = app.state.mongo
    account = CloudinaryAccount.from_url(settings.cloudinary_url)
    configure_sdk(account)
    app.state.cloudinary_account = account
    if getattr(app.state, "assets", None) is None:
        app.state.assets = CloudinaryAssets()
    app.state.metrics = Metrics(app.state.recent_profiles)
    app.state.outbox_wake = asyncio.Event()
    # Request handlers share one repository (per-request construction was measurable on the hot reads).
    app.state.profiles = ProfileRepository(mongo.db, app.state.recent_profiles)
    async with httpx.AsyncClient() as http:
        keys = KeySet(
            settings.auth_jwks_url,
            http,
            min_refresh=settings.jwks_min_refresh_seconds,
            max_age=settings.jwks_max_age_seconds,
        )
        # One key set, two audiences: user access tokens, and service tokens for /internal/*.
        app.state.token_verifier = TokenVerifier(keys, issuer=settings.auth_issuer, audience=settings.auth_audience)
        app.state.service_token_verifier = TokenVerifier(
            keys, issuer=settings.auth_issuer, audience=settings.internal_audience
        )
        worker = OutboxWorker(mongo.db, app.state.assets, settings, app.state.metrics, app.state.outbox_wake)
        reconciler = Reconciler(
            mongo.db, app.state.assets, settings, app.state.metrics, app.state.outbox_wake, app.state.recent_profiles
        )
        app.state.outbox_worker = worker
        app.state.reconciler = reconciler

        async def start_worker() -> None:
            await mongo.indexes_ready.wait()
            await worker.run()

        tasks = [asyncio.create_task(start_worker(), name="outbox")]
        if settings.reconcile_interval_seconds > 0:
            tasks.append(
                asyncio.create_task(
                    every(
                        "reconcile",
                        settings.reconcile_interval_seconds,
                        reconciler.reconcile_overdue,
                        mongo.indexes_ready,
                    )
                )
            )
        if settings.orphan_sweep_interval_seconds > 0:
            tasks.append(
                asyncio.create_task(
                    every(
                        "orphan sweep",
                        settings.orphan_sweep_interval_seconds,
                        lambda: reconciler.sweep_orphans(dry_run=False),
                        mongo.indexes_ready,
                    )
                )
            )
        logger.info(
            "profile-service started",
            extra={"cloud_name": account.cloud_name, "database": settings.database, "issuer": settings.auth_issuer},
        )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
