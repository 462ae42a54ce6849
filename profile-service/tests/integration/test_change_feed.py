"""`GET /internal/profiles/changes` against the session's MongoDB: every write that changes a public view is
recorded once, in commit order, with a cursor that resumes across pages and instances; holes left by a writer
that took a sequence number and never inserted are held back, then given up after the gap timeout; old cursors
answer 410, malformed ones 400; `wait` long-polls; two instances writing at once lose and repeat nothing."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
import pytest
from litestar.testing import TestClient

from profile_service.app import create_app
from profile_service.avatars.cloudinary import Asset
from profile_service.avatars.signing import notification_signature
from profile_service.config import Settings
from profile_service.profiles.schemas import ProfileChange
from profile_service.services import Services, build, running
from service_kit.clock import to_ms, utc_now
from tests.conftest import API_SECRET, Client, TokenFactory, auth, wait_until_ready
from tests.fakes import FakeAssets, MovableClock
from tests.integration.helpers import post_notification, sign_upload, upload_notification

INTERNAL = "profile-service-internal"
CHANGES = "/internal/profiles/changes"
PENDING = [{"kind": "manual", "status": "pending"}]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def assets() -> FakeAssets:
    return FakeAssets()


@pytest.fixture
def services(settings: Settings, clock: MovableClock, assets: FakeAssets) -> Services:
    return build(msgspec.structs.replace(settings, moderation="manual"), clock=clock, assets=assets)


@pytest.fixture
def client(services: Services) -> Iterator[Client]:
    with TestClient(create_app(services=services)) as test_client:
        wait_until_ready(test_client)
        yield test_client


def reader(token: TokenFactory) -> dict[str, str]:
    return auth(token("comments-service", aud=INTERNAL, scope="profiles:read", username=None))


def changes(client: Client, token: TokenFactory, **params: Any) -> dict[str, Any]:
    response = client.get(CHANGES, params=params, headers=reader(token))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def kinds(page: dict[str, Any]) -> list[tuple[str, str]]:
    return [(change["user_id"], change["kind"]) for change in page["changes"]]


def apply_upload(client: Client, assets: FakeAssets, bearer: str, *, moderated: bool = False) -> dict[str, Any]:
    """Sign and notify; a moderated upload stays awaiting moderation (Cloudinary holds it pending)."""
    ticket = sign_upload(client, bearer)
    public_id = ticket["public_id"]
    body = upload_notification(public_id, moderation=PENDING) if moderated else upload_notification(public_id)
    assets.assets[public_id] = Asset(
        public_id=public_id,
        version=body["version"],
        secure_url=body["secure_url"],
        format="jpg",
        bytes=40_000,
        width=512,
        height=512,
        created_at=body["created_at"],
        moderation=[dict(entry) for entry in PENDING] if moderated else None,
    )
    response = post_notification(client, body)
    assert response.status_code == 200, response.text
    return ticket


def test_every_public_view_change_is_recorded_once_in_order(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    alice = auth(token("u1", "alice"))
    admin = auth(token("u-admin", "root", role="admin"))
    deleter = auth(token("auth-service", aud=INTERNAL, scope="profiles:delete", username=None))
    client.get("/profiles/me", headers=alice)
    held = apply_upload(client, assets, token("u1", "alice"), moderated=True)  # held: nothing public changes
    assert client.post(f"/admin/moderation/{held['upload_id']}/approve", headers=admin).status_code == 200
    assert (
        client.request("DELETE", "/admin/profiles/u1/avatar", json={"reason": "not ok"}, headers=admin).status_code
        == 204
    )
    apply_upload(client, assets, token("u1", "alice"), moderated=True)
    assert client.delete("/profiles/me/avatar", headers=alice).status_code == 204  # nothing shown: no change
    client.patch("/profiles/me", json={"display_name": "Alice", "bio": "hi"}, headers=alice)
    client.patch("/profiles/me", json={"display_name": "Alice", "bio": "still hi"}, headers=alice)  # same name
    client.patch("/profiles/me", json={"visibility": "private"}, headers=alice)
    client.patch("/profiles/me/preferences", json={"theme": "dark"}, headers=alice)  # not public
    client.get("/profiles/me", headers=auth(token("u1", "alice2")))
    assert client.delete("/internal/users/u1", headers=deleter).status_code == 204
    assert client.delete("/internal/users/u1", headers=deleter).status_code == 204  # repeated: nothing new

    page = changes(client, token)

    assert kinds(page) == [
        ("u1", "avatar_applied"),
        ("u1", "avatar_taken_down"),
        ("u1", "display_name"),
        ("u1", "visibility"),
        ("u1", "username"),
        ("u1", "account_deleted"),
    ]
    cursors = [change["cursor"] for change in page["changes"]]
    assert [int(c.split("-")[0]) for c in cursors] == sorted(int(c.split("-")[0]) for c in cursors)
    assert page["next_cursor"] == cursors[-1]


def test_avatar_removed_by_the_owner_and_applied_by_the_webhook(
    settings: Settings, token: TokenFactory, assets: FakeAssets
) -> None:
    with TestClient(create_app(services=build(settings, assets=assets))) as client:
        wait_until_ready(client)
        alice = token("u1", "alice")
        apply_upload(client, assets, alice)
        assert client.delete("/profiles/me/avatar", headers=auth(alice)).status_code == 204

        page = changes(client, token)

    assert kinds(page) == [("u1", "avatar_applied"), ("u1", "avatar_removed")]


def test_pages_resume_from_next_cursor_without_repeats(client: Client, token: TokenFactory) -> None:
    for i in range(5):
        bearer = auth(token(f"u{i}", f"user{i}"))
        client.get("/profiles/me", headers=bearer)
        client.patch("/profiles/me", json={"display_name": f"User {i}"}, headers=bearer)

    first = changes(client, token, limit=2)
    second = changes(client, token, limit=2, after=first["next_cursor"])
    third = changes(client, token, limit=2, after=second["next_cursor"])
    empty = changes(client, token, limit=2, after=third["next_cursor"])

    seen = [c["user_id"] for page in (first, second, third) for c in page["changes"]]
    assert seen == [f"u{i}" for i in range(5)]
    assert empty == {"changes": [], "next_cursor": third["next_cursor"]}


def test_an_empty_feed_hands_out_a_cursor_that_sees_the_next_change(client: Client, token: TokenFactory) -> None:
    start = changes(client, token)
    assert start["changes"] == []
    bearer = auth(token("u1", "alice"))
    client.get("/profiles/me", headers=bearer)
    client.patch("/profiles/me", json={"display_name": "Alice"}, headers=bearer)

    page = changes(client, token, after=start["next_cursor"])

    assert kinds(page) == [("u1", "display_name")]


MALFORMED = ["abc", "1-", "-1", "1-2-3", "1.5-2", " 1-2", "1-2\n", "9" * 19 + "-1", "1-" + "9" * 14, "\u0661-\u0662"]


@pytest.mark.parametrize("after", MALFORMED)
def test_a_malformed_cursor_is_400(client: Client, token: TokenFactory, after: str) -> None:
    response = client.get(CHANGES, params={"after": after}, headers=reader(token))

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"wait": -1}, {"wait": 31}, {"limit": "x"}])
def test_limit_and_wait_out_of_range_are_400(client: Client, token: TokenFactory, params: dict[str, Any]) -> None:
    response = client.get(CHANGES, params=params, headers=reader(token))

    assert response.status_code == 400, response.text


def test_a_cursor_older_than_the_retention_is_410(client: Client, token: TokenFactory, clock: MovableClock) -> None:
    bearer = auth(token("u1", "alice"))
    client.get("/profiles/me", headers=bearer)
    client.patch("/profiles/me", json={"display_name": "Alice"}, headers=bearer)
    cursor = changes(client, token)["next_cursor"]
    clock.advance(days=6, hours=23)
    assert changes(client, token, after=cursor)["changes"] == []

    clock.advance(hours=2)
    response = client.get(CHANGES, params={"after": cursor}, headers=reader(token))

    assert response.status_code == 410
    assert response.json()["type"] == "urn:profile-pictures:problem:cursor-expired"
    assert changes(client, token)["changes"] == []  # from the start: nothing older than the retention


def test_a_hole_is_held_back_until_the_gap_timeout_then_skipped(
    client: Client, services: Services, token: TokenFactory, clock: MovableClock
) -> None:
    bearer = auth(token("u1", "alice"))
    client.get("/profiles/me", headers=bearer)
    client.patch("/profiles/me", json={"display_name": "A"}, headers=bearer)
    before = changes(client, token)["next_cursor"]

    def take_a_number_and_stall() -> None:
        async def take() -> None:
            await services.feed._next_seq()

        with client.portal() as portal:
            portal.call(take)

    take_a_number_and_stall()  # a writer that took the next number and has not inserted (yet)
    client.patch("/profiles/me", json={"display_name": "B"}, headers=bearer)
    held = changes(client, token, after=before)
    clock.advance(seconds=services.settings.change_gap_timeout_seconds + 1)
    skipped = changes(client, token, after=before)
    metrics = client.get("/metrics").text

    assert held == {"changes": [], "next_cursor": before}
    assert kinds(skipped) == [("u1", "display_name")]
    assert "profile_change_gaps_skipped_total 1.0" in metrics


def test_a_writer_whose_number_was_given_up_records_under_a_new_one(
    client: Client, services: Services, token: TokenFactory
) -> None:
    bearer = auth(token("u1", "alice"))
    client.get("/profiles/me", headers=bearer)

    async def skip_next() -> int:
        counter = await services.mongo.db["counters"].find_one({"_id": "profile_changes"})
        number = 1 if counter is None else int(counter["seq"]) + 1
        await services.mongo.db["profile_changes"].insert_one(
            {"_id": number, "user_id": None, "kind": "skipped", "at": utc_now()}
        )
        return number

    with client.portal() as portal:
        skipped = portal.call(skip_next)
    client.patch("/profiles/me", json={"display_name": "A"}, headers=bearer)

    page = changes(client, token)

    assert kinds(page) == [("u1", "display_name")]
    assert int(page["changes"][0]["cursor"].split("-")[0]) == skipped + 1


@asynccontextmanager
async def serve(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The app over `services`, running, served concurrently (httpx's ASGI transport: requests really race)."""
    app: Any = create_app(services=services)
    async with (
        running(services, background=False),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local") as client,
    ):
        yield client


async def test_wait_long_polls_until_another_instance_writes(settings: Settings, token: TokenFactory) -> None:
    bearer = auth(token("u1", "alice"))
    async with serve(build(settings)) as a, serve(build(settings)) as b:
        await b.get("/profiles/me", headers=bearer)
        start = (await a.get(CHANGES, headers=reader(token))).json()["next_cursor"]
        began = time.monotonic()
        poll = asyncio.create_task(a.get(CHANGES, params={"after": start, "wait": 20}, headers=reader(token)))
        await b.patch("/profiles/me", json={"display_name": "Alice"}, headers=bearer)
        response = await poll
        waited = time.monotonic() - began

    assert response.status_code == 200
    assert [c["kind"] for c in response.json()["changes"]] == ["display_name"]
    assert waited < 5


async def test_wait_returns_an_empty_page_when_nothing_changes(settings: Settings, token: TokenFactory) -> None:
    async with serve(build(settings)) as a:
        began = time.monotonic()
        response = await a.get(CHANGES, params={"wait": 0.3}, headers=reader(token))
        waited = time.monotonic() - began

    assert response.status_code == 200
    assert response.json()["changes"] == []
    assert 0.3 <= waited < 5


async def test_two_instances_uploading_at_once_are_read_once_each_in_order(
    settings: Settings, token: TokenFactory
) -> None:
    users = [f"u{i}" for i in range(12)]
    async with serve(build(settings)) as a, serve(build(settings)) as b:
        instances = (a, b)

        async def upload(index: int, user_id: str) -> None:
            client = instances[index % 2]
            bearer = auth(token(user_id, f"name{user_id}"))
            signed = await client.post("/profiles/me/avatar/uploads", headers=bearer)
            assert signed.status_code == 201, signed.text
            body = upload_notification(signed.json()["public_id"])
            other = instances[(index + 1) % 2]  # the webhook reaches the other instance
            response = await post_async(other, body)
            assert response.status_code == 200, response.text

        seen: list[dict[str, Any]] = []
        done = asyncio.Event()

        async def follow() -> None:
            cursor: str | None = None
            while True:
                finished = done.is_set()
                params: dict[str, Any] = {"limit": 3, **({} if cursor is None else {"after": cursor})}
                page = (await a.get(CHANGES, params=params, headers=reader(token))).json()
                seen.extend(page["changes"])
                cursor = page["next_cursor"]
                if finished and not page["changes"]:
                    return

        follower = asyncio.create_task(follow())
        await asyncio.gather(*(upload(i, user) for i, user in enumerate(users)))
        done.set()
        await follower

    assert sorted(c["user_id"] for c in seen) == sorted(users)  # each exactly once
    assert all(c["kind"] == "avatar_applied" for c in seen)
    seqs = [int(c["cursor"].split("-")[0]) for c in seen]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)


async def post_async(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    """POST a notification signed over its exact bytes (the async twin of `helpers.post_notification`)."""
    raw = json.dumps(body).encode()
    sent_at = str(int(time.time()))
    headers = {
        "content-type": "application/json",
        "X-Cld-Timestamp": sent_at,
        "X-Cld-Signature": notification_signature(raw, sent_at, API_SECRET),
    }
    return await client.post("/webhooks/cloudinary", content=raw, headers=headers)


class DiesBeforePublishing(Exception):
    """The process "dies" between the profile write and publishing its change."""


async def test_a_change_whose_writer_died_before_publishing_is_published_by_the_sweep_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(build(settings), background=False) as services:
        profiles, feed = services.profiles, services.feed
        await profiles.ensure("u1", "alice")

        async def die(*args: Any, **kwargs: Any) -> None:
            raise DiesBeforePublishing

        with monkeypatch.context() as patched:
            patched.setattr(feed, "publish", die)
            with pytest.raises(DiesBeforePublishing):
                await profiles.change("u1", ProfileChange(display_name="Alice"))
        assert (await feed.page(None, 100, 0)).changes == []

        future_ms = to_ms(utc_now()) + 60_000
        first = await profiles.publish_stranded(future_ms)
        again = await profiles.publish_stranded(future_ms)
        page = await feed.page(None, 100, 0)
        doc = await services.mongo.db["profiles"].find_one({"_id": "u1"})

    assert (first, again) == (1, 0)
    assert [(c.user_id, c.kind) for c in page.changes] == [("u1", "display_name")]
    assert doc is not None
    assert doc["feed_pending"] == {}
    assert "feed_pending_ms" not in doc


async def test_a_sweep_racing_the_writer_publishes_one_event_and_leaves_no_hole(settings: Settings) -> None:
    async with running(build(settings), background=False) as services:
        feed = services.feed
        marker = feed.marker("avatar_applied")
        await asyncio.gather(feed.publish("u1", marker), feed.publish("u1", marker))
        await feed.publish("u2", feed.marker("display_name"))

        page = await feed.page(None, 100, 0)

    # The loser of the race filled its number with a placeholder: the reader went straight on to u2's change.
    assert [(c.user_id, c.kind) for c in page.changes] == [("u1", "avatar_applied"), ("u2", "display_name")]


async def test_an_account_deletion_interrupted_after_the_profile_went_is_published_by_the_retry(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(build(settings), background=False) as services:
        profiles, feed = services.profiles, services.feed
        await profiles.ensure("u1", "alice")
        await profiles.mark_deleted("u1")

        async def die(*args: Any, **kwargs: Any) -> None:
            raise DiesBeforePublishing

        with monkeypatch.context() as patched:
            patched.setattr(feed, "publish", die)
            with pytest.raises(DiesBeforePublishing):
                await profiles.delete("u1")
        assert await profiles.delete("u1") is None  # auth-service retries the deletion
        await profiles.delete("u1")

        page = await feed.page(None, 100, 0)

    assert [(c.user_id, c.kind) for c in page.changes] == [("u1", "account_deleted")]


async def publishing_held_until(services: Services, count: int) -> AsyncIterator[None]:
    """Hold the publishing turn until `count` changes wait for it, then let them go (as one batch)."""
    publication = services.profiles._publication
    async with publication._publishing:
        deadline = time.monotonic() + 10
        while len(publication._unpublished) < count:
            assert time.monotonic() < deadline, "the changes never queued"
            await asyncio.sleep(0.005)
        yield


async def test_changes_published_at_once_go_out_in_one_batch_each_once(settings: Settings) -> None:
    users = [f"u{index:02}" for index in range(30)]
    async with running(build(settings), background=False) as services:
        profiles, feed, commands = services.profiles, services.feed, services.mongo.commands
        for user_id in users:
            await profiles.ensure(user_id, f"name{user_id}")
        await profiles.change(users[0], ProfileChange(display_name="first"))  # creates the feed's counter
        writes = [asyncio.create_task(profiles.change(u, ProfileChange(display_name=f"Name {u}"))) for u in users]
        async for _ in publishing_held_until(services, len(users)):
            before = dict(commands.counts)
        await asyncio.gather(*writes)
        after = dict(commands.counts)
        page = await feed.page(None, 100, 0)
        docs = await services.mongo.db["profiles"].find({}, {"feed_pending": True}).to_list()

    assert sorted(c.user_id for c in page.changes) == sorted([users[0], *users])
    assert all(c.kind == "display_name" for c in page.changes)
    assert all(not doc.get("feed_pending") for doc in docs)
    # One batch: the numbers in one `$inc`, the events in one insert, the markers off in one bulk write.
    grown = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
    assert grown == {"findAndModify": 1, "insert": 1, "update": 1}


async def test_a_failed_batch_fails_its_publisher_and_the_others_publish(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(build(settings), background=False) as services:
        profiles, feed = services.profiles, services.feed
        for user_id in ("u1", "u2", "u3"):
            await profiles.ensure(user_id, user_id)
        real = feed.publish_many
        broken = [True]

        async def once_broken(changes: list[Any]) -> None:
            if broken.pop() if broken else False:
                raise DiesBeforePublishing
            await real(changes)

        monkeypatch.setattr(feed, "publish_many", once_broken)
        writes = [
            asyncio.create_task(profiles.change(u, ProfileChange(display_name=f"N{u}"))) for u in ("u1", "u2", "u3")
        ]
        async for _ in publishing_held_until(services, 3):
            pass
        results = await asyncio.gather(*writes, return_exceptions=True)
        page = await feed.page(None, 100, 0)

    # The request that published the broken batch answers the error (its marker stays for the sweep); the others
    # went back to the queue and published in the next batch.
    assert sum(isinstance(r, DiesBeforePublishing) for r in results) == 1
    assert len(page.changes) == 2
