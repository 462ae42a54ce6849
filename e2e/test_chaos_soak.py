"""Chaos soak: many uploads from many users through the real processes while the emulator duplicates 10%,
reorders 10% and drops 5% of notifications, answers 5% of destroys with a 5xx, and MongoDB is stopped and
restarted once mid-run. Afterwards every profile shows its newest upload, no intent is pending, the emulator
holds exactly one avatar per user (no orphans, nothing lost) and neither service logged a 500.

The same soak runs once more with moderation on (`PROFILE_MODERATION=manual`): a scripted admin approves the
uploads in the review queue through the admin route, rejecting every tenth, while a sampler reads the public
views throughout. Afterwards every profile shows its newest approved upload, nothing awaits review, the emulator
holds exactly those pictures (rejected and superseded ones destroyed), and no sampled public view ever showed a
picture before its approval was asked for, nor a rejected one.

`make test` runs the short forms (100 uploads from 10 users, then 60 from 6 with moderation). The full forms
(1,000 uploads from 50 users, each way) are collected only with `SOAK=1` (`make soak`).
"""

import itertools
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
from e2e.admin import make_admin
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
    "emulator": {"EMULATOR_NOTIFICATION_TIME_SCALE": "0.07"},
}
CHAOS = {
    "notification_duplicate_percent": 10,
    "notification_reorder_percent": 10,
    "notification_drop_percent": 5,
    "destroy_failure_percent": 5,
}


MODERATED_ENV = {**ENV, "profile": {**ENV["profile"], "PROFILE_MODERATION": "manual"}}
REJECT_EVERY = 10  # the scripted admin rejects every tenth upload it decides


@pytest.fixture
def chaotic(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack with short-lived upload parameters, a one-second reconciliation loop and a brisk outbox; one per
    soak, since each counts every asset its emulator holds (the short soak's avatars are the full one's orphans)."""
    with running_stack(mongo_server, tmp_path_factory, **ENV) as running:
        yield running


@pytest.fixture
def moderated(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The soak's stack with every upload signed for manual moderation."""
    with running_stack(mongo_server, tmp_path_factory, **MODERATED_ENV) as running:
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


@dataclass
class ScriptedAdmin:
    """Works through the review queue (`GET /admin/moderation?status=pending`, oldest first) in a thread, approving
    each upload through the admin route and rejecting every tenth; a 503 or a refused connection (MongoDB down,
    the emulator failing) is retried on the next pass."""

    stack: Stack
    admin: User
    decisions: dict[str, str] = field(default_factory=dict)  # upload id -> "approve" | "reject", once answered 200
    asked_at: dict[str, float] = field(default_factory=dict)  # upload id -> when the decision was first sent
    choice: dict[str, str] = field(default_factory=dict)  # upload id -> the decision fixed when first asked for
    retries: int = 0
    conflicts: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def decided(self) -> set[str]:
        """The uploads decided so far (read from another thread)."""
        with self.lock:
            return set(self.decisions)

    def run(self) -> None:
        """Decide until stopped; a wrong answer is kept in `failures` (asserted by the soak). A decision whose
        answer was lost (a 503, a refused connection) is sent again on the next pass, queued or not: the service
        may have carried it out before failing to answer, and then the upload is no longer in the queue."""
        with httpx.Client(timeout=30, headers=self.admin.headers) as http:
            while not self.stop.is_set():
                answered = len(self.decisions)
                try:
                    unanswered = [upload_id for upload_id in self.asked_at if upload_id not in self.decisions]
                    queue = unanswered + [upload_id for upload_id in self._queue(http) if upload_id not in unanswered]
                    for upload_id in queue:
                        self._decide(http, upload_id)
                except httpx.TransportError:
                    pass
                except AssertionError as exc:
                    self.failures.append(str(exc))
                    return
                if len(self.decisions) == answered:
                    self.stop.wait(0.2)  # nothing to decide, or nothing answering: not a busy loop

    def _queue(self, http: httpx.Client) -> list[str]:
        ids: list[str] = []
        cursor: str | None = None
        while True:
            params = {"status": "pending", "limit": "100", **({"cursor": cursor} if cursor else {})}
            response = http.get(self.stack.url("profile", "/admin/moderation"), params=params)
            if response.status_code == 503:
                self.retries += 1
                return ids
            assert response.status_code == 200, f"queue: {response.status_code} {response.text}"
            page = response.json()
            ids += [item["upload_id"] for item in page["items"] if item["upload_id"] not in self.decisions]
            cursor = page["next_cursor"]
            if not cursor:
                return ids

    def _decide(self, http: httpx.Client, upload_id: str) -> None:
        decision = self.asked_for(upload_id)
        body = {"reason": "Scripted rejection"} if decision == "reject" else None
        response = http.post(self.stack.url("profile", f"/admin/moderation/{upload_id}/{decision}"), json=body)
        if response.status_code == 503:
            self.retries += 1
            return
        if response.status_code == 409:  # no longer under moderation (decided meanwhile): reported, not repeated
            self.conflicts.append(upload_id)
            with self.lock:
                self.decisions[upload_id] = "conflict"
            return
        assert response.status_code == 200, f"{decision} {upload_id}: {response.status_code} {response.text}"
        with self.lock:
            self.decisions[upload_id] = decision

    def asked_for(self, upload_id: str) -> str:
        """The decision for an upload, fixed the first time it is asked for (every tenth is a rejection)."""
        if upload_id not in self.asked_at:
            self.asked_at[upload_id] = time.monotonic()
            self.choice[upload_id] = "reject" if len(self.choice) % REJECT_EVERY == REJECT_EVERY - 1 else "approve"
        return self.choice[upload_id]


@dataclass
class PublicSampler:
    """Reads the public view of every user, round robin, in a thread, keeping what each answer said and when it
    arrived (an answer may only show a picture whose approval had been asked for by then)."""

    stack: Stack
    people: list[User]
    samples: list[tuple[float, str, str]] = field(default_factory=list)  # (arrived, user id, body)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Sample until stopped; 503s and refused connections (the outage) are skipped."""
        turns = itertools.cycle(self.people)
        with httpx.Client(timeout=30) as http:
            while not self.stop.is_set():
                user = next(turns)
                try:
                    response = http.get(self.stack.url("profile", f"/profiles/{user.username}"))
                except httpx.TransportError:
                    continue
                if response.status_code == 200:
                    self.samples.append((time.monotonic(), user.id, response.text))
                self.stop.wait(0.05)


def _public_violations(
    sampler: PublicSampler, scripted: ScriptedAdmin, tickets: dict[str, list[dict[str, Any]]]
) -> list[str]:
    """Samples that showed a picture whose approval had not yet been asked for, or a rejected one."""
    found = []
    for arrived, user_id, body in sampler.samples:
        for ticket in tickets[user_id]:
            if ticket["public_id"] not in body:
                continue
            upload_id = ticket["upload_id"]
            asked = scripted.asked_at.get(upload_id)
            if asked is None or asked > arrived or scripted.choice.get(upload_id) != "approve":
                found.append(f"{upload_id} ({scripted.choice.get(upload_id, 'undecided')}) public at {arrived:.2f}")
    return found


def _undecided(stack: Stack, run: Soak, people: list[User], scripted: ScriptedAdmin) -> list[str]:
    """Each upload the scripted admin has not decided, with what its status route says of it (the failure's story)."""
    by_id = {user.id: user for user in people}
    decided = scripted.decided()
    found = []
    with httpx.Client(timeout=30) as http:
        for user_id, tickets in run.tickets.items():
            for index, ticket in enumerate(tickets):
                if ticket["upload_id"] in decided:
                    continue
                answer = http.get(stack.url("profile", ticket["status_url"]), headers=by_id[user_id].headers)
                asked = "asked" if ticket["upload_id"] in scripted.asked_at else "never asked"
                said = f"{answer.status_code} {answer.text}"
                found.append(f"{ticket['upload_id']} (#{index} of its user, {asked}): {said}")
    return found


def soak(stack: Stack, mongo_server: MongoServer, users: int, uploads: int, moderation: bool = False) -> None:
    """Run the soak and assert its outcome; prints the counts. With `moderation`, a scripted admin decides every
    upload and a sampler watches the public views."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=min(users, 16)) as pool:
        people = list(pool.map(lambda _: register(stack), range(users)))
    for user in people:  # profile created; the token's key cached before MongoDB goes away
        assert httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30).status_code == 200
    per_user = uploads // users
    run = Soak(tickets={u.id: [] for u in people})
    helpers: list[threading.Thread] = []
    scripted: ScriptedAdmin | None = None
    sampler: PublicSampler | None = None
    if moderation:
        scripted = ScriptedAdmin(stack, make_admin(stack))
        sampler = PublicSampler(stack, people)
        helpers = [threading.Thread(target=x.run, daemon=True) for x in (scripted, sampler)]
        for helper in helpers:
            helper.start()
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
        profile_process = stack.processes["profile"]
        try:
            wait_for("profile /ready to see the outage", lambda: not profile_process.answers("/ready"), timeout=30)
        finally:
            restore()
        wait_for("profile /ready after the restart", lambda: profile_process.answers("/ready"), timeout=60)
        for future in futures:
            future.result(timeout=600)
    uploaded_seconds = time.monotonic() - started

    by_id = {u.id: u for u in people}
    settle = 120 + uploads / 10
    if scripted is not None:
        # Every upload reaches the queue (dropped notifications through reconciliation) and gets decided.
        signed = {t["upload_id"] for tickets in run.tickets.values() for t in tickets}
        try:
            wait_for(
                "the scripted admin to decide every upload",
                lambda: scripted.failures or signed <= scripted.decided(),
                settle,
                0.5,
            )
        except AssertionError as timed_out:
            raise AssertionError(f"{timed_out}; undecided: {_undecided(stack, run, people, scripted)}") from None
        assert not scripted.failures, scripted.failures
    # The newest upload per user; with moderation, the newest approved one (or none).
    newest: dict[str, str | None] = {}
    for user_id, tickets in run.tickets.items():
        approved = [t for t in tickets if scripted is None or scripted.decisions.get(t["upload_id"]) == "approve"]
        newest[user_id] = approved[-1]["public_id"] if approved else None

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
    wait_for("no intent pending", lambda: metric(stack, "profile_upload_intents", 'status="pending"') == 0, settle, 0.5)
    wait_for("every profile on its newest upload", lambda: all(shown(u) == newest[u.id] for u in people), settle, 0.5)
    wait_for("the outbox to drain", lambda: metric(stack, "profile_outbox_depth") == 0, settle, 0.5)
    for helper_object in (scripted, sampler):
        if helper_object is not None:
            helper_object.stop.set()
    for helper in helpers:
        helper.join(timeout=60)
    held = resources(stack, "profiles/")
    wanted = {public_id for public_id in newest.values() if public_id is not None}
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
    violations: list[str] = []
    if scripted is not None and sampler is not None:
        violations = _public_violations(sampler, scripted, run.tickets)
        summary |= {
            "approved": sum(1 for d in scripted.decisions.values() if d == "approve"),
            "rejected": sum(1 for d in scripted.decisions.values() if d == "reject"),
            "decisions_retried": scripted.retries,
            "decisions_conflicting": len(scripted.conflicts),
            "public_views_sampled": len(sampler.samples),
            "public_views_showing_unapproved": len(violations),
        }
    print("\nchaos soak:", summary)
    assert not errors, "\n".join(errors[:10])
    assert dropped > 0, "the drop fault never fired: the soak proved nothing about it"
    assert duplicated > 0, "the duplicate fault never fired"
    assert orphans == [] and lost == [], {"orphans": orphans, "lost": lost}
    assert summary["outbox_dead_letters"] == 0
    if scripted is None:
        assert len(held) == users
        assert final == Counter({"applied": users, "superseded": uploads - users}), final
        return
    assert violations == [], violations[:10]
    assert sampler is not None
    looked = Counter(user_id for _, user_id, _ in sampler.samples)
    assert all(looked[u.id] >= 3 for u in people), f"the sampler hardly looked: {looked}"
    rejected = summary["rejected"]
    assert rejected > 0 and scripted.conflicts == [], (rejected, scripted.conflicts)
    live = len(wanted)
    assert final == Counter({"applied": live, "rejected": rejected, "superseded": uploads - live - rejected}), final


def test_chaos_soak_short(chaotic: Stack, mongo_server: MongoServer) -> None:
    soak(chaotic, mongo_server, users=10, uploads=100)


def test_chaos_soak_with_moderation_short(moderated: Stack, mongo_server: MongoServer) -> None:
    soak(moderated, mongo_server, users=6, uploads=60, moderation=True)


if os.environ.get("SOAK") == "1":

    def test_chaos_soak_full(chaotic: Stack, mongo_server: MongoServer) -> None:
        soak(chaotic, mongo_server, users=50, uploads=1000)

    def test_chaos_soak_with_moderation_full(moderated: Stack, mongo_server: MongoServer) -> None:
        soak(moderated, mongo_server, users=50, uploads=1000, moderation=True)
