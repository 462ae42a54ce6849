"""Signing quotas through the whole app against the session's MongoDB: pending uploads at once and grants per rolling
hour, raced by one user's rapid requests, shared by two instances on one database, kept across a restart, freed by
an applied, superseded, rejected or lapsed upload. Time is the services' injected clock, moved by the tests.

One instance lets a user's signing requests take turns (`quota.Turns`), so the compare-and-set itself is raced by
two instances, by avatar deletions, and by reservations made straight at the repository."""

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any

import httpx
import msgspec
import pytest
from litestar.testing import TestClient
from pymongo import AsyncMongoClient

from profile_service.app import create_app
from profile_service.avatars.quota import QuotaExceeded, QuotaLimits
from profile_service.config import Settings
from profile_service.profiles.freshness import COOKIE
from profile_service.services import Services, build, running
from service_kit.clock import to_ms, utc_now
from tests.conftest import Client, TokenFactory, auth
from tests.fakes import FakeAssets, MovableClock
from tests.integration.commands import COMMANDS
from tests.integration.helpers import post_notification, sign_upload, upload_notification

RAPID = 300
SIGN = "/profiles/me/avatar/uploads"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def limited(settings: Settings, *, open_uploads: int, per_hour: int) -> Settings:
    return msgspec.structs.replace(settings, max_open_uploads=open_uploads, max_uploads_per_hour=per_hour)


@asynccontextmanager
async def serve(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The app over `services`, running, served concurrently.

    Through httpx's ASGI transport rather than Litestar's AsyncTestClient: that one runs each request to the end
    before the next starts (its async transport calls the blocking one), so racing requests would never race.
    """
    # Litestar's precise ASGI types against httpx's loose ones: the same protocol.
    app: Any = create_app(services=services)
    async with (
        running(services, background=False),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local") as client,
    ):
        yield client


def instance(settings: Settings, clock: MovableClock) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """One app instance (its own services and MongoDB client) over the test's database."""
    return serve(build(settings, clock=clock))


@pytest.fixture
def sync_client(settings: Settings, clock: MovableClock) -> Iterator[Client]:
    """The app with two open uploads and four an hour allowed, on the movable clock."""
    app = create_app(services=build(limited(settings, open_uploads=2, per_hour=4), clock=clock))
    with TestClient(app) as client:
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the app never became ready"
            time.sleep(0.02)
        yield client


async def rapid(clients: list[httpx.AsyncClient], headers: dict[str, str]) -> list[httpx.Response]:
    """RAPID signing requests, 100 in flight at a time, taking turns over `clients`."""
    responses: list[httpx.Response] = []
    for start in range(0, RAPID, 100):
        batch = [clients[i % len(clients)].post(SIGN, headers=headers) for i in range(start, start + 100)]
        responses.extend(await asyncio.gather(*batch))
    return responses


async def intents_of(settings: Settings, user_id: str) -> int:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_uri)
    try:
        return await client[settings.database]["upload_intents"].count_documents({"user_id": user_id})
    finally:
        await client.close()


def refused_metric(text: str, reason: str) -> float:
    match = re.search(rf'^profile_upload_sign_refused_total\{{reason="{reason}"\}} (\S+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def assert_refused(response: httpx.Response, reason: str, retry_after: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == str(retry_after)
    assert response.json()["reason"] == reason


async def test_rapid_requests_get_exactly_the_open_uploads_allowed(
    settings: Settings, clock: MovableClock, token: TokenFactory
) -> None:
    headers = auth(token("u1", "alice"))
    async with instance(limited(settings, open_uploads=5, per_hour=1000), clock) as client:
        responses = await rapid([client], headers)
        metrics = (await client.get("/metrics")).text

    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 5
    assert statuses.count(429) == RAPID - 5, [r.text for r in responses if r.status_code not in (201, 429)]
    for response in responses:
        if response.status_code == 429:
            # The clock stands still: the earliest pending upload lapses exactly one TTL from now.
            assert_refused(response, "open_uploads", settings.upload_ttl_seconds)
            assert response.json()["detail"] == (
                "You have 5 uploads in progress. Finish or wait for one (about 10 minutes) before starting another."
            )
    # Nothing was recorded for a refusal; every grant took its own sequence number.
    assert await intents_of(settings, "u1") == 5
    assert refused_metric(metrics, "open_uploads") == RAPID - 5


async def test_rapid_requests_get_exactly_the_hourly_uploads_allowed(
    settings: Settings, clock: MovableClock, token: TokenFactory
) -> None:
    headers = auth(token("u1", "alice"))
    async with instance(limited(settings, open_uploads=1000, per_hour=12), clock) as client:
        responses = await rapid([client], headers)
        metrics = (await client.get("/metrics")).text

    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 12
    assert statuses.count(429) == RAPID - 12
    refusal = next(r for r in responses if r.status_code == 429)
    assert_refused(refusal, "hourly_uploads", 3600)
    assert refusal.json()["detail"] == "You have started 12 uploads in the last hour. Try again in 1 hour."
    assert await intents_of(settings, "u1") == 12
    assert refused_metric(metrics, "hourly_uploads") == RAPID - 12


async def test_two_instances_on_one_database_share_the_budget(
    settings: Settings, clock: MovableClock, token: TokenFactory
) -> None:
    headers = auth(token("u1", "alice"))
    quota = limited(settings, open_uploads=5, per_hour=1000)
    async with instance(quota, clock) as first, instance(quota, clock) as second:
        responses = await rapid([first, second], headers)

    granted = [i % 2 for i, r in enumerate(responses) if r.status_code == 201]
    assert len(granted) == 5
    assert [r.status_code for r in responses].count(429) == RAPID - 5
    assert await intents_of(settings, "u1") == 5


async def test_the_quota_survives_a_restart(settings: Settings, clock: MovableClock, token: TokenFactory) -> None:
    headers = auth(token("u1", "alice"))
    quota = limited(settings, open_uploads=3, per_hour=1000)
    async with instance(quota, clock) as before:
        assert [(await before.post(SIGN, headers=headers)).status_code for _ in range(3)] == [201] * 3

    async with instance(quota, clock) as after:
        assert_refused(await after.post(SIGN, headers=headers), "open_uploads", settings.upload_ttl_seconds)


def test_an_applied_upload_frees_a_slot(sync_client: Client, token: TokenFactory) -> None:
    bearer = token("u1")
    first = sign_upload(sync_client, bearer)
    sign_upload(sync_client, bearer)
    assert sync_client.post(SIGN, headers=auth(bearer)).status_code == 429

    assert post_notification(sync_client, upload_notification(first["public_id"])).json()["intent_status"] == "applied"

    assert sync_client.post(SIGN, headers=auth(bearer)).status_code == 201


def test_a_superseded_upload_frees_a_slot(sync_client: Client, token: TokenFactory) -> None:
    bearer = token("u1")
    older, newer = sign_upload(sync_client, bearer), sign_upload(sync_client, bearer)
    post_notification(sync_client, upload_notification(newer["public_id"], version=2))
    sign_upload(sync_client, bearer)  # the slot the applied one freed; `older` is still pending
    assert sync_client.post(SIGN, headers=auth(bearer)).status_code == 429

    late = post_notification(sync_client, upload_notification(older["public_id"], version=1))

    assert late.json()["intent_status"] == "superseded"
    assert sync_client.post(SIGN, headers=auth(bearer)).status_code == 201


def test_a_rejected_upload_frees_a_slot(sync_client: Client, token: TokenFactory) -> None:
    bearer = token("u1")
    ticket = sign_upload(sync_client, bearer)
    sign_upload(sync_client, bearer)
    assert sync_client.post(SIGN, headers=auth(bearer)).status_code == 429

    rejected = post_notification(sync_client, upload_notification(ticket["public_id"], format="gif"))

    assert rejected.json()["intent_status"] == "rejected"
    assert sync_client.post(SIGN, headers=auth(bearer)).status_code == 201


def test_a_lapsed_upload_stops_counting(
    sync_client: Client, clock: MovableClock, token: TokenFactory, settings: Settings
) -> None:
    bearer = token("u1")
    sign_upload(sync_client, bearer)
    clock.advance(seconds=100)
    sign_upload(sync_client, bearer)
    # The first one lapses one TTL after it was signed: 100 s of it have passed.
    assert_refused(sync_client.post(SIGN, headers=auth(bearer)), "open_uploads", settings.upload_ttl_seconds - 100)

    clock.advance(seconds=settings.upload_ttl_seconds - 100)

    assert sync_client.post(SIGN, headers=auth(bearer)).status_code == 201
    assert sync_client.post(SIGN, headers=auth(bearer)).status_code == 429  # the second is still pending


def test_grants_leave_the_rolling_hour(sync_client: Client, clock: MovableClock, token: TokenFactory) -> None:
    bearer = token("u1")
    for _ in range(4):  # two at a time (the open limit), each pair applied so only the hourly limit is left
        ticket = sign_upload(sync_client, bearer)
        post_notification(sync_client, upload_notification(ticket["public_id"], version=int(time.time())))
        clock.advance(minutes=10)
    # Grants at 0, 10, 20 and 30 minutes; now is 40: the first leaves the hour in 20 minutes.
    refused = sync_client.post(SIGN, headers=auth(bearer))
    assert_refused(refused, "hourly_uploads", 20 * 60)
    assert refused.json()["detail"] == "You have started 4 uploads in the last hour. Try again in 20 minutes."

    clock.advance(minutes=19, seconds=59)
    assert_refused(sync_client.post(SIGN, headers=auth(bearer)), "hourly_uploads", 1)
    clock.advance(seconds=1)

    assert sync_client.post(SIGN, headers=auth(bearer)).status_code == 201
    clock.advance(minutes=21)  # 81 minutes in: the grants at 10 and 20 minutes have left the hour too
    assert [sync_client.post(SIGN, headers=auth(bearer)).status_code for _ in range(2)] == [201, 201]


async def test_a_profile_from_before_quotas_gets_them(
    settings: Settings, clock: MovableClock, token: TokenFactory
) -> None:
    headers = auth(token("u1", "alice"))
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_uri)
    profiles = client[settings.database]["profiles"]
    try:
        async with instance(limited(settings, open_uploads=2, per_hour=1000), clock) as app:
            assert (await app.get("/profiles/me", headers=headers)).status_code == 200
            await profiles.update_one(
                {"_id": "u1"}, {"$unset": {"quota_rev": "", "open_uploads": "", "upload_grants": ""}}
            )

            statuses = await asyncio.gather(*(app.post(SIGN, headers=headers) for _ in range(20)))

        assert sorted(r.status_code for r in statuses) == [201] * 2 + [429] * 18
        doc = await profiles.find_one({"_id": "u1"})
        assert doc is not None
        assert (doc["quota_rev"], len(doc["open_uploads"]), len(doc["upload_grants"])) == (2, 2, 2)
    finally:
        await client.close()


def test_the_policy_publishes_the_quotas(sync_client: Client, token: TokenFactory) -> None:
    policy = sync_client.get("/profiles/me/avatar/policy", headers=auth(token("u1"))).json()

    assert (policy["max_open_uploads"], policy["max_uploads_per_hour"]) == (2, 4)


async def test_reconciliation_expiring_an_upload_drops_it_from_the_open_ones(
    settings: Settings, clock: MovableClock, token: TokenFactory
) -> None:
    services = build(limited(settings, open_uploads=2, per_hour=1000), clock=clock, assets=FakeAssets())
    headers = auth(token("u1", "alice"))
    async with serve(services) as client:
        ticket = (await client.post(SIGN, headers=headers)).json()
        clock.advance(seconds=settings.upload_ttl_seconds + settings.upload_grace_seconds + 1)

        report = await services.reconciler.reconcile_overdue()

        assert report.outcomes == {"expired": 1}
        doc = await services.mongo.db["profiles"].find_one({"_id": "u1"})
        assert doc is not None
        assert ticket["upload_id"] not in doc["open_uploads"]


@contextmanager
def ready_client(app: Any) -> Iterator[TestClient[Any]]:
    with TestClient(app) as client:
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the app never became ready"
            time.sleep(0.02)
        yield client


def test_signing_is_two_round_trips_and_a_refusal_one(settings: Settings, token: TokenFactory) -> None:
    # Its own client, created after the listener was registered (the outbox worker's commands go elsewhere).
    app = create_app(services=build(limited(settings, open_uploads=2, per_hour=1000)))
    bearer = token("u1", "alice")
    with ready_client(app) as client:
        sign_upload(client, bearer)  # the profile exists from here on, and this instance knows its quota state
        with COMMANDS.counting(settings.database) as granted:
            sign_upload(client, bearer)
        with COMMANDS.counting(settings.database) as refused:
            assert client.post(SIGN, headers=auth(bearer)).status_code == 429

    # The reservation (compare-and-set from the state this instance wrote last, taking the sequence), the intent.
    assert granted == ["update", "insert"]
    # The guess would refuse, so the profile is read before refusing: a refusal is always decided on a read.
    assert refused == ["find"]


def test_signing_on_an_instance_that_never_saw_the_user_reads_first(settings: Settings, token: TokenFactory) -> None:
    bearer = token("u1", "alice")
    quotas = limited(settings, open_uploads=10, per_hour=1000)
    with ready_client(create_app(services=build(quotas))) as client:
        sign_upload(client, bearer)
    # Another instance (its own repository, nothing known): read, reserve, insert. Its stale-free read wins.
    with ready_client(create_app(services=build(quotas))) as client:
        with COMMANDS.counting(settings.database) as granted:
            ticket = sign_upload(client, bearer)
        # This instance's state is now the one it wrote; the first instance's would be stale (CAS misses, re-reads).
        with COMMANDS.counting(settings.database) as again:
            sign_upload(client, bearer)

    assert granted == ["find", "update", "insert"]
    assert again == ["update", "insert"]
    assert ticket["upload_id"]


def test_a_stale_quota_guess_costs_a_read_and_never_a_wrong_answer(settings: Settings, token: TokenFactory) -> None:
    bearer = token("u1", "alice")
    quotas = limited(settings, open_uploads=2, per_hour=1000)
    with ready_client(create_app(services=build(quotas))) as first:
        sign_upload(first, bearer)
        with ready_client(create_app(services=build(quotas))) as second:
            sign_upload(second, bearer)  # the first instance's state is stale now, and the quota is spent
        with COMMANDS.counting(settings.database) as refused:
            response = first.post(SIGN, headers=auth(bearer))

    # The guess (one open upload) would grant: its compare-and-set misses, the read shows two open, refused.
    assert response.status_code == 429
    assert response.json()["reason"] == "open_uploads"
    assert refused == ["update", "find"]


async def _no_outbox_worker() -> None:
    """Stands in for the outbox worker's loop: its check that a superseded asset is shown nowhere before
    destroying it reads the profile at a moment of its own, which would land in a counted block now and then."""
    await asyncio.Event().wait()


def test_round_trips_per_read_and_per_notification(settings: Settings, token: TokenFactory) -> None:
    services = build(limited(settings, open_uploads=10, per_hour=1000))
    services.outbox_worker.run = _no_outbox_worker  # type: ignore[method-assign]
    app = create_app(services=services)
    bearer = token("u1", "alice")
    # The owner's write marker: the read skips the instance's cache and goes to MongoDB.
    fresh = {**auth(bearer), "Cookie": f"{COOKIE}={int(time.time() * 1000) + 60_000}"}
    with ready_client(app) as client:
        # Another user's picture first: the first change in a database creates the change feed's counter.
        warm = sign_upload(client, token("u0", "zoe"))
        assert post_notification(client, upload_notification(warm["public_id"])).status_code == 200
        with COMMANDS.counting(settings.database) as first_read:
            assert client.get("/profiles/me", headers=auth(bearer)).status_code == 200
        with COMMANDS.counting(settings.database) as later_read:
            assert client.get("/profiles/me", headers=fresh).status_code == 200
        older, newer = sign_upload(client, bearer), sign_upload(client, bearer)
        with COMMANDS.counting(settings.database) as applied:
            assert post_notification(client, upload_notification(newer["public_id"], 1700000002)).status_code == 200
        with COMMANDS.counting(settings.database) as duplicate:
            assert post_notification(client, upload_notification(newer["public_id"], 1700000002)).status_code == 200
        with COMMANDS.counting(settings.database) as superseded:
            answer = post_notification(client, upload_notification(older["public_id"], 1700000001))
        assert answer.json()["intent_status"] == "superseded"
        latest = sign_upload(client, bearer)
        with COMMANDS.counting(settings.database) as replacing:
            assert post_notification(client, upload_notification(latest["public_id"], 1700000003)).status_code == 200

    # The profile's read; on a miss the tombstone check, the creating upsert (its document known: no re-read).
    assert first_read == ["find", "find", "update"]
    assert later_read == ["find"]
    # The intent, the compare-and-set (from the state this instance kept from the profile's last read: no ordering
    # read; it returns what is left to hand over: nothing), the change feed (number, event, marker off), the
    # intent marked applied.
    assert applied == ["find", "findAndModify", "findAndModify", "insert", "update", "update"]
    # The intent and the ordering read: already shown, already marked, nothing to hand over.
    assert duplicate == ["find", "find"]
    # The intent, the ordering read (a newer one is shown), the intent marked superseded, its quota slot freed
    # (the destroy goes to the outbox, not counted here).
    assert superseded == ["find", "find", "update", "findAndModify"]
    # A new picture's apply, then the hand-over of the one it replaced: its intent (named by the replaced avatar,
    # not looked up) marked superseded after its destroy is in the outbox, then forgotten on the profile.
    assert replacing == [*applied, "update", "update"]


async def test_signing_racing_avatar_deletions_never_shares_a_sequence(
    settings: Settings, clock: MovableClock, token: TokenFactory
) -> None:
    headers = auth(token("u1", "alice"))
    async with instance(limited(settings, open_uploads=1000, per_hour=1000), clock) as client:
        assert (await client.get("/profiles/me", headers=headers)).status_code == 200
        calls = [
            client.post(SIGN, headers=headers) if i % 2 else client.delete("/profiles/me/avatar", headers=headers)
            for i in range(100)
        ]
        responses = await asyncio.gather(*calls)

    assert sorted(r.status_code for r in responses) == [201] * 50 + [204] * 50
    client_db: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_uri)
    try:
        db = client_db[settings.database]
        seqs = [doc["seq"] async for doc in db["upload_intents"].find({"user_id": "u1"}, {"seq": True})]
        profile = await db["profiles"].find_one({"_id": "u1"})
    finally:
        await client_db.close()
    assert profile is not None
    # 100 allocations (50 signs, 50 deletions), each its own: the signs' sequences are distinct and within them.
    assert profile["avatar_seq"] == 100
    assert len(set(seqs)) == 50
    assert all(1 <= seq <= 100 for seq in seqs)


async def test_racing_reservations_without_turns_still_never_exceed_the_limit(settings: Settings) -> None:
    # Straight at the repository, all from one stale read: only the compare-and-set keeps the count.
    async with running(build(settings), background=False) as services:
        profiles = services.profiles
        stale = await profiles.ensure_for_signing("u1", "alice")
        limits = QuotaLimits(max_open=7, max_per_hour=1000)

        async def reserve(index: int) -> int | None:
            try:
                return await profiles.reserve_upload(
                    "u1", upload_id=f"{index:024x}", expires_ms=to_ms(utc_now()) + 600_000, limits=limits, state=stale
                )
            except QuotaExceeded:
                return None

        seqs = await asyncio.gather(*(reserve(i) for i in range(100)))

    assert sorted(seq for seq in seqs if seq is not None) == list(range(1, 8))
