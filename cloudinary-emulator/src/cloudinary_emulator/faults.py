"""Fault injection for tests: failing uploads/destroys/Admin API calls, slow responses,
dropped/delayed/duplicated/reordered notifications. Everything is off by default; switched on by
`EMULATOR_FAULTS` or `PUT /_emulator/faults`.
"""

import logging
import random
import threading
from typing import Annotated, Any

import anyio
import msgspec

logger = logging.getLogger(__name__)


class FaultSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The switches; counts mean "the next N", and are used up one by one."""

    upload_failures: Annotated[int, msgspec.Meta(ge=0)] = 0
    destroy_failures: Annotated[int, msgspec.Meta(ge=0)] = 0
    destroy_failure_percent: Annotated[float, msgspec.Meta(ge=0, le=100)] = 0.0
    # Admin API calls (resource, listings, moderation queues, update): the next N fail.
    admin_failures: Annotated[int, msgspec.Meta(ge=0)] = 0
    failure_status: Annotated[int, msgspec.Meta(ge=500, le=599)] = 500
    response_delay_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 0
    notification_drop: Annotated[int, msgspec.Meta(ge=0)] = 0
    notification_delay_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 0
    notification_duplicate: Annotated[int, msgspec.Meta(ge=0)] = 0
    notification_reorder: bool = False
    # The next N notifications fail every attempt of the retry schedule (not sent; each attempt logged as failed).
    notification_failures: Annotated[int, msgspec.Meta(ge=0)] = 0
    # Each notification independently, with this probability in percent (drop wins over duplicate).
    notification_drop_percent: Annotated[float, msgspec.Meta(ge=0, le=100)] = 0.0
    notification_duplicate_percent: Annotated[float, msgspec.Meta(ge=0, le=100)] = 0.0
    notification_reorder_percent: Annotated[float, msgspec.Meta(ge=0, le=100)] = 0.0


class FaultError(ValueError):
    """A fault document that does not fit FaultSettings."""


class Faults:
    """Current switches, safe to read and use up from the event loop and from worker threads."""

    def __init__(self, defaults: dict[str, Any]) -> None:
        self._defaults = self._convert(defaults)
        self._current = self._defaults
        self._lock = threading.Lock()

    @property
    def current(self) -> FaultSettings:
        """A snapshot of the switches."""
        return self._current

    def update(self, changes: dict[str, Any]) -> FaultSettings:
        """Change the named switches, keep the others."""
        with self._lock:
            self._current = self._convert(msgspec.to_builtins(self._current) | changes)
            logger.info("faults changed", extra={"faults": msgspec.to_builtins(self._current)})
            return self._current

    def reset(self) -> FaultSettings:
        """Back to the start-up defaults."""
        with self._lock:
            self._current = self._defaults
            return self._current

    async def slow(self) -> None:
        """Delay an API response if asked to."""
        if delay := self._current.response_delay_ms:
            await anyio.sleep(delay / 1000)

    def take_upload_failure(self) -> int | None:
        """The status to fail this upload with, or None."""
        with self._lock:
            if self._current.upload_failures <= 0:
                return None
            self._current = msgspec.structs.replace(self._current, upload_failures=self._current.upload_failures - 1)
            return self._current.failure_status

    def take_admin_failure(self) -> int | None:
        """The status to fail this Admin API call with, or None."""
        with self._lock:
            if self._current.admin_failures <= 0:
                return None
            self._current = msgspec.structs.replace(self._current, admin_failures=self._current.admin_failures - 1)
            return self._current.failure_status

    def take_destroy_failure(self) -> int | None:
        """The status to fail this destroy with, or None."""
        with self._lock:
            if self._current.destroy_failures > 0:
                self._current = msgspec.structs.replace(
                    self._current, destroy_failures=self._current.destroy_failures - 1
                )
                return self._current.failure_status
            # Test fault injection, not security: a plain PRNG is what we want.
            if random.random() * 100 < self._current.destroy_failure_percent:  # noqa: S311
                return self._current.failure_status
            return None

    def take_notification_fault(self) -> tuple[bool, bool]:
        """(drop, duplicate) for the next notification: the counts first, then the percentages."""
        with self._lock:
            drop = self._current.notification_drop > 0
            duplicate = not drop and self._current.notification_duplicate > 0
            if not drop and not duplicate:
                # Test fault injection, not security: a plain PRNG is what we want.
                drop = random.random() * 100 < self._current.notification_drop_percent  # noqa: S311
                duplicate = not drop and random.random() * 100 < self._current.notification_duplicate_percent  # noqa: S311
                return drop, duplicate
            if drop:
                self._current = msgspec.structs.replace(
                    self._current, notification_drop=self._current.notification_drop - 1
                )
            elif duplicate:
                self._current = msgspec.structs.replace(
                    self._current, notification_duplicate=self._current.notification_duplicate - 1
                )
            return drop, duplicate

    def take_notification_failure(self) -> bool:
        """Whether every attempt of this notification is to fail."""
        with self._lock:
            if self._current.notification_failures <= 0:
                return False
            self._current = msgspec.structs.replace(
                self._current, notification_failures=self._current.notification_failures - 1
            )
            return True

    def take_notification_reorder(self) -> bool:
        """Whether to hold this notification back until the next one has been sent."""
        current = self._current
        if current.notification_reorder:
            return True
        return random.random() * 100 < current.notification_reorder_percent  # noqa: S311

    @staticmethod
    def _convert(values: dict[str, Any]) -> FaultSettings:
        try:
            return msgspec.convert(values, FaultSettings)
        except msgspec.ValidationError as exc:
            raise FaultError(str(exc)) from None
