"""The exact query and update shapes the repositories rely on, against whichever server the session uses
(the nx-27017 stand-in here, real MongoDB in CI): if one of these fails, the repositories are wrong there."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


@pytest.fixture
async def db(mongodb_uri: str, database_name: str) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=2000
    )
    try:
        yield client[database_name]
    finally:
        await client.close()


async def test_upsert_with_set_on_insert_then_read(db: AsyncDatabase[dict[str, Any]]) -> None:
    profiles = db["profiles"]
    update = {
        "$setOnInsert": {"avatar": None, "avatar_seq": 0, "applied_seq": 0, "retired": []},
        "$set": {"username": "a"},
    }

    await profiles.update_one({"_id": "u1"}, update, upsert=True)
    await profiles.update_one({"_id": "u1"}, {**update, "$set": {"username": "b"}}, upsert=True)

    assert await profiles.find_one({"_id": "u1"}) == {
        "_id": "u1",
        "avatar": None,
        "avatar_seq": 0,
        "applied_seq": 0,
        "retired": [],
        "username": "b",
    }


async def test_sequence_increment_returns_the_new_value_and_never_upserts(db: AsyncDatabase[dict[str, Any]]) -> None:
    profiles = db["profiles"]
    await profiles.insert_one({"_id": "u1", "avatar_seq": 3})
    shape: dict[str, Any] = {
        "projection": {"_id": False, "avatar_seq": True},
        "return_document": ReturnDocument.AFTER,
    }

    allocated = await profiles.find_one_and_update({"_id": "u1"}, {"$inc": {"avatar_seq": 1}}, **shape)
    missing = await profiles.find_one_and_update({"_id": "nobody"}, {"$inc": {"avatar_seq": 1}}, **shape)

    assert allocated == {"avatar_seq": 4}
    assert missing is None
    assert await profiles.find_one({"_id": "nobody"}) is None


async def test_concurrent_sequence_increments_are_distinct_and_consecutive(db: AsyncDatabase[dict[str, Any]]) -> None:
    profiles = db["profiles"]
    await profiles.insert_one({"_id": "u1", "avatar_seq": 0})

    async def allocate() -> int:
        doc = await profiles.find_one_and_update(
            {"_id": "u1"},
            {"$inc": {"avatar_seq": 1}},
            projection={"_id": False, "avatar_seq": True},
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None
        return int(doc["avatar_seq"])

    allocated = await asyncio.gather(*(allocate() for _ in range(50)))

    assert sorted(allocated) == list(range(1, 51))


async def test_ordering_guard_sets_avatar_and_records_the_replaced_one(db: AsyncDatabase[dict[str, Any]]) -> None:
    profiles = db["profiles"]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    await profiles.insert_one({"_id": "u1", "applied_seq": 1, "avatar": {"public_id": "p/u1/a"}, "retired": []})
    update = {
        "$set": {"avatar": {"public_id": "p/u1/b", "updated_at": when}, "applied_seq": 2, "updated_ms": 1},
        "$push": {"retired": "p/u1/a"},
    }

    applied = await profiles.update_one({"_id": "u1", "applied_seq": 1}, update)
    stale = await profiles.update_one({"_id": "u1", "applied_seq": 1}, update)
    doc = await profiles.find_one({"_id": "u1"})

    assert (applied.matched_count, stale.matched_count) == (1, 0)
    assert doc is not None
    assert doc["avatar"]["updated_at"] == when  # a datetime inside a sub-document written whole stays a datetime
    assert doc["retired"] == ["p/u1/a"]
    await profiles.update_one({"_id": "u1"}, {"$pull": {"retired": "p/u1/a"}})
    assert (await profiles.find_one({"_id": "u1"}) or {})["retired"] == []


async def test_avatar_public_id_lookup_with_in(db: AsyncDatabase[dict[str, Any]]) -> None:
    profiles = db["profiles"]
    await profiles.insert_many([{"_id": "u1", "avatar": {"public_id": "a"}}, {"_id": "u2", "avatar": None}])

    # A dotted projection ({"avatar.public_id": True}) returns no avatar on the stand-in: project the sub-document.
    found = await profiles.find({"avatar.public_id": {"$in": ["a", "b"]}}, {"avatar": True}).to_list()

    assert [d["avatar"]["public_id"] for d in found] == ["a"]


async def test_intent_public_id_is_unique_and_status_transition_is_conditional(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    intents = db["upload_intents"]
    await intents.create_index("public_id", unique=True)
    await intents.insert_one({"_id": "i1", "public_id": "p/u1/i1", "status": "pending", "expires_ms": 100})
    with pytest.raises(DuplicateKeyError):
        await intents.insert_one({"_id": "i2", "public_id": "p/u1/i1", "status": "pending", "expires_ms": 100})

    moved = await intents.update_one(
        {"_id": "i1", "status": {"$in": ["pending", "expired"]}}, {"$set": {"status": "applied"}}
    )
    again = await intents.update_one(
        {"_id": "i1", "status": {"$in": ["pending", "expired"]}}, {"$set": {"status": "applied"}}
    )

    assert (moved.matched_count, again.matched_count) == (1, 0)


async def test_overdue_intents_by_integer_time(db: AsyncDatabase[dict[str, Any]]) -> None:
    intents = db["upload_intents"]
    await intents.insert_many(
        [
            {"_id": "a", "status": "pending", "expires_ms": 100},
            {"_id": "b", "status": "pending", "expires_ms": 300},
            {"_id": "c", "status": "applied", "expires_ms": 50},
        ]
    )
    await intents.update_one({"_id": "b"}, {"$set": {"expires_ms": 150}})

    found = await intents.find({"status": "pending", "expires_ms": {"$lt": 200}}).sort("expires_ms", 1).to_list()

    assert [d["_id"] for d in found] == ["a", "b"]
    assert await intents.count_documents({"status": "pending", "expires_ms": {"$lt": 200}}) == 2


async def test_counts_by_status_with_group(db: AsyncDatabase[dict[str, Any]]) -> None:
    intents = db["upload_intents"]
    await intents.insert_many(
        [{"_id": "a", "status": "pending"}, {"_id": "b", "status": "pending"}, {"_id": "c", "status": "applied"}]
    )

    cursor = await intents.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])

    assert {d["_id"]: d["n"] async for d in cursor} == {"pending": 2, "applied": 1}


async def test_outbox_claim_is_exclusive_until_the_lease_lapses(db: AsyncDatabase[dict[str, Any]]) -> None:
    outbox = db["outbox"]
    await outbox.insert_one({"_id": "destroy:x", "status": "pending", "due_ms": 0, "lease_until_ms": 0, "attempts": 0})
    claim = {"$set": {"lease_until_ms": 10_000, "owner": "w1"}, "$inc": {"attempts": 1}}

    first = await outbox.update_one({"_id": "destroy:x", "status": "pending", "lease_until_ms": {"$lt": 5_000}}, claim)
    second = await outbox.update_one({"_id": "destroy:x", "status": "pending", "lease_until_ms": {"$lt": 5_000}}, claim)
    after_lapse = await outbox.update_one(
        {"_id": "destroy:x", "status": "pending", "lease_until_ms": {"$lt": 20_000}}, claim
    )

    assert (first.matched_count, second.matched_count, after_lapse.matched_count) == (1, 0, 1)
    assert (await outbox.find_one({"_id": "destroy:x"}) or {})["attempts"] == 2


async def test_jobs_without_a_field_get_it_once_with_update_many_exists(db: AsyncDatabase[dict[str, Any]]) -> None:
    outbox = db["outbox"]
    await outbox.insert_many([{"_id": "old", "lease_ms": 7}, {"_id": "new", "lease_until_ms": 9}])
    backfill = ({"lease_until_ms": {"$exists": False}}, {"$set": {"lease_until_ms": 0}})

    first = await outbox.update_many(*backfill)
    second = await outbox.update_many(*backfill)

    assert (first.matched_count, second.matched_count) == (1, 0)
    assert {d["_id"]: d["lease_until_ms"] async for d in outbox.find({})} == {"old": 0, "new": 9}


async def test_duplicate_job_id_is_a_duplicate_key_error(db: AsyncDatabase[dict[str, Any]]) -> None:
    outbox = db["outbox"]
    await outbox.insert_one({"_id": "destroy:x"})

    with pytest.raises(DuplicateKeyError):
        await outbox.insert_one({"_id": "destroy:x"})


async def test_dotted_set_creates_and_changes_nested_preferences(db: AsyncDatabase[dict[str, Any]]) -> None:
    profiles = db["profiles"]
    await profiles.insert_one({"_id": "u1", "username": "a"})  # an older profile without preferences
    await profiles.insert_one({"_id": "u2", "preferences": {"theme": "system", "notifications": {"email": True}}})

    await profiles.update_one({"_id": "u1"}, {"$set": {"preferences.theme": "dark", "visibility": "private"}})
    await profiles.update_one({"_id": "u2"}, {"$set": {"preferences.notifications.sms": True}})
    await profiles.update_one({"_id": "u2"}, {"$set": {"preferences.notifications.email": False}})
    one, two = await profiles.find_one({"_id": "u1"}), await profiles.find_one({"_id": "u2"})

    assert one is not None and two is not None
    assert one["preferences"] == {"theme": "dark"}
    assert one["visibility"] == "private"
    assert two["preferences"]["theme"] == "system"
    # Booleans written with $set may come back as 1/0 on the stand-in: the repository decodes leniently.
    assert bool(two["preferences"]["notifications"]["sms"]) is True
    assert bool(two["preferences"]["notifications"]["email"]) is False


async def test_intents_of_a_user_are_found_and_superseded_with_update_many(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    intents = db["upload_intents"]
    await intents.insert_many(
        [
            {"_id": "a", "user_id": "u1", "public_id": "p/u1/a", "status": "pending"},
            {"_id": "b", "user_id": "u1", "public_id": "p/u1/b", "status": "applied"},
            {"_id": "c", "user_id": "u1", "public_id": "p/u1/c", "status": "rejected"},
            {"_id": "d", "user_id": "u2", "public_id": "p/u2/d", "status": "pending"},
        ]
    )

    found = await intents.find({"user_id": "u1"}, {"public_id": True}).to_list()
    result = await intents.update_many(
        {"user_id": "u1", "status": {"$in": ["pending", "expired", "applied"]}},
        {"$set": {"status": "superseded", "reason": "account deleted", "updated_ms": 1}},
    )

    assert sorted(d["public_id"] for d in found) == ["p/u1/a", "p/u1/b", "p/u1/c"]
    assert result.matched_count == 2
    statuses = {d["_id"]: d["status"] async for d in intents.find({})}
    assert statuses == {"a": "superseded", "b": "superseded", "c": "rejected", "d": "pending"}


async def test_a_done_outbox_job_is_rearmed_with_unset(db: AsyncDatabase[dict[str, Any]]) -> None:
    outbox = db["outbox"]
    await outbox.insert_one(
        {"_id": "destroy:x", "status": "done", "attempts": 1, "purge": {"at": 1}, "lease_until_ms": 0}
    )

    rearm = {"$set": {"status": "pending", "due_ms": 5, "attempts": 0}, "$unset": {"purge": "", "outcome": ""}}
    first = await outbox.update_one({"_id": "destroy:x", "status": "done"}, rearm)
    second = await outbox.update_one({"_id": "destroy:x", "status": "done"}, rearm)
    doc = await outbox.find_one({"_id": "destroy:x"})

    assert (first.matched_count, second.matched_count) == (1, 0)
    assert doc is not None and doc["status"] == "pending" and "purge" not in doc


async def test_sequence_claim_only_from_zero_records_the_claimer(db: AsyncDatabase[dict[str, Any]]) -> None:
    profiles = db["profiles"]
    await profiles.insert_many([{"_id": "u1", "avatar_seq": 0}, {"_id": "u2", "avatar_seq": 2}])
    claim = {"$set": {"avatar_seq": 1, "migration_intent": "i1"}}

    fresh = await profiles.update_one({"_id": "u1", "avatar_seq": 0}, claim)
    used = await profiles.update_one({"_id": "u2", "avatar_seq": 0}, claim)

    assert (fresh.matched_count, used.matched_count) == (1, 0)
    assert (await profiles.find_one({"_id": "u1"}) or {})["migration_intent"] == "i1"


async def test_tombstone_insert_is_idempotent_by_id(db: AsyncDatabase[dict[str, Any]]) -> None:
    deleted = db["deleted_users"]
    await deleted.insert_one({"_id": "u1", "deleted_at": datetime(2026, 1, 1, tzinfo=UTC)})

    with pytest.raises(DuplicateKeyError):
        await deleted.insert_one({"_id": "u1", "deleted_at": datetime(2026, 1, 2, tzinfo=UTC)})
    assert await deleted.find_one({"_id": "u1"}) is not None
    assert await deleted.find_one({"_id": "u2"}) is None


async def test_migration_records_by_compound_string_id_and_status(db: AsyncDatabase[dict[str, Any]]) -> None:
    migrations = db["migrations"]
    await migrations.insert_one({"_id": "u1:abc", "user_id": "u1", "status": "uploading", "updated_ms": 1})
    with pytest.raises(DuplicateKeyError):
        await migrations.insert_one({"_id": "u1:abc", "user_id": "u1", "status": "uploading", "updated_ms": 2})

    moved = await migrations.update_one(
        {"_id": "u1:abc"}, {"$set": {"status": "migrated", "updated_ms": 3}, "$unset": {"reason": ""}}
    )

    assert moved.matched_count == 1
    assert (await migrations.find_one({"_id": "u1:abc"}) or {})["status"] == "migrated"


async def test_find_one_and_delete_returns_the_removed_document(db: AsyncDatabase[dict[str, Any]]) -> None:
    profiles = db["profiles"]
    await profiles.insert_one({"_id": "u1", "avatar": {"public_id": "p/u1/a"}, "retired": ["p/u1/old"]})

    removed = await profiles.find_one_and_delete({"_id": "u1"})
    again = await profiles.find_one_and_delete({"_id": "u1"})

    assert removed is not None and removed["avatar"]["public_id"] == "p/u1/a" and removed["retired"] == ["p/u1/old"]
    assert again is None
    assert await profiles.find_one({"_id": "u1"}) is None


def _reservation(seq: int, rev: int, open_uploads: dict[str, int], grants: list[int]) -> dict[str, Any]:
    # The exact update of ProfileRepository.reserve_upload: every field computed from the state it pins.
    return {"$set": {"avatar_seq": seq, "quota_rev": rev, "open_uploads": open_uploads, "upload_grants": grants}}


async def test_quota_reservation_is_a_compare_and_set_on_quota_rev_and_avatar_seq(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    profiles = db["profiles"]
    await profiles.insert_one(
        {"_id": "u1", "avatar_seq": 4, "quota_rev": 7, "open_uploads": {"old": 100, "live": 9000}, "upload_grants": [1]}
    )
    pinned = {"_id": "u1", "quota_rev": 7, "avatar_seq": 4}

    won = await profiles.update_one(pinned, _reservation(5, 8, {"live": 9000, "new": 5000}, [1, 3]))
    lost = await profiles.update_one(pinned, _reservation(5, 8, {"live": 9000, "other": 5000}, [1, 4]))
    # A deletion takes a sequence without touching the quotas: a reservation pinned before it misses too.
    await profiles.update_one({"_id": "u1"}, {"$inc": {"avatar_seq": 1}})
    behind = await profiles.update_one(
        {"_id": "u1", "quota_rev": 8, "avatar_seq": 5}, _reservation(6, 9, {"x": 1}, [1, 3, 5])
    )

    assert (won.matched_count, lost.matched_count, behind.matched_count) == (1, 0, 0)
    doc = await profiles.find_one({"_id": "u1"})
    assert doc is not None
    # Written whole: the dict and the list of scalars come back as they were set.
    assert (doc["avatar_seq"], doc["quota_rev"], doc["open_uploads"], doc["upload_grants"]) == (
        6,
        8,
        {"live": 9000, "new": 5000},
        [1, 3],
    )


async def test_quota_reservation_on_a_profile_from_before_quotas_matches_once(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    profiles = db["profiles"]
    await profiles.insert_one({"_id": "u1", "avatar_seq": 2})
    missing = {"_id": "u1", "quota_rev": {"$exists": False}, "avatar_seq": 2}

    first = await profiles.update_one(missing, _reservation(3, 1, {"a": 5000}, [1]))
    second = await profiles.update_one(missing, _reservation(3, 1, {"b": 5000}, [2]))

    assert (first.matched_count, second.matched_count) == (1, 0)
    doc = await profiles.find_one({"_id": "u1"})
    assert doc is not None
    assert (doc["avatar_seq"], doc["quota_rev"], doc["open_uploads"], doc["upload_grants"]) == (3, 1, {"a": 5000}, [1])


async def test_concurrent_quota_reservations_never_both_win_one_revision(db: AsyncDatabase[dict[str, Any]]) -> None:
    profiles = db["profiles"]
    await profiles.insert_one({"_id": "u1", "avatar_seq": 0, "quota_rev": 0, "open_uploads": {}, "upload_grants": []})

    async def reserve(index: int) -> bool:
        pinned = {"_id": "u1", "quota_rev": 0, "avatar_seq": 0}
        result = await profiles.update_one(pinned, _reservation(1, 1, {f"up{index}": 5000}, [index]))
        return result.matched_count == 1

    won = await asyncio.gather(*(reserve(i) for i in range(20)))

    assert sum(won) == 1
    doc = await profiles.find_one({"_id": "u1"})
    assert doc is not None
    assert (doc["avatar_seq"], doc["quota_rev"], len(doc["open_uploads"]), len(doc["upload_grants"])) == (1, 1, 1, 1)


async def test_releases_unset_one_open_upload_and_bump_the_revision(db: AsyncDatabase[dict[str, Any]]) -> None:
    profiles = db["profiles"]
    await profiles.insert_one({"_id": "u1", "applied_seq": 0, "quota_rev": 3, "open_uploads": {"a": 1, "b": 2}})

    # The separate release (rejected, superseded, expired), then the one folded into the ordering-guarded apply.
    await profiles.update_one({"_id": "u1"}, {"$unset": {"open_uploads.a": ""}, "$inc": {"quota_rev": 1}})
    await profiles.update_one({"_id": "u1"}, {"$unset": {"open_uploads.a": ""}, "$inc": {"quota_rev": 1}})
    applied = await profiles.update_one(
        {"_id": "u1", "applied_seq": 0},
        {"$set": {"applied_seq": 2, "avatar": None}, "$unset": {"open_uploads.b": ""}, "$inc": {"quota_rev": 1}},
    )

    assert applied.matched_count == 1
    doc = await profiles.find_one({"_id": "u1"})
    assert doc is not None
    assert (doc["quota_rev"], doc["open_uploads"], doc["applied_seq"]) == (6, {}, 2)


async def test_audit_entries_page_by_one_string_key_lt_newest_first(db: AsyncDatabase[dict[str, Any]]) -> None:
    audit = db["audit"]
    keys = [f"{1764547200000 + n // 2:013d}:{n:024x}" for n in range(6)]  # pairs share a millisecond
    await audit.insert_many([{"_id": f"e{n}", "key": key, "at": datetime.now(UTC)} for n, key in enumerate(keys)])

    first = await audit.find({}).sort("key", -1).limit(3).to_list()
    rest = await audit.find({"key": {"$lt": first[-1]["key"]}}).sort("key", -1).limit(10).to_list()

    assert [doc["key"] for doc in first + rest] == keys[::-1]


async def test_queue_pages_by_ties_then_a_range_on_one_field(db: AsyncDatabase[dict[str, Any]]) -> None:
    intents = db["upload_intents"]
    await intents.insert_many(
        [
            {"_id": f"{n:024x}", "status": "awaiting_moderation", "awaiting_ms": 1000 + n // 3}
            for n in (4, 0, 2, 5, 1, 3)
        ]
        + [{"_id": "f" * 24, "status": "applied", "awaiting_ms": 1000}]
    )
    base = {"status": "awaiting_moderation"}

    ties = await intents.find({**base, "awaiting_ms": 1000, "_id": {"$gt": f"{0:024x}"}}).sort("_id", 1).to_list()
    later = await intents.find({**base, "awaiting_ms": {"$gt": 1000}}).sort([("awaiting_ms", 1), ("_id", 1)]).to_list()
    newest = await intents.find(base).sort([("awaiting_ms", -1), ("_id", -1)]).limit(2).to_list()

    assert [doc["_id"] for doc in ties] == [f"{1:024x}", f"{2:024x}"]
    assert [doc["_id"] for doc in later] == [f"{3:024x}", f"{4:024x}", f"{5:024x}"]
    assert [doc["_id"] for doc in newest] == [f"{5:024x}", f"{4:024x}"]


async def test_none_matches_a_missing_or_null_field_when_it_stands_alone(db: AsyncDatabase[dict[str, Any]]) -> None:
    # A moderation decision is claimed once: `moderation_status: None` (never inside an `$or`, where the stand-in
    # matches only a missing field, not a null one; MongoDB matches both).
    intents = db["upload_intents"]
    await intents.insert_many(
        [{"_id": "a"}, {"_id": "b", "moderation_status": None}, {"_id": "c", "moderation_status": "approved"}]
    )

    claimable = [doc["_id"] async for doc in intents.find({"moderation_status": None})]
    claimed = await intents.update_one({"_id": "b", "moderation_status": None}, {"$set": {"moderation_status": "x"}})
    again = await intents.update_one({"_id": "b", "moderation_status": None}, {"$set": {"moderation_status": "y"}})

    assert sorted(claimable) == ["a", "b"]
    assert (claimed.matched_count, again.matched_count) == (1, 0)


async def test_a_pending_picture_is_set_only_over_an_older_one(db: AsyncDatabase[dict[str, Any]]) -> None:
    # `set_pending_avatar`: `pending_seq` below the upload's (or absent: a profile from before moderation) and the
    # live picture older; `apply_avatar` pins the `pending_seq` it read when it clears the pending picture.
    profiles = db["profiles"]
    await profiles.insert_many([{"_id": "u1", "applied_seq": 1}, {"_id": "u2", "applied_seq": 1, "pending_seq": 0}])

    async def set_pending(user: str, seq: int) -> bool:
        for newer in ({"$lt": seq}, {"$exists": False}):
            result = await profiles.update_one(
                {"_id": user, "applied_seq": {"$lt": seq}, "pending_seq": newer},
                {"$set": {"pending_avatar": {"upload_id": str(seq), "seq": seq}, "pending_seq": seq}},
            )
            if result.matched_count == 1:
                return True
        return False

    for user in ("u1", "u2"):
        assert [await set_pending(user, 3), await set_pending(user, 2), await set_pending(user, 1)] == [
            True,
            False,
            False,
        ]
        shown = await profiles.find_one({"_id": user, "pending_avatar.upload_id": "3"})
        assert shown is not None
        cleared = await profiles.update_one(
            {"_id": user, "applied_seq": 1, "pending_seq": 3},
            {"$set": {"pending_avatar": None, "pending_seq": 0, "applied_seq": 3}},
        )
        assert cleared.matched_count == 1
        assert (await profiles.find_one({"_id": user}) or {})["pending_avatar"] is None
        assert await set_pending(user, 4) is True
