"""Performing a destroy job: never the picture a profile shows, then the destroy at Cloudinary, with metrics.

The chassis' `JobWorker` runs it inside every instance: claims with a lease, retries with exponential backoff,
dead-letters a job after `outbox_max_attempts`, and loops until cancelled.
"""

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from profile_service.avatars.cloudinary import AssetStore
from profile_service.config import Settings
from profile_service.metrics import Metrics
from profile_service.outbox.repository import DestroyJob, OutboxRepository
from profile_service.profiles.repository import ProfileRepository
from service_kit.outbox import Finished, JobWorker, Retry
from service_kit.tracing import Tracing

logger = logging.getLogger(__name__)


class Destroyer:
    """The perform function of destroy jobs, and what a failed attempt counts."""

    def __init__(self, outbox: OutboxRepository, profiles: ProfileRepository, assets: AssetStore, metrics: Metrics):
        self._outbox = outbox
        self._profiles = profiles
        self._assets = assets
        self._metrics = metrics

    async def perform(self, job: DestroyJob) -> Finished:
        """Destroy the job's asset; raising means the attempt failed (the worker retries it)."""
        # Defence in depth: never destroy what a profile shows (the ordering rule should make this impossible).
        if job.user_id is not None and await self._profiles.current_public_id(job.user_id) == job.public_id:
            logger.error("outbox: refused to destroy the avatar a profile shows", extra=log_fields(job))
            return Finished(set={"outcome": "in use: skipped", "destroyed_ms": 0})
        result = await self._assets.destroy(job.public_id)
        self._metrics.destroys.labels(result.replace(" ", "_")).inc()
        logger.info("outbox: destroyed asset (%s)", result, extra={**log_fields(job), "reason": job.reason})
        return Finished(set={"outcome": result, "destroyed_ms": self._outbox.queue.now_ms()})

    def failed(self, job: DestroyJob, dead: bool) -> None:
        """Count a failed attempt (the worker has already released or dead-lettered the job)."""
        self._metrics.destroys.labels("dead" if dead else "retry").inc()


def log_fields(job: DestroyJob) -> Mapping[str, Any]:
    """What every log line about a destroy carries, so one upload can be followed into the outbox."""
    return {"intent_id": job.intent_id, "public_id": job.public_id}


def span_attributes(job: DestroyJob) -> Mapping[str, str | None]:
    """What a destroy's span carries: the upload it belongs to, so its trace can be searched by intent."""
    return {"upload.intent_id": job.intent_id, "cloudinary.public_id": job.public_id, "outbox.reason": job.reason}


def outbox_worker(
    destroyer: Destroyer, outbox: OutboxRepository, settings: Settings, wake: asyncio.Event, tracing: Tracing
) -> JobWorker[DestroyJob]:
    """This instance's worker over the destroy jobs, tuned by the `PROFILE_OUTBOX_*` settings."""
    retry = Retry(
        lease_seconds=settings.outbox_lease_seconds,
        max_attempts=settings.outbox_max_attempts,
        backoff_seconds=settings.outbox_backoff_seconds,
        backoff_max_seconds=settings.outbox_backoff_max_seconds,
        poll_seconds=settings.outbox_poll_seconds,
    )
    return JobWorker(
        "outbox",
        outbox.queue,
        destroyer.perform,
        retry,
        wake=wake,
        log_fields=log_fields,
        on_failure=destroyer.failed,
        tracing=tracing,
        span_attributes=span_attributes,
    )
