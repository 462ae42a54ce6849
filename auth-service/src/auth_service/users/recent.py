"""A per-instance memory of accounts just read, for `GET /auth/me` only (the hottest read a page makes).

Correctness rules, the same as profile-service's owner cache:
- Every write through this instance's `UserRepository` forgets the account, before and after the write, and a
  read that overlapped any write is not remembered: this instance never answers older than its own writes.
- Writes this instance does not see (another instance, the role CLI) show after at most `TTL_SECONDS`. That is
  the only staleness, and only of what `/auth/me` shows: sign-in, refresh, step-up and every decision about an
  account (suspension, deletion, role in new tokens) read the database as before.
- Only found accounts are remembered; the size is bounded (oldest dropped).
"""

import time
from collections import OrderedDict

from auth_service.users.schemas import User

TTL_SECONDS = 1.0
SIZE = 10_000


class RecentUsers:
    """Accounts by id for `TTL_SECONDS`, at most `SIZE` of them."""

    def __init__(self, ttl: float = TTL_SECONDS, size: int = SIZE) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: OrderedDict[str, tuple[float, User]] = OrderedDict()
        self._writes = 0

    def writes(self) -> int:
        """A counter of local writes: read it before a database read, hand it to `put` after."""
        return self._writes

    def get(self, user_id: str) -> User | None:
        """The remembered account, or None when absent or older than the TTL."""
        if (entry := self._entries.get(user_id)) is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[user_id]
            return None
        return entry[1]

    def put(self, user: User, *, writes_before: int) -> None:
        """Remember an account just read, unless a local write happened since the read began."""
        if writes_before != self._writes:
            return
        self._entries[user.id] = (time.monotonic() + self._ttl, user)
        self._entries.move_to_end(user.id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def forget(self, user_id: str) -> None:
        """A local write to this account is starting or has ended."""
        self._writes += 1
        self._entries.pop(user_id, None)
