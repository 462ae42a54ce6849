"""20 users x 5 uploads at once, with the emulator duplicating and reordering notifications: every profile ends
on its newest upload, and once the outbox drains the emulator holds exactly one avatar per user."""

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from devstack.mongo import MongoServer
from e2e.conftest import running_stack
from e2e.pipeline import (
    User,
    faults,
    image_bytes,
    notifications,
    profile,
    register,
    resources,
    sign,
    upload,
    wait_for,
)
from e2e.stack import Stack

USERS = 20
UPLOADS_PER_USER = 5


@pytest.fixture(scope="module")
def busy(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack with a brisk outbox."""
    env = {
        "profile": {"PROFILE_OUTBOX_POLL_SECONDS": "0.2", "PROFILE_OUTBOX_BACKOFF_SECONDS": "0.2"},
        "emulator": {"EMULATOR_NOTIFICATION_TIME_SCALE": "0.002"},
    }
    with running_stack(mongo_server, tmp_path_factory, **env) as running:
        yield running


def test_concurrent_uploads_with_duplicated_reordered_notifications_end_on_the_newest(busy: Stack) -> None:
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        users = list(pool.map(lambda _: register(busy), range(USERS)))
        # Each user signs in order (that order defines "newest"); users sign in parallel.
        tickets: dict[str, list[dict[str, Any]]] = dict(
            zip(
                (u.id for u in users),
                pool.map(lambda u: [sign(busy, u) for _ in range(UPLOADS_PER_USER)], users),
                strict=True,
            )
        )
    faults(busy, notification_duplicate=USERS * UPLOADS_PER_USER, notification_reorder=True)
    jobs = [(ticket, seed) for seed, ticket in enumerate(t for user_tickets in tickets.values() for t in user_tickets)]
    random.Random(5).shuffle(jobs)  # noqa: S311 - an upload order, not a secret
    picture = {seed: image_bytes(160, 160, seed=seed) for _, seed in jobs}

    def post(job: tuple[dict[str, Any], int]) -> int:
        return upload(job[0], picture[job[1]]).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        assert set(pool.map(post, jobs)) == {200}

    newest = {user_id: user_tickets[-1]["public_id"] for user_id, user_tickets in tickets.items()}

    def settled(user: User) -> bool:
        avatar = profile(busy, user)["avatar"]
        return avatar is not None and avatar["public_id"] == newest[user.id]

    wait_for("every profile on its newest upload", lambda: all(settled(u) for u in users), timeout=90, interval=0.5)

    def one_avatar_each() -> bool:
        held = resources(busy, "profiles/")
        return sorted(held) == sorted(newest.values())

    wait_for("the outbox to destroy every older upload", one_avatar_each, timeout=60, interval=0.5)
    log = notifications(busy)
    assert sum(1 for n in log if n["duplicate"]) >= USERS, "the emulator did not duplicate notifications"
    for user in users:
        statuses = [
            httpx.get(busy.url("profile", t["status_url"]), headers=user.headers, timeout=30).json()["status"]
            for t in tickets[user.id]
        ]
        assert statuses == ["superseded"] * (UPLOADS_PER_USER - 1) + ["applied"], statuses
