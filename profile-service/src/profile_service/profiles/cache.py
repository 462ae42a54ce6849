"""A per-instance micro-cache of public profile views by username, for the hottest read (`GET /profiles/{username}`).

Correctness rules, because a profile can turn private at any moment:
- An entry keeps the owner's id and visibility beside the view, and the privacy check runs on every request:
  a private profile is never served to anyone but its owner, from the cache or not.
- Every write through a `ProfileRepository` of this instance forgets the user's entry at once.
- Writes this instance does not see (another instance, reconciliation, the migration) show after at most
  `ttl` seconds (≤ 1 s by configuration): that is the only staleness, including a switch to private.
- Only found profiles are cached (a new username is visible at once); the size is bounded (oldest evicted).
`GET /profiles/me` bodies are never cached: the owner always reads the database.
"""

import time
from collections import OrderedDict
from typing import NamedTuple

from profile_service.profiles.schemas import PublicProfile


class CachedView(NamedTuple):
    """One username's public view with what the privacy check needs."""

    user_id: str
    private: bool
    view: PublicProfile


class RecentProfiles:
    """Public views by username for `ttl` seconds, at most `size` of them."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: OrderedDict[str, tuple[float, CachedView]] = OrderedDict()
        self._usernames: dict[str, str] = {}
        self._writes = 0

    def writes(self) -> int:
        """A counter of local writes: read it before a database read, hand it to `put` after."""
        return self._writes

    def get(self, username: str) -> CachedView | None:
        """The cached view, or None when absent or older than `ttl`."""
        if (entry := self._entries.get(username)) is None:
            return None
        if entry[0] <= time.monotonic():
            self._drop(username)
            return None
        return entry[1]

    def put(self, username: str, cached: CachedView, *, writes_before: int) -> None:
        """Remember a view just read from the database, unless a local write happened since the read began
        (the read may predate it, and caching it would hide the write for up to `ttl`)."""
        if self._ttl <= 0 or writes_before != self._writes:
            return
        self._forget_username(cached.user_id)
        self._entries[username] = (time.monotonic() + self._ttl, cached)
        self._usernames[cached.user_id] = username
        while len(self._entries) > self._size:
            self._drop(next(iter(self._entries)))

    def forget(self, user_id: str) -> None:
        """Drop the user's view: called on every local write to their profile."""
        self._writes += 1
        self._forget_username(user_id)

    def _forget_username(self, user_id: str) -> None:
        if (username := self._usernames.pop(user_id, None)) is not None:
            self._entries.pop(username, None)

    def _drop(self, username: str) -> None:
        _, cached = self._entries.pop(username)
        if self._usernames.get(cached.user_id) == username:
            del self._usernames[cached.user_id]
