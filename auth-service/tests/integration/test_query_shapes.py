"""The exact MongoDB operations the repositories rely on, run against the session's server.

They pass on real MongoDB and on the nx-27017 stand-in alike; if a server ever disagrees, this
module says which shape broke before any API test does.
"""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from auth_service.clock import utc_now
from auth_service.db import Database
from auth_service.errors import Conflict, TooManyRequests
from auth_service.sessions.repository import FamilyRepository, RefreshTokenRepository
from auth_service.sessions.schemas import Family, RefreshToken
from auth_service.throttle import LoginThrottle
from auth_service.throttle import create_indexes as create_throttle_indexes
from auth_service.users.repository import UserRepository
from auth_service.users.repository import create_indexes as create_user_indexes
from auth_service.users.schemas import User


@pytest.fixture
async def db(mongodb_uri: str, database_name: str) -> AsyncIterator[Database]:
    # Created inside the test's own event loop: an AsyncMongoClient is bound to the loop that first uses it.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=2000
    )
    try:
        yield client[database_name]
    finally:
        await client.close()


def _user(now: datetime, user_id: str, email: str, username: str) -> User:
    return User(id=user_id, email=email, username=username, password_hash="h", created_at=now, updated_at=now)


async def test_unique_indexes_raise_a_conflict_naming_the_field(db: Database) -> None:
    await create_user_indexes(db)
    users = UserRepository(db["users"])
    now = utc_now()
    await users.create(_user(now, "1", "a@example.com", "alice"))

    with pytest.raises(Conflict) as by_email:
        await users.create(_user(now, "2", "a@example.com", "bob"))
    with pytest.raises(Conflict) as by_username:
        await users.create(_user(now, "3", "b@example.com", "alice"))

    assert by_email.value.extra == {"field": "email"}
    assert by_username.value.extra == {"field": "username"}


async def test_users_round_trip_with_string_ids_and_aware_datetimes(db: Database) -> None:
    users = UserRepository(db["users"])
    now = utc_now()
    await users.create(_user(now, "u-1", "a@example.com", "alice"))

    by_email = await users.find_by_login("A@Example.com")
    by_username = await users.find_by_login("alice")

    assert by_email == by_username == _user(now, "u-1", "a@example.com", "alice")


async def test_claiming_a_refresh_token_is_a_compare_and_set_that_succeeds_once(db: Database) -> None:
    tokens = RefreshTokenRepository(db["refresh_tokens"])
    now = utc_now()
    await tokens.insert(
        RefreshToken(id="h", family_id="f", user_id="u", created_at=now, expires_at=now + timedelta(days=1))
    )

    first = await tokens.claim("h", now)
    second = await tokens.claim("h", now)

    assert first is not None
    assert first.rotated_at == now
    assert second is None


async def test_an_expired_refresh_token_cannot_be_claimed(db: Database) -> None:
    tokens = RefreshTokenRepository(db["refresh_tokens"])
    now = utc_now()
    await tokens.insert(RefreshToken(id="h", family_id="f", user_id="u", created_at=now, expires_at=now))

    assert await tokens.claim("h", now) is None
    assert (await tokens.get("h")) is not None


async def test_revoking_a_family_keeps_the_first_revocation_time(db: Database) -> None:
    families = FamilyRepository(db["sessions"])
    now = utc_now()
    await families.create(Family(id="f", user_id="u", created_at=now, expires_at=now + timedelta(days=1)))

    await families.revoke("f", now)
    await families.revoke("f", now + timedelta(seconds=5))

    family = await families.get("f")
    assert family is not None
    assert family.revoked_at == now


async def test_throttle_counters_count_every_failure_and_keep_a_datetime_expiry(db: Database) -> None:
    await create_throttle_indexes(db)
    now = utc_now()
    throttle = LoginThrottle(
        db["login_failures"], max_per_account=3, max_per_address=100, window_seconds=60, clock=lambda: now
    )

    for _ in range(3):
        await throttle.record_failure("alice", "10.0.0.1")

    with pytest.raises(TooManyRequests):
        await throttle.check("alice", "10.0.0.1")
    docs = await db["login_failures"].find({}).to_list()
    assert sorted(d["count"] for d in docs) == [3, 3]
    assert all(isinstance(d["expires_at"], datetime) for d in docs)
