"""The exact MongoDB operations the repositories rely on, run against the session's server.

They pass on real MongoDB and on the nx-27017 stand-in alike; if a server ever disagrees, this
module says which shape broke before any API test does.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from auth_service.account.tokens import ActionTokenRepository
from auth_service.activity.repository import ActivityRepository
from auth_service.activity.schemas import ClientInfo
from auth_service.admin.repository import AuditRepository
from auth_service.admin.repository import create_indexes as create_audit_indexes
from auth_service.outbox import OutboxJob, new_job
from auth_service.passkeys.repository import CeremonyRepository, PasskeyRepository
from auth_service.passkeys.repository import create_indexes as create_passkey_indexes
from auth_service.passkeys.schemas import StoredPasskey
from auth_service.sessions.devices import DeviceRepository, device_id
from auth_service.sessions.devices import create_indexes as create_device_indexes
from auth_service.sessions.repository import SPENT_KEPT, FamilyRepository, RefreshTokenRepository
from auth_service.sessions.schemas import Family, RefreshToken
from auth_service.throttle import LoginThrottle
from auth_service.throttle import create_indexes as create_throttle_indexes
from auth_service.users.repository import UserRepository
from auth_service.users.repository import create_indexes as create_user_indexes
from auth_service.users.schemas import Suspension, User
from service_kit.clock import utc_now
from service_kit.errors import BadRequest, Conflict, Gone, TooManyRequests
from service_kit.mongo import Database
from service_kit.outbox import JobQueue


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


async def test_of_concurrent_claims_of_one_refresh_token_exactly_one_succeeds(db: Database) -> None:
    tokens = RefreshTokenRepository(db["refresh_tokens"])
    now = utc_now()
    await tokens.insert(
        RefreshToken(id="h", family_id="f", user_id="u", created_at=now, expires_at=now + timedelta(days=1))
    )

    claims = await asyncio.gather(*(tokens.claim("h", now) for _ in range(10)))

    assert [claim.id for claim in claims if claim is not None] == ["h"]


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


async def test_totp_enrolment_matches_a_null_or_missing_status_with_in_not_ne(db: Database) -> None:
    # The stand-in's update_one does not match `$ne` against null; `$in: [None, ...]` agrees on both servers.
    users = UserRepository(db["users"])
    now = utc_now()
    await users.create(_user(now, "u", "a@example.com", "alice"))
    await db["users"].insert_one({"_id": "legacy", "email": "l@example.com", "username": "legacy"})

    assert await users.start_totp("u", "v1.secret")
    assert await users.start_totp("legacy", "v1.secret")
    assert await users.enable_totp("u", "v1.secret", 10, ["h1", "h2"])
    assert not await users.start_totp("u", "v1.other")


async def test_totp_steps_only_move_forward_and_recovery_codes_pull_once(db: Database) -> None:
    users = UserRepository(db["users"])
    now = utc_now()
    await users.create(_user(now, "u", "a@example.com", "alice"))
    await users.start_totp("u", "v1.secret")
    await users.enable_totp("u", "v1.secret", 10, ["h1", "h2"])

    assert not await users.use_totp_step("u", 10)
    assert await users.use_totp_step("u", 11)
    assert not await users.use_totp_step("u", 11)
    assert await users.use_recovery_code("u", "h1")
    assert not await users.use_recovery_code("u", "h1")
    user = await users.get("u")
    assert user is not None
    assert (user.totp_last_step, user.recovery_codes) == (11, ["h2"])


async def test_revoking_all_families_but_one(db: Database) -> None:
    families = FamilyRepository(db["sessions"])
    now = utc_now()
    for family_id in ("a", "b", "c"):
        await families.create(Family(id=family_id, user_id="u", created_at=now, expires_at=now + timedelta(days=1)))
    await families.create(Family(id="other", user_id="v", created_at=now, expires_at=now + timedelta(days=1)))

    revoked = await families.revoke_all("u", now, keep="b")

    assert revoked == 2
    assert [(await families.get(f)).revoked_at is None for f in ("a", "b", "c", "other")] == [False, True, False, True]  # type: ignore[union-attr]


async def test_action_tokens_are_consumed_once_and_expire(db: Database) -> None:
    tokens = ActionTokenRepository(db["action_tokens"])
    now = utc_now()
    token = await tokens.issue("password_reset", "u", now=now, ttl=timedelta(minutes=30))
    late = await tokens.issue("password_reset", "u", now=now, ttl=timedelta(minutes=30))

    used = await tokens.consume(token, "password_reset", now=now)
    with pytest.raises(Gone):
        await tokens.consume(token, "password_reset", now=now)
    with pytest.raises(Gone):
        await tokens.consume(late, "password_reset", now=now + timedelta(minutes=30))
    with pytest.raises(BadRequest):
        await tokens.consume(token, "email_change", now=now)

    assert used.user_id == "u"


async def test_activity_pages_on_one_string_key_of_time_then_id(db: Database) -> None:
    now = utc_now()
    clock = iter([now, now, now + timedelta(seconds=1), now + timedelta(seconds=1), now + timedelta(seconds=2)])
    activity = ActivityRepository(db["activity"], lambda: next(clock))
    for _ in range(5):
        await activity.record("u", "sign_in", ClientInfo(ip="1.2.3.4", user_agent="t"))

    first = await activity.page("u", 2)
    second = await activity.page("u", 2, first.next_cursor)
    third = await activity.page("u", 2, second.next_cursor)

    ids = [e.id for page in (first, second, third) for e in page.events]
    assert len(ids) == len(set(ids)) == 5
    assert third.next_cursor is None
    assert all(isinstance(d["at"], datetime) for d in await db["activity"].find({}).to_list())


async def test_activity_pages_hold_every_event_once_with_real_clock_times(db: Database) -> None:
    # Real clocks have microseconds (MongoDB keeps milliseconds), several events can share a millisecond,
    # and floats make `timestamp() * 1000` land a hair below a whole millisecond.
    start = datetime(2026, 11, 22, 2, 0, 58, 657_000, tzinfo=UTC)
    offsets_us = [0, 0, 150, 999, 1_000, 1_000, 1_001, 57_123, 136_000, 136_999, 191_000, 191_000, 500_500, 999_999]
    times = iter(start + timedelta(microseconds=offset) for offset in offsets_us)
    activity = ActivityRepository(db["activity"], lambda: next(times))
    for _ in offsets_us:
        await activity.record("u", "sign_in", ClientInfo(ip="1.2.3.4", user_agent="t"))
    everything = (await activity.page("u", 100)).events

    seen, cursor = [], None
    while True:
        page = await activity.page("u", 3, cursor)
        seen += page.events
        if (cursor := page.next_cursor) is None:
            break

    assert len(everything) == len(offsets_us)
    assert [e.id for e in seen] == [e.id for e in everything]
    assert [e.at for e in seen] == sorted((e.at for e in seen), reverse=True)


async def test_outbox_claims_are_exclusive_until_the_lease_lapses(db: Database) -> None:
    now = utc_now()
    times = {"now": now}
    outbox = JobQueue(db["email_outbox"], OutboxJob, lambda: times["now"])
    await outbox.enqueue(new_job("email", {"to": "a@example.com"}, job_id="j"))
    assert not await outbox.enqueue(new_job("email", {"to": "a@example.com"}, job_id="j"))

    first, second = await asyncio.gather(outbox.claim("w1", 60), outbox.claim("w2", 60))
    times["now"] = now + timedelta(seconds=61)
    after_lease = await outbox.claim("w3", 60)

    assert len(first) + len(second) == 1
    assert [j.attempts for j in after_lease] == [2]


def _passkey(now: datetime, credential_id: str, user_id: str, sign_count: int = 0) -> StoredPasskey:
    return StoredPasskey(
        id=credential_id, user_id=user_id, name="Laptop", public_key="AQID", sign_count=sign_count, created_at=now
    )


async def test_a_ceremony_is_consumed_once_by_one_conditional_update(db: Database) -> None:
    await create_passkey_indexes(db)
    ceremonies = CeremonyRepository(db["webauthn_challenges"])
    now = utc_now()
    login = await ceremonies.open("login", None, "Y2hhbGxlbmdl", now=now, ttl=timedelta(minutes=5))
    register = await ceremonies.open("register", "u-1", "b3RoZXI", now=now, ttl=timedelta(minutes=5))

    racing = await asyncio.gather(*(ceremonies.consume(login, "login", None, now=now) for _ in range(5)))
    wrong_purpose = await ceremonies.consume(register, "login", None, now=now)
    wrong_user = await ceremonies.consume(register, "register", "u-2", now=now)
    expired = await ceremonies.consume(register, "register", "u-1", now=now + timedelta(minutes=5))
    right = await ceremonies.consume(register, "register", "u-1", now=now)

    won = [c for c in racing if c is not None]
    assert len(won) == 1
    assert (won[0].purpose, won[0].user_id, won[0].challenge) == ("login", None, "Y2hhbGxlbmdl")
    assert wrong_purpose is None
    assert wrong_user is None
    assert expired is None
    assert right is not None
    assert right.user_id == "u-1"
    assert isinstance((await db["webauthn_challenges"].find_one({"_id": login}) or {})["expires_at"], datetime)


async def test_a_passkey_counter_moves_by_compare_and_set_from_the_value_read(db: Database) -> None:
    await create_passkey_indexes(db)
    passkeys = PasskeyRepository(db["passkeys"])
    now = utc_now()
    await passkeys.insert(_passkey(now, "cred-1", "u-1", sign_count=4))
    read = await passkeys.get("cred-1")
    assert read is not None

    first = await passkeys.used(read, 5, now=now)
    second = await passkeys.used(read, 6, now=now)  # the same stale read: someone else moved it

    after = await passkeys.get("cred-1")
    assert (first, second) == (True, False)
    assert after is not None
    assert after.sign_count == 5
    assert after.last_used_at == now


async def test_passkeys_are_owned_renamed_and_removed_per_user(db: Database) -> None:
    await create_passkey_indexes(db)
    passkeys = PasskeyRepository(db["passkeys"])
    now = utc_now()
    await passkeys.insert(_passkey(now, "b", "u-1"))
    await passkeys.insert(_passkey(now - timedelta(days=1), "a", "u-1"))
    await passkeys.insert(_passkey(now, "c", "u-2"))

    with pytest.raises(Conflict):
        await passkeys.insert(_passkey(now, "c", "u-1"))
    renamed = await passkeys.rename("b", "u-1", "Phone")
    not_theirs = await passkeys.rename("c", "u-1", "Mine")
    removed_other = await passkeys.delete("c", "u-1")

    assert [p.id for p in await passkeys.owned("u-1")] == ["a", "b"]
    assert renamed is not None
    assert renamed.name == "Phone"
    assert not_theirs is None
    assert removed_other is False
    await passkeys.forget("u-1")
    assert await passkeys.owned("u-1") == []
    assert [p.id for p in await passkeys.owned("u-2")] == ["c"]


async def test_live_families_are_unrevoked_and_unexpired_newest_first(db: Database) -> None:
    families = FamilyRepository(db["sessions"])
    now = utc_now()
    for family_id, age, lifetime in (("old", 30, 3600), ("new", 10, 3600), ("expired", 20, 5), ("revoked", 5, 3600)):
        created = now - timedelta(seconds=age)
        await families.create(
            Family(id=family_id, user_id="u", created_at=created, expires_at=created + timedelta(seconds=lifetime))
        )
    await families.create(Family(id="theirs", user_id="v", created_at=now, expires_at=now + timedelta(days=1)))
    await families.revoke("revoked", now)

    live = await families.live_for("u", now)

    assert [f.id for f in live] == ["new", "old"]
    assert await families.any_for("u")
    assert not await families.any_for("nobody")


async def test_an_adopting_family_reads_back_its_last_use_as_an_aware_datetime(db: Database) -> None:
    families = FamilyRepository(db["sessions"])
    now = utc_now().replace(microsecond=0)
    await families.create(Family(id="f", user_id="u", created_at=now, expires_at=now + timedelta(days=1)))

    adopted = await families.adopt("f", "h1", now + timedelta(seconds=7))

    assert adopted is not None
    assert adopted.last_used_at == now + timedelta(seconds=7)
    assert adopted.token_hash == "h1"


async def test_a_revoked_family_adopts_nothing_and_keeps_its_last_use(db: Database) -> None:
    families = FamilyRepository(db["sessions"])
    now = utc_now().replace(microsecond=0)
    await families.create(Family(id="f", user_id="u", created_at=now, expires_at=now + timedelta(days=1)))
    await families.revoke("f", now)

    adopted = await families.adopt("f", "h1", now + timedelta(seconds=7))

    assert adopted is None
    family = await families.get("f")
    assert family is not None
    assert (family.last_used_at, family.token_hash) == (None, None)


async def test_a_rotation_is_a_compare_and_set_on_the_current_hash_keeping_the_last_spent_ones(db: Database) -> None:
    families = FamilyRepository(db["sessions"])
    now = utc_now().replace(microsecond=0)
    await families.create(
        Family(id="f", user_id="u", created_at=now, expires_at=now + timedelta(days=1), token_hash="h0")
    )

    for n in range(SPENT_KEPT + 2):
        rotated = await families.rotate("f", f"h{n}", f"h{n + 1}", now + timedelta(seconds=n))
        assert rotated is not None
    lost = await families.rotate("f", "h0", "other", now)  # a spent hash: matches nothing

    family = await families.get("f")
    assert lost is None
    assert family is not None
    assert family.token_hash == f"h{SPENT_KEPT + 2}"
    assert family.spent_hashes == [f"h{n}" for n in range(2, SPENT_KEPT + 2)]
    assert family.last_used_at == now + timedelta(seconds=SPENT_KEPT + 1)


async def test_a_revoked_or_expired_family_does_not_rotate(db: Database) -> None:
    families = FamilyRepository(db["sessions"])
    now = utc_now().replace(microsecond=0)
    for family_id, lifetime in (("revoked", 60), ("expired", -1)):
        await families.create(
            Family(
                id=family_id,
                user_id="u",
                created_at=now,
                expires_at=now + timedelta(seconds=lifetime),
                token_hash="h0",
            )
        )
    await families.revoke("revoked", now)

    assert await families.rotate("revoked", "h0", "h1", now) is None
    assert await families.rotate("expired", "h0", "h1", now) is None


async def test_devices_keep_first_seen_and_a_real_datetime_last_seen_across_sightings(db: Database) -> None:
    await create_device_indexes(db)
    devices = DeviceRepository(db["devices"])
    first = utc_now().replace(microsecond=0)

    before_any = await devices.seen("u", "Firefox on Ubuntu", first)
    before_second = await devices.seen("u", "Firefox on Ubuntu", first + timedelta(days=3))
    await devices.seen("v", "Firefox on Ubuntu", first)
    # A range query on `last_seen` finds it: the value is a datetime (what the TTL index needs), not a string.
    fresh = await db["devices"].count_documents({"user_id": "u", "last_seen": {"$gte": first + timedelta(days=1)}})
    device = await devices.get("u", "Firefox on Ubuntu")

    assert before_any is None
    assert before_second is not None
    assert before_second.last_seen == first
    assert device is not None
    assert (device.first_seen, device.last_seen) == (first, first + timedelta(days=3))
    assert device.id == device_id("u", "Firefox on Ubuntu")
    assert fresh == 1
    assert await devices.any_for("u")
    await devices.forget("u")
    assert not await devices.any_for("u")
    assert await devices.any_for("v")


async def test_user_search_is_an_escaped_anchored_prefix_on_email_or_username_paged_by_email(db: Database) -> None:
    await create_user_indexes(db)
    users = UserRepository(db["users"])
    now = utc_now()
    for user_id, email, username in [
        ("1", "carol@example.com", "zed"),
        ("2", "dave@example.com", "carl"),
        ("3", "c.r@example.com", "cr"),
        ("4", "erin@example.com", "erin"),
        ("5", "cxr@example.com", "ccc"),
    ]:
        await users.create(_user(now, user_id, email, username))

    first = await users.search("CAR", after=None, limit=1)
    rest = await users.search("car", after=first[0].email, limit=10)
    dotted = await users.search("c.r", after=None, limit=10)
    everyone = await users.search("", after="d", limit=10)

    assert [u.email for u in first + rest] == ["carol@example.com", "dave@example.com"]
    assert [u.email for u in dotted] == ["c.r@example.com"]
    assert [u.email for u in everyone] == ["dave@example.com", "erin@example.com"]


async def test_suspension_is_set_once_over_a_stored_null_and_lifted_by_unset(db: Database) -> None:
    users = UserRepository(db["users"])
    now = utc_now().replace(microsecond=0)  # MongoDB keeps milliseconds
    await users.create(_user(now, "u-1", "a@example.com", "alice"))  # stores `suspended: null`

    first = await users.suspend("u-1", Suspension(reason="one", at=now, by="admin-1"))
    again = await users.suspend("u-1", Suspension(reason="two", at=now, by="admin-2"))
    suspended = await users.get("u-1")
    lifted = await users.unsuspend("u-1")
    lifted_again = await users.unsuspend("u-1")
    after = await users.get("u-1")

    assert (first, again, lifted, lifted_again) == (True, False, True, False)
    assert suspended is not None and suspended.suspended == Suspension(reason="one", at=now, by="admin-1")
    assert suspended.suspended.at.tzinfo is not None
    assert after is not None and after.suspended is None
    assert await users.suspend("u-1", Suspension(reason="three", at=now, by="admin-1")) is True


async def test_live_session_counts_per_user_leave_out_revoked_and_expired_families(db: Database) -> None:
    families = FamilyRepository(db["sessions"])
    now = utc_now()

    def family(family_id: str, user_id: str, expires_in: timedelta) -> Family:
        return Family(id=family_id, user_id=user_id, created_at=now, expires_at=now + expires_in, auth_time=now)

    await families.create(family("a1", "a", timedelta(days=1)))
    await families.create(family("a2", "a", timedelta(days=1)))
    await families.create(family("a3", "a", timedelta(seconds=-1)))
    await families.create(family("b1", "b", timedelta(days=1)))
    await families.create(family("c1", "c", timedelta(days=1)))
    await families.revoke("b1", now)

    assert await families.live_counts(["a", "b", "z"], now) == {"a": 2}


async def test_audit_pages_newest_first_on_the_time_then_id_key(db: Database) -> None:
    await create_audit_indexes(db)
    start = utc_now().replace(microsecond=0)  # MongoDB keeps milliseconds
    clock = iter([start + timedelta(milliseconds=n) for n in range(5)])
    audit = AuditRepository(db["audit"], lambda: next(clock))
    recorded = [await audit.record(actor_id="cli", actor="cli", action=f"a{n}") for n in range(5)]

    first = await audit.page(2)
    second = await audit.page(2, first.next_cursor)
    third = await audit.page(2, second.next_cursor)

    listed = first.entries + second.entries + third.entries
    assert [e.action for e in listed] == ["a4", "a3", "a2", "a1", "a0"]
    assert third.next_cursor is None
    assert listed[::-1] == recorded
