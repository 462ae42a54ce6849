"""The one source of "now", injected so that expiry, leases and throttle windows are testable without sleeping.

Times that change after insert (leases, retry times) are stored as integer epoch milliseconds: the nx-27017
stand-in turns a top-level datetime written with `$set` into a string that no longer compares as a time. Times
written once at insert (`created_at`, TTL fields) stay real datetimes.
"""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware, at MongoDB's millisecond precision (stored and read values compare equal)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)
