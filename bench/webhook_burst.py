"""Benchmark: Cloudinary notifications at a burst, applied per second beside the bare `GET /health`, and checked.

Two shapes, each a row:
- 50 users, 50 notifications in flight: one sender per user, each sending its user's uploads in signing order
  (a migration, retries after an outage, a popular launch: many users at once).
- 5 users x 10 uploads, all 50 in flight at once and shuffled (contention on one profile; out of order, so most
  are superseded by a newer one of the same user).

Notifications are signed as Cloudinary signs them and each sent once, by an httpx async client (wrk cannot keep
one user's notifications in order on one connection). applied/s = notifications answered ÷ the phase's wall time
(each answered 2xx only once its outcome is stored); p50/p99 are the webhook's latency. Afterwards every profile
must show its newest upload, every upload must be `applied` (the newest) or `superseded` (the rest), and every
notification must have been answered 200: otherwise the run raises.

`BENCH_PYSPY=DIR`: record the profile-service process with py-spy during the 50-user phase (`DIR/webhook.txt`,
collapsed stacks: one line per distinct stack with its sample count).

Run: `uv run python -m bench.webhook_burst` (results also in bench/results/webhook_burst.json).
"""

import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from bench.measure import Row, bench_stack, percentile, save, wrk
from bench.profile_service import notification
from e2e.pipeline import User, register
from e2e.stack import Stack
from profile_service.profiles.freshness import COOKIE

IN_FLIGHT = 50
SPREAD_USERS, SPREAD_UPLOADS = 50, 8  # 400 notifications, one sender per user
HOT_USERS, HOT_UPLOADS, HOT_WAVES = 5, 10, 4  # 4 waves of 50 at once


def sign_many(stack: Stack, users: list[User], per_user: int) -> list[list[dict[str, Any]]]:
    """`per_user` tickets for each user, in signing order (so the last one is the newest)."""
    with httpx.Client(timeout=30) as http:
        tickets: list[list[dict[str, Any]]] = [[] for _ in users]
        for _ in range(per_user):
            for index, user in enumerate(users):
                response = http.post(stack.url("profile", "/profiles/me/avatar/uploads"), headers=user.headers)
                response.raise_for_status()
                tickets[index].append(response.json())
        return tickets


def signed(stack: Stack, ticket: dict[str, Any], index: int) -> tuple[bytes, dict[str, str]]:
    """The notification's exact bytes and headers."""
    raw = json.dumps(notification(ticket, index)).encode()
    timestamp = str(int(time.time()))
    signature = hashlib.sha1(raw + timestamp.encode() + stack.api_secret.encode()).hexdigest()  # noqa: S324
    headers = {"content-type": "application/json", "X-Cld-Timestamp": timestamp, "X-Cld-Signature": signature}
    return raw, headers


async def send_all(stack: Stack, lanes: list[list[tuple[bytes, dict[str, str]]]]) -> tuple[float, list[float]]:
    """Each lane's notifications one after another, all lanes at once; (wall seconds, latencies in ms)."""
    latencies: list[float] = []
    url = stack.url("profile", "/webhooks/cloudinary")
    limits = httpx.Limits(max_connections=len(lanes), max_keepalive_connections=len(lanes))
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def lane(notes: list[tuple[bytes, dict[str, str]]]) -> None:
            for raw, headers in notes:
                started = time.perf_counter()
                response = await http.post(url, content=raw, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"webhook answered {response.status_code}: {response.text}")

        await http.get(stack.url("profile", "/health"))  # a connection up before the clock starts
        started = time.perf_counter()
        await asyncio.gather(*(lane(notes) for notes in lanes))
        return time.perf_counter() - started, latencies


def check(stack: Stack, users: list[User], tickets: list[list[dict[str, Any]]]) -> dict[str, int]:
    """Every profile shows its newest upload; every upload is applied (the newest) or superseded; raises if not."""
    outcome: dict[str, int] = {}
    just_wrote = f"{COOKIE}={int(time.time() * 1000) + 60_000}"
    with httpx.Client(timeout=30) as http:
        for user, own in zip(users, tickets, strict=True):
            headers = {**user.headers, "Cookie": just_wrote}
            shown = http.get(stack.url("profile", "/profiles/me"), headers=headers).json()["avatar"]
            if shown is None or shown["public_id"] != own[-1]["public_id"]:
                raise RuntimeError(f"{user.username} shows {shown and shown['public_id']}, not its newest upload")
            for position, ticket in enumerate(own):
                status = http.get(stack.url("profile", ticket["status_url"]), headers=user.headers).json()["status"]
                wanted = "applied" if position == len(own) - 1 else "superseded"
                if status != wanted:
                    raise RuntimeError(f"upload {ticket['upload_id']} of {user.username} is {status}, not {wanted}")
                outcome[status] = outcome.get(status, 0) + 1
    return outcome


def row(name: str, count: int, seconds: float, latencies: list[float], bare: float, **extra: Any) -> Row:
    """applied/s ÷ bare /health."""
    per_second = count / seconds
    return Row(
        name=name,
        value=round(per_second / bare, 4),
        per_second=round(per_second, 1),
        p50_ms=round(percentile(latencies, 50), 1),
        p99_ms=round(percentile(latencies, 99), 1),
        baseline=f"profile /health {bare:.0f}/s",
        extra={"notifications": count, "seconds": round(seconds, 2), **extra},
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pids(stack: Stack) -> dict[str, int]:
    """profile-service's process and, when it is the stand-in, MongoDB's (its pid file)."""
    found = {"service": stack.processes["profile"].pid}
    pid_file = stack.work_dir / "mongo" / "nx" / "nx-27017.pid"
    if pid_file.exists():
        found["stand-in"] = int(pid_file.read_text().strip())
    return found


def cpu_per_notification(stack: Stack, count: int, before: dict[str, float]) -> dict[str, float]:
    """CPU ms per notification of each process since `before`."""
    after = {name: cpu_seconds(pid) for name, pid in pids(stack).items()}
    return {f"{name}_cpu_ms": round((after[name] - before[name]) * 1000 / count, 2) for name in before}


def spread(stack: Stack, users: list[User], bare: float, profile_dir: str | None) -> Row:
    """50 users, one sender each, their uploads in order."""
    tickets = sign_many(stack, users, SPREAD_UPLOADS)
    lanes = [[signed(stack, t, i) for i, t in enumerate(own)] for own in tickets]
    spy = None if not profile_dir else pyspy(stack, Path(profile_dir))
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids(stack).items()}
    try:
        seconds, latencies = asyncio.run(send_all(stack, lanes))
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes what it has recorded
            spy.wait(timeout=60)
    cpu = cpu_per_notification(stack, len(latencies), cpu_before)
    outcome = check(stack, users, tickets)
    name = f"webhook burst: {len(users)} users, {IN_FLIGHT} in flight"
    return row(name, len(latencies), seconds, latencies, bare, outcome=outcome, **cpu)


def pyspy(stack: Stack, directory: Path) -> "subprocess.Popen[bytes]":
    """py-spy recording the profile-service process (collapsed stacks, `DIR/webhook.txt`) until interrupted."""
    directory.mkdir(parents=True, exist_ok=True)
    executable = shutil.which("py-spy")
    if executable is None:
        raise RuntimeError("py-spy is not installed (uv sync: it is a dev dependency of the workspace)")
    pid = stack.processes["profile"].pid
    args = [executable, "record", "-r", "250", "-f", "raw", "-o", str(directory / "webhook.txt"), "--pid", str(pid)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def hot(stack: Stack, users: list[User]) -> tuple[list[float], float, int, dict[str, float]]:
    """HOT_WAVES waves of 5 users x 10 uploads, all 50 at once, shuffled; checked after each wave."""
    rng = random.Random(16)
    total_seconds, latencies, count = 0.0, [], 0
    cpu = dict.fromkeys(pids(stack), 0.0)
    for _ in range(HOT_WAVES):
        tickets = sign_many(stack, users, HOT_UPLOADS)
        notes = [signed(stack, t, i) for own in tickets for i, t in enumerate(own)]
        rng.shuffle(notes)
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids(stack).items()}
        seconds, wave = asyncio.run(send_all(stack, [[note] for note in notes]))
        for name, pid in pids(stack).items():
            cpu[name] += cpu_seconds(pid) - cpu_before[name]
        check(stack, users, tickets)
        total_seconds += seconds
        latencies += wave
        count += len(notes)
    per_notification = {f"{name}_cpu_ms": round(spent * 1000 / count, 2) for name, spent in cpu.items()}
    return latencies, total_seconds, count, per_notification


def main() -> list[Row]:
    """Start everything, measure, check, save; stops every process it started. Returns the table rows."""
    with bench_stack() as stack:
        users = [register(stack) for _ in range(SPREAD_USERS)]
        for user in users:
            httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30).raise_for_status()
        base = stack.url("profile")
        wrk(base + "/health", seconds=1)  # warm-up
        health = wrk(base + "/health")
        bare = health.per_second
        spread_row = spread(stack, users, bare, os.environ.get("BENCH_PYSPY"))
        latencies, seconds, count, hot_cpu = hot(stack, users[:HOT_USERS])
        health_after = wrk(base + "/health")
    rows = [
        spread_row,
        row(
            f"webhook burst: {HOT_USERS} users x {HOT_UPLOADS} uploads at once",
            count,
            seconds,
            latencies,
            bare,
            **hot_cpu,
        ),
    ]
    print(f"profile-service: /health drift over the run {health_after.per_second / bare:.2f}x")
    save("webhook_burst", {"health": health, "health_after": health_after, "rows": rows})
    for measured in rows:
        print(f"{measured.name}: {measured.extra}")
    return rows


if __name__ == "__main__":
    from bench.measure import table

    print(table(main()))
