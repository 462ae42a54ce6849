"""Two profile-service processes against one database, one emulator and one auth-service, as behind a load
balancer: every notification is delivered to both instances at once, several times, and both outbox workers
run. No notification is applied twice (the instances' outcome counters add up to one apply per upload, and
each profile ends on its newest upload) and no asset is destroyed twice (the emulator's destroy log holds
each replaced public_id exactly once, and never a picture a profile shows). And an owner who saved through
one instance reads that through the other at once, though it cached their profile just before."""

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from devstack.mongo import MongoServer, free_port
from devstack.processes import ServerProcess
from e2e.conftest import running_stack
from e2e.evidence import destroys, metric, server_errors
from e2e.pipeline import User, faults, image_bytes, notifications, profile, register, resources, sign, upload, wait_for
from e2e.stack import ARTIFACTS, Stack

USERS = 6
UPLOADS_PER_USER = 4
COPIES_PER_INSTANCE = 3
INSTANCES = ("profile", "profile-b")
FAST_OUTBOX = {"PROFILE_OUTBOX_POLL_SECONDS": "0.1", "PROFILE_OUTBOX_BACKOFF_SECONDS": "0.2"}


@pytest.fixture(scope="module")
def pair(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack plus a second profile-service process with the same configuration on another port."""
    with running_stack(mongo_server, tmp_path_factory, profile=FAST_OUTBOX) as running:
        running.ports["profile-b"] = free_port()
        second = ServerProcess(
            name="profile-b",
            args=[sys.executable, "-m", "profile_service"],
            env={**running.environments()["profile"], **FAST_OUTBOX, "PROFILE_PORT": str(running.ports["profile-b"])},
            base_url=running.url("profile-b"),
            log_path=ARTIFACTS / f"{running.run_id}-profile-b.log",
        )
        running.processes["profile-b"] = second.start(until="/ready")  # stopped with the stack
        yield running


def deliver_to_both(stack: Stack, note: dict[str, Any]) -> list[int]:
    """POST one logged notification (exact signed bytes) COPIES_PER_INSTANCE times to each instance, all at once."""
    targets = [name for name in INSTANCES for _ in range(COPIES_PER_INSTANCE)]
    start = threading.Barrier(len(targets))
    headers = {
        "Content-Type": "application/json",
        "X-Cld-Timestamp": str(note["timestamp"]),
        "X-Cld-Signature": note["signature"],
    }

    def post(name: str) -> int:
        start.wait(10)
        return httpx.post(
            stack.url(name, "/webhooks/cloudinary"), content=note["body"].encode(), headers=headers, timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        return list(pool.map(post, targets))


def outcomes(stack: Stack, outcome: str) -> float:
    """Webhook applies with this outcome, summed over both instances."""
    return sum(
        metric(stack, "profile_upload_outcomes_total", f'outcome="{outcome}"', process=name) for name in INSTANCES
    )


def test_two_instances_apply_each_notification_once_and_destroy_each_asset_once(pair: Stack) -> None:
    # The emulator logs each notification (exact body and signature) but sends none: the test delivers them.
    faults(pair, notification_drop_percent=100)
    users = [register(pair) for _ in range(USERS)]
    applied_before = outcomes(pair, "applied")

    def one_user(user: User) -> list[str]:
        public_ids = []
        for n in range(UPLOADS_PER_USER):
            ticket = sign(pair, user)
            assert upload(ticket, image_bytes(96, 96, seed=n)).status_code == 200
            public_id = ticket["public_id"]

            def logged(public_id: str = public_id) -> dict[str, Any] | None:
                return next((x for x in notifications(pair, public_id) if x["notification_type"] == "upload"), None)

            note = wait_for(f"the notification of {public_id}", logged)
            assert deliver_to_both(pair, note) == [200] * (2 * COPIES_PER_INSTANCE)
            public_ids.append(public_id)
        return public_ids

    with ThreadPoolExecutor(max_workers=USERS) as pool:
        uploaded = dict(zip((u.id for u in users), pool.map(one_user, users), strict=True))

    newest = {user_id: ids[-1] for user_id, ids in uploaded.items()}
    replaced = {public_id for ids in uploaded.values() for public_id in ids[:-1]}
    for user in users:
        assert profile(pair, user)["avatar"]["public_id"] == newest[user.id]
    # Every copy after the first answered "already applied": one apply per upload across both instances.
    assert outcomes(pair, "applied") - applied_before == USERS * UPLOADS_PER_USER
    assert outcomes(pair, "superseded") == 0

    wait_for("the outbox to drain", lambda: metric(pair, "profile_outbox_depth") == 0, timeout=60, interval=0.3)
    wait_for(
        "one asset per user at the emulator",
        lambda: sorted(resources(pair, "profiles/")) == sorted(newest.values()),
        timeout=60,
        interval=0.3,
    )
    destroyed = destroys(pair.processes["emulator"].log_path)
    twice = {public_id: count for public_id, count in destroyed.items() if count > 1}
    assert twice == {}, f"destroyed more than once: {twice}"
    assert set(destroyed) == replaced
    workers = {name: metric(pair, "profile_outbox_destroys_total", 'result="ok"', process=name) for name in INSTANCES}
    assert sum(workers.values()) == len(replaced), workers
    print(f"\ntwo instances: {len(replaced)} destroys split {workers}; {USERS * UPLOADS_PER_USER} uploads applied once")
    assert server_errors(pair, ("auth", *INSTANCES)) == []


def test_an_owner_reads_their_own_write_through_the_other_instance(pair: Stack) -> None:
    user = register(pair)
    me_on_b = pair.url("profile-b", "/profiles/me")
    with httpx.Client(headers=user.headers, timeout=30) as browser:  # keeps cookies across both, as one site
        browser.get(me_on_b).raise_for_status()  # creates the profile
        assert browser.get(me_on_b).json()["bio"] == ""  # now in instance B's cache

        saved = browser.patch(pair.url("profile", "/profiles/me"), json={"bio": "saved on A"})

        assert saved.status_code == 200
        # B saw no write: a client without A's answer still gets B's cached copy (up to a second old)...
        assert httpx.get(me_on_b, headers=user.headers, timeout=30).json()["bio"] == ""
        # ...but the owner, who carries the write marker A set, reads what they saved.
        assert browser.get(me_on_b).json()["bio"] == "saved on A"
