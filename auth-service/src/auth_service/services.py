"""The composition root: every long-lived object of the auth service, built once, and what runs beside the app.

`build()` makes everything, synchronously and without touching the network (the MongoDB and HTTP clients
connect on first use); it raises SettingsError when the signing keys are missing or unreadable. `running()`
is what needs the event loop for the process's lifetime: the MongoDB client and its indexes, the outbox
workers (started once the indexes exist), the HTTP client. The app, the tests and any CLI go through both.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from litestar.datastructures import State
from prometheus_client import CollectorRegistry

from auth_service.account import tokens as action_tokens
from auth_service.account.deletion import AccountDeleter
from auth_service.account.service import AccountService
from auth_service.account.tokens import ActionTokenRepository
from auth_service.activity import repository as activity
from auth_service.activity.repository import ActivityRepository
from auth_service.admin import repository as audit
from auth_service.admin.repository import AuditRepository
from auth_service.admin.service import AdminService
from auth_service.config import Settings
from auth_service.keys import KeySet, load_keys
from auth_service.mail import Mailer
from auth_service.mfa import challenges
from auth_service.mfa.challenges import ChallengeRepository
from auth_service.mfa.service import MfaService
from auth_service.mfa.totp import TotpCipher
from auth_service.outbox import DELETION_OUTBOX, EMAIL_OUTBOX, OutboxJob, log_fields
from auth_service.outbox import create_indexes as create_outbox_indexes
from auth_service.passkeys import repository as passkeys
from auth_service.passkeys.repository import CeremonyRepository, PasskeyRepository
from auth_service.passkeys.service import PasskeyService
from auth_service.passwords import Passwords
from auth_service.sessions import devices as known_devices
from auth_service.sessions import repository as sessions
from auth_service.sessions.devices import DeviceRepository, NewDeviceNotifier
from auth_service.sessions.repository import FamilyRepository, RefreshTokenRepository
from auth_service.sessions.service import SessionService
from auth_service.throttle import COLLECTION as LOGIN_FAILURES
from auth_service.throttle import MFA_COLLECTION, PASSKEY_COLLECTION, RESET_COLLECTION, LoginThrottle
from auth_service.throttle import create_indexes as create_throttle_indexes
from auth_service.tokens import TokenService
from auth_service.users import repository as users
from auth_service.users.repository import UserRepository
from service_kit.clock import Clock, utc_now
from service_kit.mongo import IndexCreator, Mongo
from service_kit.outbox import JobQueue, JobWorker, Perform, Retry
from service_kit.tracing import Tracing

logger = logging.getLogger(__name__)

INDEXES: tuple[IndexCreator, ...] = (
    users.create_indexes,
    sessions.create_indexes,
    known_devices.create_indexes,
    action_tokens.create_indexes,
    challenges.create_indexes,
    create_throttle_indexes,
    activity.create_indexes,
    create_outbox_indexes,
    passkeys.create_indexes,
    audit.create_indexes,
)


@dataclass(frozen=True, kw_only=True)
class Services:
    """Everything that lives as long as the process; handlers reach it as `state.services`."""

    settings: Settings
    clock: Clock
    mongo: Mongo
    keys: KeySet
    tokens: TokenService
    passwords: Passwords
    users: UserRepository
    activity: ActivityRepository
    mfa: MfaService
    sessions: SessionService
    accounts: AccountService
    passkeys: PasskeyService
    audit: AuditRepository
    admin: AdminService
    # Keyed by collection name: tests drive `workers[EMAIL_OUTBOX].run_once()` themselves.
    workers: Mapping[str, JobWorker[OutboxJob]]
    http: httpx.AsyncClient
    tracing: Tracing
    # What `/metrics` serves: the Mongo client's command counter.
    metrics: CollectorRegistry

    def ready(self) -> "Services":
        """These services, once the indexes exist; 503 before (writes could slip past a unique index)."""
        self.mongo.ready_db()
        return self


def build(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    http: httpx.AsyncClient | None = None,
    signing: bool = True,
    tracing: Tracing | None = None,
) -> Services:
    """Every long-lived object, wired; `clock` and `http` (the client profile-service is called with) for tests.

    `signing=False` is for tools that issue no token (the grant-role CLI): the signing keys are not read, and
    anything that would sign raises. `tracing` defaults to the OTEL_* environment's (off unless something exports).
    """
    tracing = tracing or Tracing.from_env("auth-service")
    mongo = Mongo(
        settings.mongodb_uri,
        settings.database,
        appname="auth-service",
        timeout_ms=settings.mongodb_timeout_ms,
        indexes=INDEXES,
        listeners=tracing.mongo_listeners(),
    )
    db = mongo.db
    http = http or tracing.http_client(timeout=10.0)
    keys = load_keys(settings) if signing else KeySet(())
    tokens = TokenService(keys, issuer=settings.issuer, ttl_seconds=settings.access_token_ttl_seconds, clock=clock)
    passwords = Passwords.from_settings(settings)
    user_repository = UserRepository(db[users.COLLECTION])
    families = FamilyRepository(db[sessions.FAMILIES])
    devices = DeviceRepository(db[known_devices.COLLECTION])
    action_token_repository = ActionTokenRepository(db[action_tokens.COLLECTION])
    activity_repository = ActivityRepository(db[activity.COLLECTION], clock)

    def throttle(collection: str, per_account: int, message: str) -> LoginThrottle:
        return LoginThrottle(
            db[collection],
            max_per_account=per_account,
            max_per_address=settings.login_max_failures_per_address,
            window_seconds=settings.login_window_seconds,
            clock=clock,
            message=message,
        )

    mfa = MfaService(
        users=user_repository,
        families=families,
        activity=activity_repository,
        throttle=throttle(MFA_COLLECTION, settings.mfa_max_failures, "Too many wrong codes; try again later."),
        cipher=TotpCipher(settings.mfa_encryption_key) if settings.mfa_encryption_key else None,
        issuer=settings.mfa_issuer,
        clock=clock,
    )
    # A new job wakes this instance's worker at once; other instances find it when they next poll.
    wakes = {EMAIL_OUTBOX: asyncio.Event(), DELETION_OUTBOX: asyncio.Event()}
    queues = {name: JobQueue(db[name], OutboxJob, clock, wake) for name, wake in wakes.items()}
    accounts = AccountService(
        users=user_repository,
        families=families,
        action_tokens=action_token_repository,
        activity=activity_repository,
        mail=queues[EMAIL_OUTBOX],
        deletions=queues[DELETION_OUTBOX],
        passwords=passwords,
        mfa=mfa,
        password_throttle=throttle(
            LOGIN_FAILURES, settings.login_max_failures_per_account, "Too many wrong passwords; try again later."
        ),
        reset_throttle=throttle(
            RESET_COLLECTION, settings.login_max_failures_per_account, "Too many reset requests; try again later."
        ),
        settings=settings,
        clock=clock,
    )
    sessions_service = SessionService(
        activity=activity_repository,
        mfa=mfa,
        challenges=ChallengeRepository(db[challenges.COLLECTION]),
        challenge_ttl=timedelta(seconds=settings.mfa_challenge_ttl_seconds),
        users=user_repository,
        families=families,
        refresh_tokens=RefreshTokenRepository(db[sessions.REFRESH_TOKENS]),
        passwords=passwords,
        throttle=LoginThrottle(
            db[LOGIN_FAILURES],
            max_per_account=settings.login_max_failures_per_account,
            max_per_address=settings.login_max_failures_per_address,
            window_seconds=settings.login_window_seconds,
            clock=clock,
        ),
        tokens=tokens,
        audience=settings.user_audience,
        refresh_ttl=timedelta(days=settings.refresh_token_ttl_days),
        clock=clock,
        notifier=NewDeviceNotifier(
            devices=devices,
            families=families,
            action_tokens=action_token_repository,
            mail=queues[EMAIL_OUTBOX],
            settings=settings,
            clock=clock,
        ),
    )
    passkey_repository = PasskeyRepository(db[passkeys.PASSKEYS])
    passkey_service = PasskeyService(
        passkeys=passkey_repository,
        ceremonies=CeremonyRepository(db[passkeys.CHALLENGES]),
        users=user_repository,
        sessions=sessions_service,
        activity=activity_repository,
        throttle=throttle(PASSKEY_COLLECTION, settings.login_max_failures_per_account, "Too many passkey sign-ins."),
        settings=settings,
        clock=clock,
    )
    deleter = AccountDeleter(
        http=http,
        tokens=tokens,
        settings=settings,
        users=user_repository,
        families=families,
        devices=devices,
        activity=activity_repository,
        passkeys=passkey_repository,
        clock=clock,
    )
    audit_repository = AuditRepository(db[audit.COLLECTION], clock)
    admin = AdminService(
        users=user_repository, families=families, passkeys=passkey_repository, audit=audit_repository, clock=clock
    )
    retry = Retry(
        lease_seconds=settings.outbox_lease_seconds,
        max_attempts=settings.outbox_max_attempts,
        backoff_seconds=settings.outbox_backoff_seconds,
        backoff_max_seconds=settings.outbox_backoff_max_seconds,
        poll_seconds=settings.outbox_poll_seconds,
    )
    performers: dict[str, Perform[OutboxJob]] = {EMAIL_OUTBOX: Mailer(settings).send_job, DELETION_OUTBOX: deleter}
    workers = {
        name: JobWorker(name, queues[name], perform, retry, wake=wakes[name], log_fields=log_fields, tracing=tracing)
        for name, perform in performers.items()
    }
    metrics = CollectorRegistry()
    metrics.register(mongo.commands)
    return Services(
        settings=settings,
        clock=clock,
        mongo=mongo,
        keys=keys,
        tokens=tokens,
        passwords=passwords,
        users=user_repository,
        activity=activity_repository,
        mfa=mfa,
        sessions=sessions_service,
        accounts=accounts,
        passkeys=passkey_service,
        audit=audit_repository,
        admin=admin,
        workers=workers,
        http=http,
        tracing=tracing,
        metrics=metrics,
    )


@asynccontextmanager
async def running(services: Services) -> AsyncIterator[Services]:
    """The process's lifetime: MongoDB (indexes in the background), the outbox workers unless switched off."""
    settings = services.settings
    async with services.mongo.running():
        tasks = []
        if settings.outbox_worker:
            tasks = [asyncio.create_task(_work(services.mongo, w), name=w.name) for w in services.workers.values()]
        if settings.smtp_host is None:
            logger.warning("AUTH_SMTP_HOST is not set: account e-mail waits in the outbox")
        try:
            yield services
        finally:
            # Workers stop before the clients they use are closed.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await services.http.aclose()
            services.tracing.shutdown()


async def _work(mongo: Mongo, worker: JobWorker[OutboxJob]) -> None:
    # A job claimed before the indexes exist would be performed against collections still being set up.
    await mongo.indexes_ready.wait()
    await worker.run()


def metrics_registry(state: State) -> CollectorRegistry:
    """What `/metrics` serves."""
    services: Services = state.services
    return services.metrics


async def mongo_ready(state: State) -> bool:
    """Readiness: MongoDB answers and the indexes exist."""
    services: Services = state.services
    return await services.mongo.ping()
