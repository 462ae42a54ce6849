"""The public-view micro-cache: bounded in time and size, forgotten on local writes."""

import time

from profile_service.profiles.cache import CachedView, RecentProfiles
from profile_service.profiles.schemas import PublicProfile


def view(user_id: str = "u1", username: str = "alice", private: bool = False) -> CachedView:
    return CachedView(user_id, private, PublicProfile(username=username, display_name=None, bio="", avatar=None))


def test_a_view_is_served_until_its_ttl_passes() -> None:
    recent = RecentProfiles(ttl=0.05)
    recent.put("alice", view(), writes_before=recent.writes())
    assert recent.get("alice") == view()
    deadline = time.monotonic() + 5

    while recent.get("alice") is not None:
        assert time.monotonic() < deadline, "the entry outlived its ttl"


def test_a_local_write_forgets_the_users_view() -> None:
    recent = RecentProfiles(ttl=60)
    recent.put("alice", view(), writes_before=recent.writes())

    recent.forget("u1")

    assert recent.get("alice") is None


def test_a_read_that_began_before_a_write_is_not_cached() -> None:
    recent = RecentProfiles(ttl=60)
    before = recent.writes()
    recent.forget("u1")  # the owner wrote while the read was in flight

    recent.put("alice", view(), writes_before=before)

    assert recent.get("alice") is None


def test_the_oldest_views_are_evicted_beyond_the_size() -> None:
    recent = RecentProfiles(ttl=60, size=2)
    for n in range(3):
        recent.put(f"user{n}", view(f"u{n}", f"user{n}"), writes_before=recent.writes())

    assert [recent.get(f"user{n}") is not None for n in range(3)] == [False, True, True]


def test_a_zero_ttl_caches_nothing() -> None:
    recent = RecentProfiles(ttl=0)
    recent.put("alice", view(), writes_before=recent.writes())

    assert recent.get("alice") is None
