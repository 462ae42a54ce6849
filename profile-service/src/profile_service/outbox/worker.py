"""The outbox worker: runs inside every instance, claims due destroy jobs with a lease, performs them at
Cloudinary, retries failures with exponential backoff and dead-letters a job after `outbox_max_attempts`."""

import asyncio
import contextlib
import logging
import uuid

from pymongo.errors import PyMongoError

from profile_service.avatars.cloudinary import AssetStore
from profile_service.config import Settings
from profile_service.metrics import Metrics
from profile_service.outbox.repository import Job, OutboxRepository
from profile_service.profiles.repository import ProfileRepository
from service_kit.mongo import Database

logger = logging.getLogger(__name__)


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next attempt after `attempts` failures: base, 2*base, 4*base, ... capped."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


class OutboxWorker:
    """Claims and performs destroy jobs; `run_once` is what tests call, `run` loops until cancelled."""

    def __init__(
        self, db: Database, assets: AssetStore, settings: Settings, metrics: Metrics, wake: asyncio.Event
    ) -> None:
        self._outbox = OutboxRepository(db, wake)
        self._profiles = ProfileRepository(db)
        self._assets = assets
        self._settings = settings
        self._metrics = metrics
        self._wake = wake
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"

    async def run_once(self) -> int:
        """Claim one batch of due jobs and perform them concurrently; returns how many were claimed."""
        jobs = await self._outbox.claim(self.owner, self._settings.outbox_lease_seconds)
        await asyncio.gather(*(self._perform(job) for job in jobs))
        return len(jobs)

    async def run(self) -> None:
        """Work until cancelled: immediately while there is work, else on wake-up or every poll interval."""
        while True:
            try:
                if await self.run_once():
                    continue
            except PyMongoError as exc:
                logger.warning("outbox: database unavailable (%s)", type(exc).__name__)
            except Exception:
                logger.exception("outbox: unexpected error")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._settings.outbox_poll_seconds)

    async def _perform(self, job: Job) -> None:
        log = {"intent_id": job.intent_id, "public_id": job.public_id, "job_id": job.id, "attempt": job.attempts}
        try:
            # Defence in depth: never destroy what a profile shows (the ordering rule should make this impossible).
            if job.user_id is not None and await self._profiles.current_public_id(job.user_id) == job.public_id:
                await self._outbox.finish(job, self.owner, "in use: skipped", destroyed=False)
                logger.error("outbox: refused to destroy the avatar a profile shows", extra=log)
                return
            result = await self._assets.destroy(job.public_id)
        except PyMongoError:
            raise
        except Exception as exc:
            dead = job.attempts >= self._settings.outbox_max_attempts
            delay = backoff_seconds(
                job.attempts, self._settings.outbox_backoff_seconds, self._settings.outbox_backoff_max_seconds
            )
            await self._outbox.retry_later(job, self.owner, f"{type(exc).__name__}: {exc}", delay, dead)
            self._metrics.destroys.labels("dead" if dead else "retry").inc()
            if dead:
                logger.error("outbox: destroy dead-lettered after %d attempts", job.attempts, extra=log)
            else:
                logger.warning("outbox: destroy failed, retrying in %.1fs: %s", delay, exc, extra=log)
            return
        await self._outbox.finish(job, self.owner, result, destroyed=True)
        self._metrics.destroys.labels(result.replace(" ", "_")).inc()
        logger.info("outbox: destroyed asset (%s)", result, extra={**log, "reason": job.reason})
