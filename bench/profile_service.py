"""Benchmark: profile-service's hot reads (`GET /profiles/me`, `GET /profiles/{username}`), signing and
webhook notifications applied, each beside the bare `GET /health` of the same process, as a ratio.

Starts its own MongoDB (the project's launcher) and the stack as real processes on 127.0.0.1 (emulator,
auth-service, profile-service through e2e/stack.py), registers users through the auth service, gives the
reading user a real avatar, then drives the profile service with wrk at 50 connections (bench/measure.py).

Run: `uv run python -m bench.profile_service` (results also in bench/results/profile_service.json).
"""

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.measure import THREADS, Row, bench_stack, save, versus, wrk
from e2e.evidence import metric_by_label
from e2e.pipeline import User, image_bytes, register, sign, upload, wait_for_status
from e2e.stack import Stack
from profile_service.profiles.freshness import COOKIE

USERS = 50


def notification(ticket: dict[str, Any], index: int) -> dict[str, Any]:
    """An upload notification for a signed ticket, as Cloudinary would send it."""
    public_id = ticket["public_id"]
    version = 1_700_000_000 + index
    return {
        "notification_type": "upload",
        "public_id": public_id,
        "version": version,
        "width": 512,
        "height": 512,
        "format": "jpg",
        "bytes": 40_000,
        "resource_type": "image",
        "type": "upload",
        "secure_url": f"http://127.0.0.1/e2e-cloud/image/upload/v{version}/{public_id}.jpg",
    }


def webhook_outcomes(stack: Stack) -> dict[str, float]:
    """`profile_upload_outcomes_total` for the webhook source, by outcome."""
    return metric_by_label(stack, "profile_upload_outcomes_total", "outcome", 'source="webhook"')


def read_cache_lookups(stack: Stack) -> dict[str, float]:
    """`profile_read_cache_total` for `GET /profiles/me`, by result (hit, miss, skipped)."""
    return metric_by_label(stack, "profile_read_cache_total", "result", 'view="me"')


def changes(before: dict[str, float], after: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """What each count grew by, and `after` (the next phase's `before`)."""
    return {key: after[key] - before.get(key, 0.0) for key in after}, after


def sign_tickets(stack: Stack, users: list[User], count: int) -> list[dict[str, Any]]:
    """`count` fresh intents, users taking turns (each user's tickets in signing order)."""
    with httpx.Client(timeout=30) as http:
        tickets = []
        for index in range(count):
            response = http.post(
                stack.url("profile", "/profiles/me/avatar/uploads"), headers=users[index % len(users)].headers
            )
            response.raise_for_status()
            tickets.append(response.json())
        return tickets


def webhook_files(stack: Stack, tickets: list[dict[str, Any]], directory: Path) -> str:
    """Signed notification lines for wrk, split over its threads; returns the file prefix."""
    prefix = str(directory / "notes")
    timestamp = str(int(time.time()))
    lines: list[list[str]] = [[] for _ in range(THREADS)]
    for index, ticket in enumerate(tickets):
        body = json.dumps(notification(ticket, index)).encode()
        signature = hashlib.sha1(body + timestamp.encode() + stack.api_secret.encode()).hexdigest()  # noqa: S324
        lines[index % THREADS].append(f"{timestamp}\t{signature}\t{body.decode()}")
    for thread, chunk in enumerate(lines):
        Path(f"{prefix}.{thread}").write_text("\n".join(chunk) + "\n")
    return prefix


def run(stack: Stack, work: Path) -> tuple[list[Row], dict[str, Any]]:
    """Every phase; returns the table rows and the raw numbers."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        users = list(pool.map(lambda _: register(stack), range(USERS)))
    tokens = work / "tokens"
    tokens.write_text("".join(f"{u.token}\n" for u in users))
    for user in users:  # each profile exists before the reads (GET /profiles/me creates it)
        httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30).raise_for_status()
    reader = users[0]
    ticket = sign(stack, reader)
    assert upload(ticket, image_bytes(400, 400)).status_code == 200
    wait_for_status(stack, reader, ticket, "applied")
    base = stack.url("profile")
    wrk(base + "/health", seconds=1)  # warm-up: connections, JWKS, caches
    raw: dict[str, Any] = {"health": wrk(base + "/health")}
    many = {"BENCH_TOKENS": str(tokens)}
    lookups = read_cache_lookups(stack)
    raw["me"] = wrk(base + "/profiles/me", script="bearer", env=many)
    raw["me_cache"], lookups = changes(lookups, read_cache_lookups(stack))
    # Every request as if its owner had just written: the write marker, dated a minute ahead so it stays recent
    # for the whole phase, makes each one skip the instance's cache and read MongoDB.
    just_wrote = f"{COOKIE}={int(time.time() * 1000) + 60_000}"
    raw["me_after_write"] = wrk(base + "/profiles/me", script="bearer", env={**many, "BENCH_COOKIE": just_wrote})
    raw["me_after_write_cache"], _ = changes(lookups, read_cache_lookups(stack))
    if raw["me_after_write_cache"].get("hit"):
        raise RuntimeError(f"the write marker did not skip the cache: {raw['me_after_write_cache']}")
    raw["by_username"] = wrk(base + f"/profiles/{reader.username}")
    raw["sign"] = wrk(base + "/profiles/me/avatar/uploads", script="bearer", env={**many, "BENCH_METHOD": "POST"})
    # Webhook: more signed intents than the phase can apply, each notified exactly once.
    tickets = sign_tickets(stack, users, max(400, int(raw["sign"].per_second * 6)))
    before = webhook_outcomes(stack)
    prefix = webhook_files(stack, tickets, work)
    raw["webhook"] = wrk(base, script="webhook", seconds=8, env={"BENCH_WEBHOOK": prefix})
    after = webhook_outcomes(stack)
    changed = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    raw["webhook_outcomes"] = changed
    raw["health_after"] = wrk(base + "/health")
    bare = raw["health"]
    applied_per_second = sum(changed.values()) / raw["webhook"].seconds
    rows = [
        versus("profile GET /profiles/me (authenticated)", raw["me"], bare, "profile /health", cache=raw["me_cache"]),
        versus(
            "profile GET /profiles/me after a write (no cache)",
            raw["me_after_write"],
            bare,
            "profile /health",
            cache=raw["me_after_write_cache"],
        ),
        versus("profile GET /profiles/{username}", raw["by_username"], bare, "profile /health"),
        versus("profile POST /profiles/me/avatar/uploads (sign)", raw["sign"], bare, "profile /health"),
        Row(
            name="profile webhook notifications applied",
            value=round(applied_per_second / bare.per_second, 3),
            per_second=round(applied_per_second, 1),
            p50_ms=raw["webhook"].p50_ms,
            p99_ms=raw["webhook"].p99_ms,
            baseline=f"profile /health {bare.per_second:.0f}/s",
            extra={"outcomes": changed},
        ),
    ]
    return rows, raw


def main() -> list[Row]:
    """Start everything, measure, save; stops every process it started. Returns the table rows."""
    with bench_stack() as stack:
        rows, raw = run(stack, stack.work_dir)
    drift = raw["health_after"].per_second / raw["health"].per_second
    print(f"profile-service: /health drift over the run {drift:.2f}x")
    save("profile_service", {"raw": raw, "rows": rows})
    return rows


if __name__ == "__main__":
    from bench.measure import table

    print(table(main()))
