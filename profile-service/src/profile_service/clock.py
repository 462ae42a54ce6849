"""Time as the database stores it.

Times that change after insert (leases, retry times, `updated_at`) are stored as integer epoch milliseconds:
the nx-27017 stand-in turns a top-level datetime written with `$set` into a string that no longer compares as
a time. Times written once at insert (`created_at`, TTL fields) stay real datetimes.
"""

import time
from datetime import UTC, datetime


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return int(time.time() * 1000)


def from_ms(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (millisecond precision, as MongoDB keeps it)."""
    return from_ms(now_ms())
