"""The accounts `GET /auth/me` remembers: never older than a local write, never past their TTL."""

import time
from datetime import UTC, datetime

import pytest

from auth_service.users.recent import RecentUsers
from auth_service.users.schemas import User

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _user(user_id: str = "u1", email: str = "a@example.com") -> User:
    return User(id=user_id, email=email, username="alice", password_hash="h", created_at=NOW, updated_at=NOW)


def test_a_read_is_remembered_until_a_write_forgets_it() -> None:
    users = RecentUsers()
    users.put(_user(), writes_before=users.writes())
    assert users.get("u1") == _user()

    users.forget("u1")

    assert users.get("u1") is None


def test_a_read_that_overlapped_a_write_is_not_remembered() -> None:
    users = RecentUsers()
    before = users.writes()
    users.forget("u1")  # the write began (or ended) while the read was on its way

    users.put(_user(), writes_before=before)

    assert users.get("u1") is None


def test_an_entry_older_than_the_ttl_is_not_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    users = RecentUsers(ttl=1.0)
    users.put(_user(), writes_before=users.writes())
    later = time.monotonic() + 1.5
    monkeypatch.setattr("auth_service.users.recent.time.monotonic", lambda: later)

    assert users.get("u1") is None


def test_the_oldest_entry_makes_room() -> None:
    users = RecentUsers(size=2)
    for user_id in ("a", "b", "c"):
        users.put(_user(user_id), writes_before=users.writes())

    assert [users.get(user_id) is not None for user_id in ("a", "b", "c")] == [False, True, True]
