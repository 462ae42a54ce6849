"""The read micro-caches (public views, owners' profiles): bounded in time and size, forgotten on local writes;
and the write marker that sends an owner's reads to the database right after they wrote."""

import time
from datetime import UTC, datetime

from profile_service.profiles.cache import CachedView, RecentProfiles
from profile_service.profiles.freshness import CLOCK_SKEW_MS, wrote_recently
from profile_service.profiles.schemas import Profile, PublicProfile


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


def own(user_id: str = "u1", bio: str = "") -> Profile:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Profile(
        user_id=user_id, username="alice", display_name=None, bio=bio, avatar=None, created_at=at, updated_at=at
    )


def test_an_owners_profile_is_cached_until_a_local_write_or_its_ttl() -> None:
    recent = RecentProfiles(ttl=0.05)
    recent.put_own(own(), writes_before=recent.writes())
    assert recent.own("u1") == own()
    assert recent.own("u2") is None

    recent.forget("u1")
    assert recent.own("u1") is None

    recent.put_own(own(), writes_before=recent.writes())
    deadline = time.monotonic() + 5
    while recent.own("u1") is not None:
        assert time.monotonic() < deadline, "the entry outlived its ttl"


def test_an_owners_read_that_began_before_a_write_is_not_cached() -> None:
    recent = RecentProfiles(ttl=60)
    before = recent.writes()
    recent.forget("u1")

    recent.put_own(own(), writes_before=before)

    assert recent.own("u1") is None


def test_owner_entries_are_bounded() -> None:
    recent = RecentProfiles(ttl=60, size=2)
    for user_id in ("u1", "u2", "u3"):
        recent.put_own(own(user_id), writes_before=recent.writes())

    assert [recent.own(u) is not None for u in ("u1", "u2", "u3")] == [False, True, True]


def test_the_write_marker_asks_for_fresh_reads_for_the_ttl_plus_the_clock_skew_allowance() -> None:
    wrote = 1_700_000_000_000
    window = 1000 + CLOCK_SKEW_MS

    assert wrote_recently(str(wrote), 1.0, now=wrote + window - 1) is True
    assert wrote_recently(str(wrote), 1.0, now=wrote + window) is False
    assert wrote_recently(str(wrote + 500), 1.0, now=wrote) is True  # another instance's clock runs ahead
    assert wrote_recently(None, 1.0, now=wrote) is False
    assert wrote_recently("", 1.0, now=wrote) is False
    assert wrote_recently("-5", 1.0, now=wrote) is False
    assert wrote_recently("soon", 1.0, now=wrote) is False
    assert wrote_recently("²", 1.0, now=wrote) is False
    assert wrote_recently("9" * 5000, 1.0, now=wrote) is False
