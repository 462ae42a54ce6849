"""Benchmark: signing requests/s and latency at 50 concurrent connections, and webhook notifications
applied/s, each beside the bare `GET /health` of the same profile-service process, as a ratio.

Starts its own MongoDB (the project's launcher) and the stack as real processes on 127.0.0.1 (emulator,
auth-service, profile-service, through e2e/stack.py), registers a few users through the auth service,
then drives the profile service with httpx. Bounded: a few seconds per phase, well under 90 s in all.

Run: `uv run python -m bench.profile_service` (results also in bench/results/profile_service.json).
"""

import asyncio
import hashlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from devstack.mongo import start_mongodb
from e2e.stack import ARTIFACTS, Stack

CONCURRENCY = 50
SECONDS_PER_PHASE = 4.0
USERS = 10
RESULTS = Path(__file__).parent / "results" / "profile_service.json"

Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def measure(base_url: str, call: Call, expected: int, limit: int | None = None) -> dict[str, float]:
    """Requests/s and latency percentiles of CONCURRENCY workers calling in a loop (for a time, or `limit` calls)."""
    latencies: list[float] = []
    counter = iter(range(limit if limit is not None else 10**9))
    deadline = time.perf_counter() + SECONDS_PER_PHASE

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            index = next(counter, None)
            if index is None:
                return
            started = time.perf_counter()
            response = await call(client, index)
            if response.status_code != expected:
                raise RuntimeError(f"{response.request.url} answered {response.status_code}: {response.text}")
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "per_second": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2),
    }


def register(stack: Stack) -> list[str]:
    """Access tokens of USERS fresh accounts."""
    tokens = []
    with httpx.Client(timeout=30) as http:
        for _ in range(USERS):
            name = f"b{uuid.uuid4().hex[:10]}"
            password = uuid.uuid4().hex + "Aa1!"
            created = http.post(
                stack.url("auth", "/auth/register"),
                json={"email": f"{name}@example.com", "username": name, "password": password},
            )
            created.raise_for_status()
            login = http.post(stack.url("auth", "/auth/login"), json={"login": name, "password": password})
            login.raise_for_status()
            tokens.append(login.json()["access_token"])
    return tokens


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


async def run(stack: Stack) -> dict[str, Any]:
    """Every phase; returns the results."""
    tokens = register(stack)
    tickets: list[dict[str, Any]] = []

    async def sign(client: httpx.AsyncClient, index: int) -> httpx.Response:
        response = await client.post(
            "/profiles/me/avatar/uploads", headers={"Authorization": f"Bearer {tokens[index % USERS]}"}
        )
        if response.status_code == 201:
            tickets.append(response.json())
        return response

    async def health(client: httpx.AsyncClient, index: int) -> httpx.Response:
        return await client.get("/health")

    base = stack.url("profile")
    await measure(base, health, 200)  # warm-up: connections, JWKS, caches
    results: dict[str, Any] = {"health": await measure(base, health, 200), "sign": await measure(base, sign, 201)}
    bodies = [json.dumps(notification(t, i)).encode() for i, t in enumerate(tickets)]

    async def webhook(client: httpx.AsyncClient, index: int) -> httpx.Response:
        body = bodies[index]
        timestamp = str(int(time.time()))
        signature = hashlib.sha1(body + timestamp.encode() + stack.api_secret.encode()).hexdigest()  # noqa: S324
        headers = {"content-type": "application/json", "X-Cld-Timestamp": timestamp, "X-Cld-Signature": signature}
        return await client.post("/webhooks/cloudinary", content=body, headers=headers)

    results["webhook_applied"] = await measure(base, webhook, 200, limit=len(bodies))
    results["health_again"] = await measure(base, health, 200)
    return results


def report(results: dict[str, Any]) -> None:
    """Print the ratio table."""
    bare = results["health"]["per_second"]
    print(f"{'endpoint':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs /health':>12}")
    rows = [
        ("GET /health (bare)", results["health"]),
        ("POST /profiles/me/avatar/uploads", results["sign"]),
        ("POST /webhooks/cloudinary (applied)", results["webhook_applied"]),
        ("GET /health (after)", results["health_again"]),
    ]
    for name, row in rows:
        ratio = row["per_second"] / bare if bare else 0.0
        print(f"{name:<34}{row['per_second']:>10}{row['p50_ms']:>10}{row['p99_ms']:>10}{ratio:>11.2f}x")


def main() -> None:
    """Start everything, measure, print and save; stops every process it started."""
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        mongo = start_mongodb(Path(tmp) / "mongo")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stack = Stack(mongodb_uri=mongo.uri, work_dir=Path(tmp))
        try:
            stack.start(profile={"PROFILE_LOG_LEVEL": "WARNING"}, auth={"AUTH_LOG_LEVEL": "WARNING"})
            results = asyncio.run(run(stack))
        finally:
            stack.stop()
            mongo.stop()
    results["meta"] = {
        "concurrency": CONCURRENCY,
        "seconds_per_phase": SECONDS_PER_PHASE,
        "mongodb": mongo.backend,
        "python": sys.version.split()[0],
    }
    report(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {RESULTS}")


if __name__ == "__main__":
    main()
