"""Per-instance micro-caches of the two hottest reads: public views by username (`GET /profiles/{username}`) and
owners' own profiles by user id (`GET /profiles/me`).

Correctness rules, because a profile can turn private, and its owner must see what they just saved:
- A public entry keeps the owner's id and visibility beside the view, and the privacy check runs on every
  request: a private profile is never served to anyone but its owner, from the cache or not. An owner entry is
  keyed by the verified token's subject, so only the owner is ever served it.
- Every write through a `ProfileRepository` of this instance forgets the user's entries at once.
- Writes this instance does not see (another instance, the migration) show after at most
  `ttl` seconds (≤ 1 s by configuration): that is the only staleness, including a switch to private. The owner
  does not even see that after a write of their own: see `profiles/freshness.py`.
- Only found profiles are cached (a new username is visible at once); the size is bounded (oldest evicted).
"""

import time
from collections import Counter, OrderedDict
from typing import NamedTuple

from profile_service.profiles.schemas import Profile, PublicProfile


class CachedView(NamedTuple):
    """One username's public view with what the privacy check needs."""

    user_id: str
    private: bool
    view: PublicProfile


class RecentProfiles:
    """Public views by username and owners' profiles by user id, each for `ttl` seconds, at most `size` of each."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: OrderedDict[str, tuple[float, CachedView]] = OrderedDict()
        self._usernames: dict[str, str] = {}
        self._own: OrderedDict[str, tuple[float, Profile]] = OrderedDict()
        self._writes = 0
        # Lookups by (view, result): "public" or "me"; "hit", "miss" or "skipped" (a Prometheus counter at /metrics).
        self.lookups: Counter[tuple[str, str]] = Counter()

    def writes(self) -> int:
        """A counter of local writes: read it before a database read, hand it to `put` after."""
        return self._writes

    def get(self, username: str) -> CachedView | None:
        """The cached view, or None when absent or older than `ttl`."""
        if (entry := self._entries.get(username)) is None:
            self.lookups["public", "miss"] += 1
            return None
        if entry[0] <= time.monotonic():
            self._drop(username)
            self.lookups["public", "miss"] += 1
            return None
        self.lookups["public", "hit"] += 1
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

    def own(self, user_id: str) -> Profile | None:
        """The owner's cached profile, or None when absent or older than `ttl`."""
        if (entry := self._own.get(user_id)) is None:
            self.lookups["me", "miss"] += 1
            return None
        if entry[0] <= time.monotonic():
            del self._own[user_id]
            self.lookups["me", "miss"] += 1
            return None
        self.lookups["me", "hit"] += 1
        return entry[1]

    def put_own(self, profile: Profile, *, writes_before: int) -> None:
        """Remember an owner's profile just read from the database, on the same condition as `put`."""
        if self._ttl <= 0 or writes_before != self._writes:
            return
        self._own.pop(profile.user_id, None)
        self._own[profile.user_id] = (time.monotonic() + self._ttl, profile)
        while len(self._own) > self._size:
            self._own.popitem(last=False)

    def forget(self, user_id: str) -> None:
        """Drop the user's entries: called on every local write to their profile."""
        self._writes += 1
        self._forget_username(user_id)
        self._own.pop(user_id, None)

    def _forget_username(self, user_id: str) -> None:
        if (username := self._usernames.pop(user_id, None)) is not None:
            self._entries.pop(username, None)

    def _drop(self, username: str) -> None:
        _, cached = self._entries.pop(username)
        if self._usernames.get(cached.user_id) == username:
            del self._usernames[cached.user_id]
