"""Signing quotas: how many uploads a user may have pending at once, and how many they may start per rolling hour.

The state lives on the user's profile document (one document per user: single-document atomic updates, shared by
every instance, kept across restarts): `open_uploads` maps each pending upload id to the epoch ms its parameters
lapse at, `upload_grants` lists the epoch ms of recent grants (the last `max_per_hour`) and `quota_rev` is the
version every reservation compares-and-sets (with `avatar_seq`). This module is the rule, computed in Python on
what one read returned; `ProfileRepository.reserve_upload` is the write.
"""

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from profile_service.config import Settings

HOUR_MS = 3_600_000
OPEN_UPLOADS = "open_uploads"
HOURLY_UPLOADS = "hourly_uploads"


@dataclass(frozen=True)
class QuotaLimits:
    """The configured limits (`PROFILE_MAX_OPEN_UPLOADS`, `PROFILE_MAX_UPLOADS_PER_HOUR`)."""

    max_open: int
    max_per_hour: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "QuotaLimits":
        """The limits the service is configured with."""
        return cls(max_open=settings.max_open_uploads, max_per_hour=settings.max_uploads_per_hour)


@dataclass(frozen=True)
class QuotaState:
    """The quota fields of one profile document as read, with the upload sequence (`avatar_seq`) the reservation
    takes the next value of. `rev` is None on a profile written before quotas."""

    rev: int | None
    open_uploads: dict[str, int]
    grants: tuple[int, ...]
    seq: int | None = None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> "QuotaState":
        """Read leniently: older profiles have none of the fields."""
        rev = doc.get("quota_rev")
        seq = doc.get("avatar_seq")
        raw_open = doc.get("open_uploads")
        raw_grants = doc.get("upload_grants")
        return cls(
            rev=None if rev is None else int(rev),
            open_uploads={str(k): int(v) for k, v in raw_open.items()} if isinstance(raw_open, dict) else {},
            grants=tuple(int(g) for g in raw_grants) if isinstance(raw_grants, list) else (),
            seq=None if seq is None else int(seq),
        )

    def open_at(self, now_ms: int) -> list[int]:
        """Expiry times of the uploads still pending at `now_ms`, soonest first."""
        return sorted(expires for expires in self.open_uploads.values() if expires > now_ms)

    def lapsed_at(self, now_ms: int) -> list[str]:
        """Upload ids whose parameters have lapsed: they no longer count, and the next reservation drops them."""
        return [upload_id for upload_id, expires in self.open_uploads.items() if expires <= now_ms]

    def reserved(self, upload_id: str, expires_ms: int, now_ms: int, keep: int) -> dict[str, Any]:
        """The fields after one more reservation at `now_ms`: the next sequence and quota revision, the new upload
        open and lapsed ones dropped, the grant appended (the last `keep` kept)."""
        still_open = {other: expires for other, expires in self.open_uploads.items() if expires > now_ms}
        return {
            "avatar_seq": (self.seq or 0) + 1,
            "quota_rev": (self.rev or 0) + 1,
            "open_uploads": {**still_open, upload_id: expires_ms},
            "upload_grants": [*self.grants, now_ms][-keep:],
        }

    def grants_in_hour(self, now_ms: int) -> list[int]:
        """Grant times within the rolling hour before `now_ms`, oldest first."""
        return sorted(at for at in self.grants if at > now_ms - HOUR_MS)


@dataclass(frozen=True)
class Refusal:
    """Why signing is refused, when to come back (whole seconds, at least 1), and what to tell the person."""

    reason: str
    retry_after: int
    detail: str


class QuotaExceeded(Exception):
    """Signing would exceed a quota; nothing was written."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.detail)
        self.refusal = refusal


def about(seconds: int) -> str:
    """A wait in words a person reads at a glance: "40 seconds", "2 minutes", "1 hour" (rounded up)."""
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hour{'' if hours == 1 else 's'}"


def _seconds_until(moment_ms: int, now_ms: int) -> int:
    # Rounded up so that a client waiting exactly this long finds the slot free; never 0.
    return max(1, math.ceil((moment_ms - now_ms) / 1000))


def refusal(state: QuotaState, limits: QuotaLimits, now_ms: int) -> Refusal | None:
    """Why one more upload may not be signed at `now_ms`, or None when it may."""
    open_expiries = state.open_at(now_ms)
    if len(open_expiries) >= limits.max_open:
        # A slot frees when enough of the pending uploads lapse (sooner if one completes).
        wait = _seconds_until(open_expiries[len(open_expiries) - limits.max_open], now_ms)
        return Refusal(
            reason=OPEN_UPLOADS,
            retry_after=wait,
            detail=f"You have {len(open_expiries)} uploads in progress. Finish or wait for one (about {about(wait)})"
            " before starting another.",
        )
    grants = state.grants_in_hour(now_ms)
    if len(grants) >= limits.max_per_hour:
        wait = _seconds_until(grants[len(grants) - limits.max_per_hour] + HOUR_MS, now_ms)
        return Refusal(
            reason=HOURLY_UPLOADS,
            retry_after=wait,
            detail=f"You have started {len(grants)} uploads in the last hour. Try again in {about(wait)}.",
        )
    return None


class Turns:
    """One reservation at a time per user within this process.

    Two signing requests of one user on one instance would otherwise read the same revision and one would lose
    its compare-and-set, paying a second read and write: measured, half the signs of 50 users with two requests
    in flight each. Waiting for the turn costs less than that, and the compare-and-set still guards against
    every other instance. Entries live only while someone holds or awaits the turn.
    """

    def __init__(self) -> None:
        self._held: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def of(self, user_id: str) -> AsyncIterator[None]:
        """Hold the user's turn for the block."""
        lock, users = self._held.get(user_id, (asyncio.Lock(), 0))
        self._held[user_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._held[user_id]
            if users == 1:
                del self._held[user_id]
            else:
                self._held[user_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._held)
