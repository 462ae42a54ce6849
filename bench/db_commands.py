"""Benchmark: MongoDB commands per operation, counted at each service's client
(`mongodb_commands_total{command,collection}` on its `/metrics`, PyMongo's command monitoring, the driver's
handshake left out).

A count, not a time: the same on any machine and any load, so runs compare across machines. Each operation runs
REPS times; its value is the change of the counter from before it to the moment the process is quiet again (so
work it sets off in the background, such as the outbox destroying a superseded asset, counts too), less the
scrape's own commands (profile-service reads its gauges from MongoDB at every scrape). The counts must be the
same every time; a row whose repetitions differ says so in its baseline column and shows the largest.

The stack runs with its periodic loops off (reconciliation, orphan and change sweeps; outboxes poll hourly but are
still woken by the work they get), so nothing but the operation sends commands while it is measured.

Run: `uv run python -m bench.db_commands` (results also in bench/results/db_commands.json).
"""

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.measure import Row, bench_stack, save
from bench.profile_service import notification
from e2e.pipeline import User, faults, image_bytes, notifications, post_webhook, register, sign, upload, wait_for
from e2e.stack import Stack
from profile_service.profiles.freshness import COOKIE

REPS = 4
SETTLE_SECONDS = 0.25  # a process counts as quiet once a read this long after the last shows nothing new
SERIES = "mongodb_commands_total"

QUIET = {
    "profile": {
        "PROFILE_RECONCILE_INTERVAL_SECONDS": "0",
        "PROFILE_ORPHAN_SWEEP_INTERVAL_SECONDS": "0",
        "PROFILE_CHANGE_SWEEP_INTERVAL_SECONDS": "0",
        "PROFILE_OUTBOX_POLL_SECONDS": "3600",
    },
    "auth": {"AUTH_OUTBOX_POLL_SECONDS": "3600"},
}

# Goals (issue 16); operations without one are reported against "-".
GOALS = {
    "sign": 2,
    "webhook apply: new picture": 4,
    "webhook apply: duplicate": 2,
    "GET /profiles/me, existing profile (from MongoDB)": 1,
}


def _label(line: str, name: str) -> str:
    return line.split(f'{name}="', 1)[1].split('"', 1)[0]


def read(stack: Stack, process: str) -> dict[str, int]:
    """The counter by "<command> <collection>" (the collection left out for commands that address none)."""
    text = httpx.get(stack.url(process, "/metrics"), timeout=10).text
    counts: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith(SERIES + "{"):
            key = f"{_label(line, 'command')} {_label(line, 'collection')}".strip()
            counts[key] = int(float(line.rsplit(" ", 1)[1]))
    return counts


def minus(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    """What grew, by command and collection (zeros dropped)."""
    grown = {name: after[name] - before.get(name, 0) for name in after}
    return {name: value for name, value in sorted(grown.items()) if value}


class Counter:
    """Reads one process's counter, knowing what a read itself costs."""

    def __init__(self, stack: Stack, process: str) -> None:
        self.stack, self.process = stack, process
        samples = []
        last = read(stack, process)
        for _ in range(4):
            time.sleep(SETTLE_SECONDS)
            now = read(stack, process)
            samples.append(minus(now, last))
            last = now
        if any(sample != samples[0] for sample in samples):
            raise RuntimeError(f"{process} is not quiet between scrapes: {samples}")
        self.scrape = samples[0]

    def quiet(self, timeout: float = 20.0) -> tuple[dict[str, int], int]:
        """The counter once the process sends nothing more, and how many reads it took (each costs `scrape`)."""
        deadline = time.monotonic() + timeout
        last, reads = read(self.stack, self.process), 1
        while time.monotonic() < deadline:
            time.sleep(SETTLE_SECONDS)
            now = read(self.stack, self.process)
            reads += 1
            if minus(now, last) == self.scrape:
                return now, reads
            last = now
        raise RuntimeError(f"{self.process} never became quiet")

    def around(self, operation: Callable[[], object]) -> dict[str, int]:
        """The commands `operation` costs, background work it started included."""
        before, _ = self.quiet()
        operation()
        after, reads = self.quiet()
        grown = minus(after, before)
        for name, cost in self.scrape.items():
            grown[name] = grown.get(name, 0) - cost * reads
        return {name: value for name, value in grown.items() if value}


def signed_post(stack: Stack, body: dict[str, Any]) -> None:
    """POST a notification signed as Cloudinary signs it; it must be acknowledged."""
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()))
    signature = hashlib.sha1(raw + timestamp.encode() + stack.api_secret.encode()).hexdigest()  # noqa: S324
    response = post_webhook(stack, raw, timestamp, signature)
    response.raise_for_status()


def me(stack: Stack, user: User, *, fresh: bool = False) -> None:
    """`GET /profiles/me`; `fresh`: with the owner's write marker, so it skips the instance's cache."""
    headers = dict(user.headers)
    if fresh:
        headers["Cookie"] = f"{COOKIE}={int(time.time() * 1000) + 60_000}"
    httpx.get(stack.url("profile", "/profiles/me"), headers=headers, timeout=30).raise_for_status()


def one_round(stack: Stack, profile: Counter, auth: Counter, rep: int) -> dict[str, dict[str, int]]:
    """Every operation once, for a new user: the commands each cost, by command and collection."""
    counts: dict[str, dict[str, int]] = {}

    def record(name: str, counter: Counter, operation: Callable[[], object]) -> None:
        counts[name] = counter.around(operation)

    user = register(stack)
    record("GET /profiles/me, first (creates the profile)", profile, lambda: me(stack, user))
    record("GET /profiles/me, existing profile (from MongoDB)", profile, lambda: me(stack, user, fresh=True))
    record(
        "GET /profiles/{username}",
        profile,
        lambda: httpx.get(stack.url("profile", f"/profiles/{user.username}"), timeout=30).raise_for_status(),
    )
    tickets: list[dict[str, Any]] = []
    record("sign", profile, lambda: tickets.append(sign(stack, user)))
    first = notification(tickets[0], rep * 10)
    record("webhook apply: new picture", profile, lambda: signed_post(stack, first))
    record("webhook apply: duplicate", profile, lambda: signed_post(stack, first))
    older, newer = sign(stack, user), sign(stack, user)
    record(
        "webhook apply: replacing a picture (hand-over)",
        profile,
        lambda: signed_post(stack, notification(newer, rep * 10 + 2)),
    )
    record("webhook apply: superseded", profile, lambda: signed_post(stack, notification(older, rep * 10 + 1)))
    # Confirm: the browser forwards Cloudinary's answer because the notifications never came (dropped).
    ticket = sign(stack, user)
    faults(stack, notification_drop=2)  # the upload's and the eager one
    answer = upload(ticket, image_bytes(400, 400, seed=rep)).json()
    wait_for("both notifications dropped", lambda: len(notifications(stack, ticket["public_id"])) >= 2 or None)
    body = {"version": answer["version"], "signature": answer["signature"]}
    record(
        "confirm (notifications dropped)",
        profile,
        lambda: httpx.post(
            stack.url("profile", ticket["status_url"] + "/confirm"), json=body, headers=user.headers, timeout=30
        ).raise_for_status(),
    )
    record(
        "GET /auth/me",
        auth,
        lambda: httpx.get(stack.url("auth", "/auth/me"), headers=user.headers, timeout=30).raise_for_status(),
    )
    login = httpx.post(
        stack.url("auth", "/auth/login"), json={"login": user.username, "password": user.password}, timeout=30
    )
    login.raise_for_status()
    refresh_token = login.cookies["refresh_token"]
    record(
        "POST /auth/refresh (rotation)",
        auth,
        lambda: httpx.post(
            stack.url("auth", "/auth/refresh"), headers={"Cookie": f"refresh_token={refresh_token}"}, timeout=30
        ).raise_for_status(),
    )
    return counts


def measure(stack: Stack) -> dict[str, list[dict[str, int]]]:
    """Every operation REPS times: the commands each repetition cost, by command and collection."""
    profile, auth = Counter(stack, "profile"), Counter(stack, "auth")
    # A first round, not counted, does one-time work (the first change creates the change feed's counter).
    one_round(stack, profile, auth, 0)
    runs: dict[str, list[dict[str, int]]] = {}
    for rep in range(1, REPS + 1):
        for name, counts in one_round(stack, profile, auth, rep).items():
            runs.setdefault(name, []).append(counts)
    return runs


def rows_of(runs: dict[str, list[dict[str, int]]]) -> list[Row]:
    """One row per operation: commands (the largest repetition), goal as the baseline."""
    rows = []
    for name, reps in runs.items():
        totals = [sum(rep.values()) for rep in reps]
        goal = GOALS.get(name)
        baseline = f"goal <= {goal}" if goal is not None else "-"
        if len(set(totals)) > 1:
            baseline += f"; VARIED {totals}"
        process = "auth" if "/auth/" in name else "profile"
        rows.append(
            Row(
                name=f"db commands {process}: {name}",
                value=float(max(totals)),
                unit="commands",
                baseline=baseline,
                extra={"by_command": reps[-1], "totals": totals},
            )
        )
    return rows


def main() -> list[Row]:
    """Start everything, count, save; stops every process it started. Returns the table rows."""
    with bench_stack(lambda _: QUIET) as stack:
        runs = measure(stack)
    rows = rows_of(runs)
    save("db_commands", {"runs": runs, "rows": rows})
    for row in rows:
        print(f"{row.name}: {row.extra['by_command']}")
    return rows


if __name__ == "__main__":
    from bench.measure import table

    print(table(main()))
