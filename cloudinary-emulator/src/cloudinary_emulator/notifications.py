"""Webhook delivery: signed POSTs to notification URLs, after the API response, retried on Cloudinary's schedule.

A delivery succeeds only on a 200 answer within the timeout; anything else (another status, 2xx included, a
connection error, a timeout) is a failed attempt, followed by one further attempt after each wait of the retry
schedule (Cloudinary: 3, 6 and 9 minutes; see the README), scaled by the time-scale setting so tests can run it.

Each notification is recorded in an in-memory log (`GET /_emulator/notifications`) with every attempt, so tests
can wait for "delivered", "failed" or "dropped" instead of sleeping.
"""

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import httpx
import msgspec

from cloudinary_emulator.faults import Faults
from cloudinary_emulator.signing import Algorithm, notification_signature
from service_kit.tracing import Tracing

logger = logging.getLogger(__name__)

# How long a notification held back by the reorder fault waits for a successor before going out anyway.
REORDER_HOLD_SECONDS = 2.0


def notification_context(api_key: str) -> dict[str, Any]:
    """`notification_context` of a notification triggered through the API with this key."""
    return {
        "triggered_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "triggered_by": {"source": "api", "id": api_key},
    }


class InjectedFailureError(Exception):
    """An attempt failed by the `notification_failures` fault."""


class Attempt(msgspec.Struct):
    """One POST; `offset_s` is when it started, in seconds after the first attempt started."""

    at: str
    offset_s: float
    status_code: int | None
    error: str | None


class Notification(msgspec.Struct, kw_only=True):
    """One notification and what became of it."""

    id: str
    url: str
    notification_type: str
    public_id: str | None
    body: str
    timestamp: int
    signature: str
    status: str = "pending"  # pending | delivered | failed | dropped
    attempts: list[Attempt] = []
    duplicate: bool = False


class Notifier:
    """Sends notifications in background tasks; `close()` cancels what is still retrying."""

    def __init__(
        self,
        *,
        secret: str,
        algorithm: Algorithm,
        retry_delays: tuple[float, ...],
        time_scale: float,
        timeout: float,
        faults: Faults,
        tracing: Tracing | None = None,
    ) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self._retry_delays = retry_delays
        self._time_scale = time_scale
        self._timeout = timeout
        self._faults = faults
        self._tracing = tracing or Tracing.disabled()
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: tuple[Notification, asyncio.Task[None]] | None = None
        self.log: list[Notification] = []

    async def start(self) -> None:
        """Open the HTTP client."""
        # Traced: a delivery carries the upload request's traceparent to the notification URL.
        self._client = self._tracing.http_client(timeout=self._timeout, follow_redirects=False)

    async def close(self) -> None:
        """Cancel pending deliveries and close the client."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def clear(self) -> None:
        """Forget the log."""
        self.log.clear()

    def send(self, url: str, payload: dict[str, Any]) -> Notification:
        """Sign and schedule one notification; returns its log entry at once."""
        body = msgspec.json.encode(payload)
        timestamp = int(time.time())
        notification = Notification(
            id=uuid.uuid4().hex,
            url=url,
            notification_type=str(payload.get("notification_type", "")),
            public_id=payload.get("public_id"),
            body=body.decode(),
            timestamp=timestamp,
            signature=notification_signature(body, timestamp, self._secret, self._algorithm),
        )
        self.log.append(notification)
        drop, duplicate = self._faults.take_notification_fault()
        if drop:
            notification.status = "dropped"
            logger.warning("notification dropped by fault injection", extra={"url": url, "id": notification.id})
            return notification
        copies = [notification]
        if duplicate:
            copy = msgspec.structs.replace(notification, id=uuid.uuid4().hex, attempts=[], duplicate=True)
            self.log.append(copy)
            copies.append(copy)
        # A held notification goes out after the next one whatever that one's own draw says.
        if self._held is not None or self._faults.take_notification_reorder():
            self._reorder(copies)
        else:
            for item in copies:
                self._spawn(self._deliver(item))
        return notification

    def _reorder(self, copies: list[Notification]) -> None:
        # Hold the first notification until the next one arrives, then send the newcomer first.
        if self._held is None:
            first, *rest = copies
            self._held = (first, self._spawn(self._release_after_hold(first)))
            for item in rest:
                self._spawn(self._deliver(item))
            return
        held, timer = self._held
        self._held = None
        timer.cancel()
        self._spawn(self._deliver_in_order([*copies, held]))

    async def _release_after_hold(self, notification: Notification) -> None:
        await asyncio.sleep(REORDER_HOLD_SECONDS)
        if self._held is not None and self._held[0] is notification:
            self._held = None
            await self._deliver(notification)

    async def _deliver_in_order(self, notifications: list[Notification]) -> None:
        for notification in notifications:
            await self._deliver(notification)

    def _spawn(self, coroutine: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver(self, notification: Notification) -> None:
        if delay := self._faults.current.notification_delay_ms:
            await asyncio.sleep(delay / 1000)
        assert self._client is not None, "Notifier.start() was not called"  # noqa: S101 - programming error
        headers = {
            "Content-Type": "application/json",
            "X-Cld-Timestamp": str(notification.timestamp),
            "X-Cld-Signature": notification.signature,
            "User-Agent": "cloudinary-emulator",
        }
        failing = self._faults.take_notification_failure()
        started = time.monotonic()
        # The first attempt goes out at once; each wait is counted from the start of the previous attempt's end,
        # as a retry queue would.
        waits = [0.0, *(delay * self._time_scale for delay in self._retry_delays)]
        for attempt, wait in enumerate(waits):
            if wait:
                await asyncio.sleep(wait)
            at = datetime.now(UTC).isoformat(timespec="milliseconds")
            offset = round(time.monotonic() - started, 3)
            try:
                if failing:
                    raise InjectedFailureError("notification_failures fault: attempt not sent")
                response = await self._client.post(notification.url, content=notification.body, headers=headers)
            except (httpx.HTTPError, InjectedFailureError) as exc:
                notification.attempts.append(
                    Attempt(at=at, offset_s=offset, status_code=None, error=f"{type(exc).__name__}: {exc}")
                )
            else:
                notification.attempts.append(
                    Attempt(at=at, offset_s=offset, status_code=response.status_code, error=None)
                )
                # Cloudinary counts only 200 as delivered (README "Notification retries").
                if response.status_code == HTTPStatus.OK:
                    notification.status = "delivered"
                    logger.info(
                        "notification delivered",
                        extra={"url": notification.url, "id": notification.id, "attempts": attempt + 1},
                    )
                    return
            last = notification.attempts[-1]
            logger.warning(
                "notification attempt failed",
                extra={
                    "url": notification.url,
                    "id": notification.id,
                    "attempt": attempt + 1,
                    "status_code": last.status_code,
                    "error": last.error,
                },
            )
        notification.status = "failed"
        logger.error("notification given up", extra={"url": notification.url, "id": notification.id})
