"""The sample consumer (`e2e/consumer.py`, a stand-in for a comments service) against the real stack: it warms its
cache through `POST /internal/profiles/lookup`, follows `GET /internal/profiles/changes`, and holds each user's
newest picture within a second of profile-service applying it; across a restart of the consumer (it resumes from
its stored cursor, sees what changed while it was down and replays nothing from before) and a restart of
profile-service (it keeps going); with a cursor past the feed's retention (410) or one the feed never handed out
(400) it resyncs through the lookup; and an account deleted through auth-service leaves its cache.

"Applied" is the picture's `updated_at` in the upload's status (profile-service's clock when the apply write was
built); "seen" is the consumer's `avatar_seen_at` (the moment its cache first held that picture). Both are this
machine's wall clock. The tests wait for conditions with deadlines; the one-second bound is asserted on the
consumer's own timestamps, so how often the test polls does not matter.
"""

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.mongo import MongoServer
from e2e.conftest import running_stack
from e2e.evidence import server_errors
from e2e.pipeline import User, image_bytes, register, sign, upload, wait_for, wait_for_status
from e2e.stack import Stack

USERS = 5
UPLOADS_PER_USER = 2
SEEN_WITHIN_SECONDS = 1.0
# Renew the service token 3 s after each issue (the default lifetime is 900 s), so a run renews it many times.
CONSUMER_ENV = {"CONSUMER_RENEW_MARGIN_SECONDS": "897", "CONSUMER_WAIT_SECONDS": "10"}


@pytest.fixture(scope="module")
def stack(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own: the consumer's feed then holds only this module's changes."""
    with running_stack(mongo_server, tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def users(stack: Stack) -> list[User]:
    """Registered users whose profiles exist (and so are in the lookup) before the consumer starts."""
    made = [register(stack) for _ in range(USERS)]
    for user in made:
        httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30).raise_for_status()
    return made


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the consumer keeps its cursor, across its restarts."""
    return tmp_path_factory.mktemp("consumer")


@pytest.fixture(scope="module")
def consumer(stack: Stack, users: list[User], state_dir: Path) -> Stack:
    """The consumer, tracking every user, warm (its /health answers 200 only then)."""
    stack.start_consumer([u.id for u in users], state_dir, **CONSUMER_ENV)
    return stack


def view(stack: Stack) -> dict[str, Any]:
    """The consumer's whole state (`GET /cache`)."""
    response = httpx.get(stack.url("consumer", "/cache"), timeout=10)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def cached_picture(stack: Stack, user: User) -> str | None:
    """The secure_url the consumer holds for the user (None: no picture, private, or not cached)."""
    entry = view(stack)["entries"].get(user.id)
    if entry is None or entry["profile"] is None or entry["profile"]["avatar"] is None:
        return None
    url: str = entry["profile"]["avatar"]["secure_url"]
    return url


def new_picture(stack: Stack, user: User, seed: int) -> dict[str, Any]:
    """Upload a picture through the real emulator and wait until it is applied; returns the applied avatar."""
    ticket = sign(stack, user)
    assert upload(ticket, image_bytes(96, 96, seed=seed)).status_code == 200
    avatar: dict[str, Any] = wait_for_status(stack, user, ticket, "applied")["avatar"]
    return avatar


def stored_cursor(path: Path) -> str | None:
    """The cursor the consumer keeps on disk."""
    cursor: str | None = json.loads(path.read_text())["cursor"] if path.exists() else None
    return cursor


def seen_after_applied(stack: Stack, user: User, avatar: dict[str, Any]) -> float:
    """Wait until the consumer holds this picture; seconds from its apply to the consumer first holding it."""
    wait_for(
        f"the consumer to hold {user.username}'s picture", lambda: cached_picture(stack, user) == avatar["secure_url"]
    )
    entry = view(stack)["entries"][user.id]
    return float(entry["avatar_seen_at"]) - datetime.fromisoformat(avatar["updated_at"]).timestamp()


def test_the_warm_cache_holds_every_tracked_profile(consumer: Stack, users: list[User]) -> None:
    state = view(consumer)

    assert state["warmed"] is True
    assert state["started_from"] is None  # a fresh start: no stored cursor
    assert sorted(state["entries"]) == sorted(u.id for u in users)
    for user in users:
        entry = state["entries"][user.id]
        assert entry["reason"] == "warm"
        assert entry["profile"] == {
            "username": user.username,
            "display_name": entry["profile"]["display_name"],
            "avatar": None,
            "visibility": "public",
        }


def test_the_cache_holds_each_users_newest_picture_within_a_second_of_its_apply(
    consumer: Stack, users: list[User]
) -> None:
    def uploads(indexed: tuple[int, User]) -> dict[str, Any]:
        index, user = indexed
        avatars = [new_picture(consumer, user, seed=index * 10 + n) for n in range(UPLOADS_PER_USER)]
        return avatars[-1]

    with ThreadPoolExecutor(max_workers=USERS) as pool:
        newest = list(pool.map(uploads, enumerate(users)))

    delays = {
        user.username: seen_after_applied(consumer, user, avatar) for user, avatar in zip(users, newest, strict=True)
    }
    print(f"\napplied -> held by the consumer, seconds: {delays}")
    assert all(0 <= d < SEEN_WITHIN_SECONDS for d in delays.values()), delays
    kinds = {(e["user_id"], e["kind"]) for e in view(consumer)["recent_events"]}
    assert {(u.id, "avatar_applied") for u in users} <= kinds


def test_a_restarted_consumer_resumes_from_its_cursor_and_sees_what_changed_while_it_was_down(
    consumer: Stack, users: list[User], state_dir: Path
) -> None:
    changed, renamed, hidden, *untouched = users
    cursor_file = state_dir / "cursor.json"
    wait_for("the consumer to have stored its cursor", lambda: stored_cursor(cursor_file) == view(consumer)["cursor"])
    consumer.processes["consumer"].stop()
    stored = stored_cursor(cursor_file)

    avatar = new_picture(consumer, changed, seed=99)
    patched = [
        httpx.patch(consumer.url("profile", "/profiles/me"), json=body, headers=user.headers, timeout=30)
        for user, body in ((renamed, {"display_name": "Renamed While Down"}), (hidden, {"visibility": "private"}))
    ]
    assert [r.status_code for r in patched] == [200, 200], [r.text for r in patched]
    consumer.processes["consumer"].start()

    state = view(consumer)
    assert state["started_from"] == stored  # resumed from the cursor it had stored
    assert cached_picture(consumer, changed) == avatar["secure_url"]
    entries = state["entries"]
    assert entries[renamed.id]["profile"]["display_name"] == "Renamed While Down"
    assert entries[hidden.id]["profile"] == {
        "username": None,
        "display_name": None,
        "avatar": None,
        "visibility": "private",
    }
    # The feed, not only the warm-up lookup, delivered the changes made while it was down...
    wanted = {(changed.id, "avatar_applied"), (renamed.id, "display_name"), (hidden.id, "visibility")}
    wait_for(
        "the consumer to replay the changes made while it was down",
        lambda: wanted <= {(e["user_id"], e["kind"]) for e in view(consumer)["recent_events"]},
    )
    # ...and nothing from before its cursor: the users untouched meanwhile have no event since the restart.
    replayed = {e["user_id"] for e in view(consumer)["recent_events"]}
    assert replayed.isdisjoint(u.id for u in untouched), replayed
    # Following again: a picture applied now is seen within the second.
    assert (
        seen_after_applied(consumer, untouched[0], new_picture(consumer, untouched[0], seed=100)) < SEEN_WITHIN_SECONDS
    )


# A cursor of an event written in 1970 (older than any retention: 410), and one the feed never handed out (400).
@pytest.mark.parametrize("expired", ["1-1000", "not-a-cursor"])
def test_a_consumer_whose_cursor_the_feed_refuses_resyncs_through_the_lookup(
    consumer: Stack, users: list[User], state_dir: Path, expired: str
) -> None:
    user = users[3]
    consumer.processes["consumer"].stop()
    (state_dir / "cursor.json").write_text(json.dumps({"cursor": expired}))
    avatar = new_picture(consumer, user, seed=300)

    consumer.processes["consumer"].start()

    state = wait_for("the consumer to resync", lambda: (v := view(consumer))["counters"]["resyncs"] == 1 and v)
    assert state["started_from"] == expired
    assert state["cursor"] != expired
    assert stored_cursor(state_dir / "cursor.json") == state["cursor"]
    assert {e["reason"] for e in state["entries"].values()} == {"resync"}  # every tracked id looked up again
    assert cached_picture(consumer, user) == avatar["secure_url"]
    # From the feed's head on, it follows again.
    assert seen_after_applied(consumer, user, new_picture(consumer, user, seed=301)) < SEEN_WITHIN_SECONDS


def test_the_consumer_keeps_going_across_a_profile_service_restart(consumer: Stack, users: list[User]) -> None:
    before = view(consumer)["counters"]

    consumer.restart("profile")

    user = users[-1]
    delay = seen_after_applied(consumer, user, new_picture(consumer, user, seed=200))
    assert delay < SEEN_WITHIN_SECONDS, delay
    after = view(consumer)["counters"]
    assert consumer.processes["consumer"].returncode is None
    assert after["feed_requests"] > before["feed_requests"]
    # The service token was renewed before it expired, never after a 401.
    assert after["token_requests"] >= 2, after
    assert after["unauthorized"] == 0, after
    assert server_errors(consumer) == []


def test_a_deleted_account_leaves_the_cache_through_the_feed(consumer: Stack, users: list[User]) -> None:
    user = users[0]
    login = httpx.post(
        consumer.url("auth", "/auth/login"), json={"login": user.username, "password": user.password}, timeout=30
    )
    assert login.status_code == 200, login.text
    fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}  # deletion needs a recent sign-in

    deleted = httpx.delete(consumer.url("auth", "/auth/me"), headers=fresh, timeout=30)

    assert deleted.status_code == 202, deleted.text
    # auth-service's outbox calls profile-service, whose deletion records `account_deleted`; the lookup then
    # lists the user as missing, which the consumer keeps as an entry without a profile.
    entry = wait_for(
        "the consumer to drop the deleted profile",
        lambda: (e := view(consumer)["entries"][user.id])["profile"] is None and e,
        timeout=30,
    )
    assert entry["reason"] == "account_deleted"
