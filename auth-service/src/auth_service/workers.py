"""The outbox workers (e-mail, account deletion) and the HTTP client they use, for the app's lifetime."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar

from auth_service.account.deletion import AccountDeleter
from auth_service.activity.repository import COLLECTION as ACTIVITY
from auth_service.activity.repository import ActivityRepository
from auth_service.config import Settings
from auth_service.mail import Mailer
from auth_service.outbox import DELETION_OUTBOX, EMAIL_OUTBOX, Handler, Outbox, OutboxWorker
from auth_service.sessions.repository import FAMILIES, FamilyRepository
from auth_service.users.repository import COLLECTION as USERS
from auth_service.users.repository import UserRepository
from service_kit.mongo import Mongo

logger = logging.getLogger(__name__)


@asynccontextmanager
async def workers_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Build both workers (tests drive `app.state.workers[...].run_once()`); run them unless switched off."""
    settings: Settings = app.state.settings
    mongo: Mongo = app.state.mongo
    clock = app.state.clock
    wakes = {EMAIL_OUTBOX: asyncio.Event(), DELETION_OUTBOX: asyncio.Event()}
    app.state.outbox_wakes = wakes
    async with httpx.AsyncClient(timeout=10.0) as http:
        handlers: dict[str, Handler] = {
            EMAIL_OUTBOX: Mailer(settings).send_job,
            DELETION_OUTBOX: AccountDeleter(
                http=http,
                tokens=app.state.tokens,
                settings=settings,
                users=UserRepository(mongo.db[USERS]),
                families=FamilyRepository(mongo.db[FAMILIES]),
                activity=ActivityRepository(mongo.db[ACTIVITY], clock),
                clock=clock,
            ),
        }
        workers = {
            name: OutboxWorker(
                name,
                Outbox(mongo.db[name], clock, wakes[name]),
                handler,
                wake=wakes[name],
                lease_seconds=settings.outbox_lease_seconds,
                max_attempts=settings.outbox_max_attempts,
                backoff=settings.outbox_backoff_seconds,
                backoff_cap=settings.outbox_backoff_max_seconds,
                poll_seconds=settings.outbox_poll_seconds,
            )
            for name, handler in handlers.items()
        }
        app.state.workers = workers

        async def start(worker: OutboxWorker) -> None:
            await mongo.indexes_ready.wait()
            await worker.run()

        tasks = [asyncio.create_task(start(w), name=w.name) for w in workers.values()] if settings.outbox_worker else []
        if settings.smtp_host is None:
            logger.warning("AUTH_SMTP_HOST is not set: account e-mail waits in the outbox")
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
