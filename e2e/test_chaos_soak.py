"""Chaos soak: many uploads from many users through the real processes while the emulator duplicates 10%,
reorders 10% and drops 5% of notifications, answers 5% of destroys with a 5xx, and MongoDB is stopped and
restarted once mid-run. Afterwards every profile shows its newest upload, no intent is pending, the emulator
holds exactly one avatar per user (no orphans, nothing lost) and neither service logged a 500.

`make test` runs the short form (100 uploads from 10 users). The full form (1,000 uploads from 50 users) is
collected only with `SOAK=1` (`make soak`).
"""

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from devstack.mongo import MongoServer
from e2e.conftest import running_stack
from e2e.evidence import mapped_to_503, metric, server_errors
from e2e.pipeline import User, faults, image_bytes, notifications, register, resources, upload, wait_for
from e2e.stack import Stack

TTL_SECONDS = 10  # a dropped notification is reconciled this long (+ one loop interval) after signing
ENV = {
    "profile": {
        "PROFILE_UPLOAD_TTL_SECONDS": str(TTL_SECONDS),
        "PROFILE_UPLOAD_GRACE_SECONDS": "0",
        "PROFILE_RECONCILE_INTERVAL_SECONDS": "1",
        "PROFILE_OUTBOX_POLL_SECONDS": "0.2",
        "PROFILE_OUTBOX_BACKOFF_SECONDS": "0.2",
        "PROFILE_OUTBOX_BACKOFF_MAX_SECONDS": "2",
        "PROFILE_OUTBOX_MAX_ATTEMPTS": "20",
        "PROFILE_MONGODB_TIMEOUT_MS": "1000",
        # The soak is about resilience, not quotas (profile-service/tests/integration/test_quota.py): uploads whose
        # notification was dropped stay pending until reconciled, and the full form signs 20 per user.
        "PROFILE_MAX_OPEN_UPLOADS": "1000",
        "PROFILE_MAX_UPLOADS_PER_HOUR": "1000",
    },
    "emulator": {"EMULATOR_NOTIFICATION_BACKOFF": "0.3", "EMULATOR_NOTIFICATION_RETRIES": "7"},
}
CHAOS = {
    "notification_duplicate_percent": 10,
    "notification_reorder_percent": 10,
    "notification_drop_percent": 5,
    "destroy_failure_percent": 5,
}


@pytest.fixture
def chaotic(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack with short-lived upload parameters, a one-second reconciliation loop and a brisk outbox; one per
    soak, since each counts every asset its emulator holds (the short soak's avatars are the full one's orphans)."""
    with running_stack(mongo_server, tmp_path_factory, **ENV) as running:
        yield running


@dataclass
class Soak:
    """What the run did, for the assertions and the printed summary."""

    tickets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # user id -> signed, in order
    sign_retries: int = 0
    uploads_done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    halfway: threading.Event = field(default_factory=threading.Event)


def _sign_with_retries(stack: Stack, user: User, soak: Soak) -> dict[str, Any]:
    """Sign as a browser does: a 503 (MongoDB down) or a refused connection is retried until a deadline."""
    deadline = time.monotonic() + 60
    while True:
        try:
            response = httpx.post(stack.url("profile", "/profiles/me/avatar/uploads"), headers=user.headers, timeout=30)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 201:
            ticket: dict[str, Any] = response.json()
            return ticket
        assert response is None or response.status_code == 503, response.text
        assert time.monotonic() < deadline, "signing did not recover within 60 s"
        with soak.lock:
            soak.sign_retries += 1
        time.sleep(0.2)


def _outage(stack: Stack, mongo_server: MongoServer) -> Callable[[], None]:
    """Stop MongoDB (or, when it is external, cut the profile service off from it); returns the restore."""
    if mongo_server.can_restart:
        mongo_server.kill()
        return mongo_server.restart
    process = stack.processes["profile"]
    process.stop()
    process.env = {**process.env, "MONGODB_URI": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=500"}
    process.start()

    def restore() -> None:
        process.stop()
        process.env = {**process.env, "MONGODB_URI": stack.mongodb_uri}
        process.start()

    return restore


def _ready(stack: Stack, name: str) -> bool:
    try:
        return httpx.get(stack.url(name, "/ready"), timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def soak(stack: Stack, mongo_server: MongoServer, users: int, uploads: int) -> None:
    """Run the soak and assert its outcome; prints the counts."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=min(users, 16)) as pool:
        people = list(pool.map(lambda _: register(stack), range(users)))
    for user in people:  # profile created; the token's key cached before MongoDB goes away
        assert httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30).status_code == 200
    per_user = uploads // users
    run = Soak(tickets={u.id: [] for u in people})
    faults(stack, **CHAOS)

    def one_user(index: int) -> None:
        user = people[index]
        for n in range(per_user):
            ticket = _sign_with_retries(stack, user, run)
            run.tickets[user.id].append(ticket)
            response = upload(ticket, image_bytes(96, 96, seed=index * per_user + n))
            assert response.status_code == 200, response.text
            with run.lock:
                run.uploads_done += 1
                if run.uploads_done * 2 >= uploads:
                    run.halfway.set()

    with ThreadPoolExecutor(max_workers=users) as pool:
        futures = [pool.submit(one_user, i) for i in range(users)]
        assert run.halfway.wait(timeout=300), "half of the uploads did not happen within 300 s"
        restore = _outage(stack, mongo_server)
        try:
            wait_for("profile /ready to see the outage", lambda: not _ready(stack, "profile"), timeout=30)
        finally:
            restore()
        wait_for("profile /ready after the restart", lambda: _ready(stack, "profile"), timeout=60)
        for future in futures:
            future.result(timeout=600)
    uploaded_seconds = time.monotonic() - started

    newest = {user_id: tickets[-1]["public_id"] for user_id, tickets in run.tickets.items()}
    by_id = {u.id: u for u in people}

    def shown(user: User) -> str | None:
        response = httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30)
        assert response.status_code == 200, response.text
        avatar = response.json()["avatar"]
        return None if avatar is None else str(avatar["public_id"])

    def statuses() -> Counter[str]:
        counts: Counter[str] = Counter()
        with httpx.Client(timeout=30) as http:
            for user_id, tickets in run.tickets.items():
                for ticket in tickets:
                    answer = http.get(stack.url("profile", ticket["status_url"]), headers=by_id[user_id].headers)
                    assert answer.status_code == 200, answer.text
                    counts[answer.json()["status"]] += 1
        return counts

    # Dropped notifications are picked up by reconciliation once their parameters lapse (TTL + a loop).
    settle = 120 + uploads / 10
    wait_for("no intent pending", lambda: metric(stack, "profile_upload_intents", 'status="pending"') == 0, settle, 0.5)
    wait_for("every profile on its newest upload", lambda: all(shown(u) == newest[u.id] for u in people), settle, 0.5)
    wait_for("the outbox to drain", lambda: metric(stack, "profile_outbox_depth") == 0, settle, 0.5)
    held = resources(stack, "profiles/")
    wanted = set(newest.values())
    orphans, lost = sorted(set(held) - wanted), sorted(wanted - set(held))
    final = statuses()
    log = notifications(stack)
    errors = server_errors(stack)
    dropped = sum(1 for n in log if n["status"] == "dropped")
    duplicated = sum(1 for n in log if n["duplicate"])
    summary: dict[str, Any] = {
        "users": users,
        "uploads": sum(len(t) for t in run.tickets.values()),
        "seconds_to_upload": round(uploaded_seconds, 1),
        "mongodb_outage": "killed and restarted" if mongo_server.can_restart else "profile-service cut off",
        "sign_retries_during_outage": run.sign_retries,
        "notifications": len(log),
        "notifications_dropped": dropped,
        "notifications_duplicated": duplicated,
        "notification_attempts_answered_503": sum(1 for n in log for a in n["attempts"] if a.get("status_code") == 503),
        "intent_statuses": dict(final),
        "profiles_on_newest": sum(1 for u in people if shown(u) == newest[u.id]),
        "assets_held": len(held),
        "orphans": len(orphans),
        "lost_pictures": len(lost),
        "outbox_dead_letters": metric(stack, "profile_outbox_dead_letters"),
        "destroys_failed_by_emulator": metric(stack, "profile_outbox_destroys_total", 'result="retry"'),
        "service_500s": len(errors),
        "tracebacks_logged_for_503s": mapped_to_503(stack),
    }
    print("\nchaos soak:", summary)
    assert not errors, "\n".join(errors[:10])
    assert dropped > 0, "the drop fault never fired: the soak proved nothing about it"
    assert duplicated > 0, "the duplicate fault never fired"
    assert orphans == [] and lost == [], {"orphans": orphans, "lost": lost}
    assert len(held) == users
    assert final == Counter({"applied": users, "superseded": uploads - users}), final
    assert summary["outbox_dead_letters"] == 0


def test_chaos_soak_short(chaotic: Stack, mongo_server: MongoServer) -> None:
    soak(chaotic, mongo_server, users=10, uploads=100)


if os.environ.get("SOAK") == "1":

    def test_chaos_soak_full(chaotic: Stack, mongo_server: MongoServer) -> None:
        soak(chaotic, mongo_server, users=50, uploads=1000)
