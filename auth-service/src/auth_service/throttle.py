"""Throttling shared by every instance: failure counters in MongoDB, one document per key and window.

Fixed windows keyed by their start time: a counter is created with `$inc` + upsert (atomic on one
document), so concurrent failures on several instances all count, and a stale window is simply never
read again; the TTL index only reclaims space, correctness never waits for it.
"""

import hashlib
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from service_kit.clock import Clock
from service_kit.errors import TooManyRequests
from service_kit.mongo import Database

COLLECTION = "login_failures"


class LoginThrottle:
    """Counts failed logins per account and per client address; refuses attempts past the limits."""

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        *,
        max_per_account: int,
        max_per_address: int,
        window_seconds: int,
        clock: Clock,
        message: str = "Too many failed sign-in attempts; try again later.",
    ) -> None:
        self._collection = collection
        self._message = message
        self._limits = {"account": max_per_account, "address": max_per_address}
        self._window = window_seconds
        self._clock = clock

    def _window_bounds(self) -> tuple[int, datetime]:
        start = math.floor(self._clock().timestamp() / self._window) * self._window
        return start, datetime.fromtimestamp(start + self._window, UTC)

    @staticmethod
    def _keys(login: str, address: str) -> dict[str, str]:
        # Hashed so this collection never holds e-mail addresses in clear.
        return {
            "account": hashlib.sha256(login.strip().lower().encode()).hexdigest(),
            "address": hashlib.sha256(address.encode()).hexdigest(),
        }

    async def check(self, login: str, address: str) -> None:
        """Raise TooManyRequests (with Retry-After) if either counter has reached its limit in this window."""
        await self._check(self._keys(login, address))

    async def check_address(self, address: str) -> None:
        """Raise TooManyRequests if the address alone has reached its limit (a request naming no account)."""
        await self._check({"address": self._keys("", address)["address"]})

    async def record_address(self, address: str) -> None:
        """Count one attempt against the address only."""
        await self._count({"address": self._keys("", address)["address"]})

    async def _check(self, keys: dict[str, str]) -> None:
        start, end = self._window_bounds()
        ids = {f"{kind}:{key}:{start}": kind for kind, key in keys.items()}
        async for doc in self._collection.find({"_id": {"$in": list(ids)}}):
            if doc["count"] >= self._limits[ids[doc["_id"]]]:
                retry_after = max(1, math.ceil((end - self._clock()).total_seconds()))
                raise TooManyRequests(self._message, headers={"Retry-After": str(retry_after)})

    async def record_failure(self, login: str, address: str) -> None:
        """Count one failed attempt against both the account and the address."""
        await self._count(self._keys(login, address))

    async def _count(self, keys: dict[str, str]) -> None:
        start, end = self._window_bounds()
        for kind, key in keys.items():
            await self._collection.update_one(
                {"_id": f"{kind}:{key}:{start}"},
                # The TTL field is a real datetime: the stand-in's TTL also deletes strings and numbers.
                {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": end + timedelta(seconds=self._window)}},
                upsert=True,
            )

    async def reset_account(self, login: str, address: str) -> None:
        """Forget the account's failures after a successful login (the address counter stays)."""
        start, _ = self._window_bounds()
        await self._collection.delete_one({"_id": f"account:{self._keys(login, address)['account']}:{start}"})


# The same counters guard second-factor codes (per account and address), password-reset requests and passkey
# sign-in ceremonies (per address: each one is a stored challenge, asked for without an account).
MFA_COLLECTION = "mfa_failures"
RESET_COLLECTION = "reset_requests"
PASSKEY_COLLECTION = "passkey_sign_ins"


async def create_indexes(db: Database) -> None:
    """TTL on the window's expiry."""
    for name in (COLLECTION, MFA_COLLECTION, RESET_COLLECTION, PASSKEY_COLLECTION):
        await db[name].create_index("expires_at", expireAfterSeconds=0)
