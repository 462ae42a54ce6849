"""Moderation decisions racing each other in one event loop against the session's MongoDB: the notification, an
admin's route and reconciliation may decide the same upload at the same moment."""

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest

from profile_service.avatars.cloudinary import Asset
from profile_service.avatars.intents import Intent, IntentStatus, new_intent
from profile_service.avatars.moderation import Outcome
from profile_service.config import Settings
from profile_service.services import Services, build, running
from service_kit.errors import Conflict
from tests.fakes import FakeAssets

RACERS = 8


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    moderated = msgspec.structs.replace(settings, moderation="manual")
    async with running(build(moderated, assets=FakeAssets()), background=False) as built:
        yield built


async def awaiting(services: Services, upload_id: str, seq: int) -> Intent:
    """A signed upload of u1 that Cloudinary holds pending review and the service holds in awaiting_moderation."""
    await services.profiles.ensure("u1", "alice")
    public_id = f"profiles/u1/{upload_id}"
    await services.profiles.next_seq("u1")
    intent = new_intent(
        intent_id=upload_id,
        user_id="u1",
        public_id=public_id,
        seq=seq,
        created_at=services.clock(),
        ttl_seconds=600,
        retention_days=1,
        moderation="manual",
        username="alice",
    )
    await services.intents.create(intent)
    asset = Asset(
        public_id=public_id,
        version=seq,
        secure_url=f"https://res.cloudinary.com/c/image/upload/v{seq}/{public_id}.jpg",
        format="jpg",
        bytes=1000,
        width=256,
        height=256,
        moderation=[{"kind": "manual", "status": "pending"}],
    )
    assert await services.applier.apply(intent, asset, "webhook") is IntentStatus.AWAITING_MODERATION
    stored = await services.intents.get(upload_id)
    assert stored is not None
    return stored


async def test_the_same_decision_racing_itself_lands_once(services: Services) -> None:
    intent = await awaiting(services, "a" * 24, 1)

    results = await asyncio.gather(
        *(
            services.moderation.decide(intent, "approved", reason=None, by=f"admin-{n}", source="admin")
            for n in range(RACERS)
        )
    )

    assert set(results) == {IntentStatus.APPLIED}
    profile = await services.profiles.get("u1")
    assert profile.avatar is not None and profile.avatar.public_id == intent.public_id
    assert profile.pending_avatar is None
    stored = await services.intents.get(intent.id)
    assert stored is not None and stored.decided_by is not None and stored.decided_by.startswith("admin-")


async def test_opposite_decisions_racing_end_in_exactly_one(services: Services) -> None:
    intent = await awaiting(services, "b" * 24, 1)
    outcomes: list[Outcome] = ["approved" if n % 2 else "rejected" for n in range(RACERS)]

    results = await asyncio.gather(
        *(services.moderation.decide(intent, o, reason="no", by="admin", source="admin") for o in outcomes),
        return_exceptions=True,
    )

    stored = await services.intents.get(intent.id)
    assert stored is not None and stored.moderation_status in ("approved", "rejected")
    won = stored.moderation_status
    for outcome, result in zip(outcomes, results, strict=True):
        assert isinstance(result, Conflict) if outcome != won else isinstance(result, IntentStatus), (outcome, result)
    profile = await services.profiles.get("u1")
    assert (profile.avatar is not None) is (won == "approved")
    assert stored.status is (IntentStatus.APPLIED if won == "approved" else IntentStatus.REJECTED)
    assert (profile.moderation_notice is not None) is (won == "rejected")


async def test_approvals_of_two_uploads_racing_leave_the_newer_live(services: Services) -> None:
    older = await awaiting(services, "c" * 24, 1)
    newer = await awaiting(services, "d" * 24, 2)

    results = await asyncio.gather(
        *(
            services.moderation.decide(i, "approved", reason=None, by="admin", source="admin")
            for _ in range(RACERS // 2)
            for i in (older, newer)
        )
    )

    assert set(results) <= {IntentStatus.APPLIED, IntentStatus.SUPERSEDED}
    profile = await services.profiles.get("u1")
    assert profile.avatar is not None and profile.avatar.public_id == newer.public_id
    assert profile.pending_avatar is None
    stored = await services.intents.get(older.id)
    assert stored is not None and stored.status is IntentStatus.SUPERSEDED
