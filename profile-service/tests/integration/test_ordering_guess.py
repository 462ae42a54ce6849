"""`apply_avatar` starts from this instance's last known ordering state of the profile (no read first); these
tests make that guess stale through a second instance on the same database and check that every decision is
still the ordering rule's, taken on what the database holds."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from profile_service.avatars.ordering import Verdict
from profile_service.profiles.documents import avatar_document, pending_document
from profile_service.profiles.repository import ProfileRepository
from service_kit.mongo import Database
from tests.integration.commands import COMMANDS

NOW = datetime(2026, 12, 4, tzinfo=UTC)


Instances = tuple[Database, Database]


@pytest.fixture
async def instances(mongodb_uri: str, database_name: str) -> AsyncIterator[Instances]:
    """Two clients on one database, as two instances of the service."""
    first: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    second: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    try:
        yield first[database_name], second[database_name]
    finally:
        await first.close()
        await second.close()


def picture(seq: int) -> dict[str, Any]:
    return avatar_document(
        public_id=f"profiles/u1/{seq}",
        version=seq,
        secure_url=f"https://res.example/image/upload/v{seq}/profiles/u1/{seq}.png",
        width=64,
        height=64,
        fmt="png",
        size=100,
        variants={},
        intent_id=f"intent-{seq}",
        seq=seq,
        updated_at=NOW,
    )


async def apply(profiles: ProfileRepository, seq: int) -> Verdict:
    result = await profiles.apply_avatar("u1", seq=seq, avatar=picture(seq), public_id=f"profiles/u1/{seq}")
    return result.verdict


async def test_an_apply_from_a_fresh_guess_costs_one_write_and_no_read(
    instances: Instances, database_name: str
) -> None:
    db, _ = instances
    profiles = ProfileRepository(db, lambda: NOW)
    await profiles.ensure("u1", "ada")

    with COMMANDS.recording(database_name) as sent:
        assert await apply(profiles, 1) is Verdict.APPLY
        assert await apply(profiles, 2) is Verdict.APPLY

    assert sent == [("findAndModify", "profiles"), ("findAndModify", "profiles")]
    doc = await db["profiles"].find_one({"_id": "u1"})
    assert doc is not None
    assert doc["avatar"]["public_id"] == "profiles/u1/2"
    assert doc["retired"] == ["profiles/u1/1"]


async def test_a_guess_made_stale_by_another_instance_is_decided_on_a_read(
    instances: Instances, database_name: str
) -> None:
    db, other_db = instances
    mine, other = ProfileRepository(db, lambda: NOW), ProfileRepository(other_db, lambda: NOW)
    await mine.ensure("u1", "ada")  # this instance now believes: nothing shown, applied_seq 0
    assert await apply(other, 5) is Verdict.APPLY

    # Older than what the other instance showed: superseded, though the guess said the profile was empty.
    with COMMANDS.counting(database_name) as stale:
        assert await apply(mine, 3) is Verdict.SUPERSEDED
    # The guess's compare-and-set missed; the read decided.
    assert stale == ["findAndModify", "find"]
    # Newer: applied from the state that read left (no read again), retiring the other instance's picture.
    with COMMANDS.counting(database_name) as fresh:
        assert await apply(mine, 7) is Verdict.APPLY
    assert fresh == ["findAndModify"]

    doc = await db["profiles"].find_one({"_id": "u1"})
    assert doc is not None
    assert (doc["applied_seq"], doc["avatar"]["public_id"], doc["retired"]) == (7, "profiles/u1/7", ["profiles/u1/5"])


async def test_a_guess_that_would_not_apply_is_checked_by_a_read(instances: Instances, database_name: str) -> None:
    db, _ = instances
    profiles = ProfileRepository(db, lambda: NOW)
    await profiles.ensure("u1", "ada")
    assert await apply(profiles, 4) is Verdict.APPLY

    with COMMANDS.recording(database_name) as sent:
        assert await apply(profiles, 4) is Verdict.ALREADY_APPLIED
        assert await apply(profiles, 2) is Verdict.SUPERSEDED
    assert sent == [("find", "profiles"), ("find", "profiles")]


async def test_an_upload_put_under_review_by_another_instance_is_cleared_only_by_a_newer_apply(
    instances: Instances,
) -> None:
    db, other_db = instances
    mine, other = ProfileRepository(db, lambda: NOW), ProfileRepository(other_db, lambda: NOW)
    await mine.ensure("u1", "ada")  # this instance believes nothing is under review
    review = pending_document(
        upload_id="intent-6",
        seq=6,
        secure_url="https://res.example/image/upload/v6/profiles/u1/6.png",
        version=6,
        width=64,
        height=64,
        variants={},
        uploaded_at=NOW,
    )
    assert await other.set_pending_avatar("u1", review)

    # Older than the upload under review: applied, and the review stays shown to its owner.
    assert await apply(mine, 4) is Verdict.APPLY
    doc = await db["profiles"].find_one({"_id": "u1"})
    assert doc is not None
    assert (doc["pending_seq"], doc["pending_avatar"]["upload_id"]) == (6, "intent-6")

    # The upload under review itself, approved: applied, and no longer shown as under review.
    assert await apply(mine, 6) is Verdict.APPLY
    doc = await db["profiles"].find_one({"_id": "u1"})
    assert doc is not None
    assert (doc["applied_seq"], doc["pending_seq"], doc["pending_avatar"]) == (6, 0, None)
