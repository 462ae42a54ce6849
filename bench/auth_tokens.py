"""Benchmark: tokens issued per second (`POST /auth/refresh`) and verified per second (`GET /auth/me`).

Starts MongoDB (the project's launcher) and auth-service as a real uvicorn process on 127.0.0.1, then
drives each endpoint with concurrent clients for a few seconds. Each result is printed beside the bare
`GET /health` of the same server, as a ratio, so the numbers compare across machines.

Run: `uv run python -m bench.auth_tokens` (results also in bench/results/auth_tokens.json).
"""

import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from devstack.mongo import free_port, start_mongodb
from devstack.processes import ServerProcess
from devstack.secrets import ensure_signing_key

CONCURRENCY = 32
SECONDS_PER_ENDPOINT = 4.0
RESULTS = Path(__file__).parent / "results" / "auth_tokens.json"
PASSWORD = "benchmark password 1"  # noqa: S105 -- a throwaway account in a throwaway database

Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def _measure(base_url: str, make_call: Callable[[int], Awaitable[Call]]) -> dict[str, float]:
    """Requests/s and latency percentiles of `CONCURRENCY` workers each calling in a loop."""
    latencies: list[float] = []
    deadline = 0.0

    async def worker(index: int, client: httpx.AsyncClient) -> None:
        call = await make_call(index)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await call(client)
            if response.status_code != 200:
                raise RuntimeError(f"{response.request.url} answered {response.status_code}: {response.text}")
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=10) as client:
        deadline = time.perf_counter() + SECONDS_PER_ENDPOINT
        started = time.perf_counter()
        await asyncio.gather(*(worker(i, client) for i in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "per_second": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
    }


async def _login(base_url: str, username: str) -> tuple[str, str]:
    """A fresh sign-in: (access token, refresh token)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        response = await client.post("/auth/login", json={"login": username, "password": PASSWORD})
        response.raise_for_status()
        return response.json()["access_token"], response.cookies["refresh_token"]


async def run(base_url: str) -> dict[str, dict[str, float]]:
    """Measure the three endpoints against a running auth-service."""
    username = f"bench{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        response = await client.post(
            "/auth/register", json={"email": f"{username}@example.com", "username": username, "password": PASSWORD}
        )
        response.raise_for_status()

    async def health(_: int) -> Call:
        return lambda client: client.get("/health")

    async def verify(_: int) -> Call:
        access_token, _refresh = await _login(base_url, username)
        headers = {"Authorization": f"Bearer {access_token}"}
        return lambda client: client.get("/auth/me", headers=headers)

    async def rotate(_: int) -> Call:
        # Each worker owns one token family: rotation makes every refresh token single-use.
        _access, refresh_token = await _login(base_url, username)
        current = {"token": refresh_token}

        async def call(client: httpx.AsyncClient) -> httpx.Response:
            response = await client.post("/auth/refresh", headers={"Cookie": f"refresh_token={current['token']}"})
            if response.status_code == 200:
                current["token"] = response.cookies["refresh_token"]
            client.cookies.clear()
            return response

        return call

    return {
        "GET /health": await _measure(base_url, health),
        "POST /auth/refresh": await _measure(base_url, rotate),
        "GET /auth/me": await _measure(base_url, verify),
    }


def _report(results: dict[str, dict[str, float]]) -> str:
    baseline = results["GET /health"]["per_second"]
    lines = [f"{'endpoint':<20} {'req/s':>9} {'vs /health':>11} {'p50 ms':>8} {'p99 ms':>8}"]
    for name, r in results.items():
        ratio = r["per_second"] / baseline
        lines.append(f"{name:<20} {r['per_second']:>9.1f} {ratio:>10.2f}x {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}")
    return "\n".join(lines)


def main() -> None:
    """Start MongoDB and auth-service, measure, print the table, write the JSON."""
    with tempfile.TemporaryDirectory(prefix="bench-auth-") as tmp:
        root = Path(tmp)
        mongo = start_mongodb(root / "mongo")
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        keys_dir = root / "keys"
        ensure_signing_key(keys_dir)
        server = ServerProcess(
            name="auth-service",
            args=[sys.executable, "-m", "auth_service"],
            env={
                "MONGODB_URI": mongo.uri,
                "AUTH_DATABASE": f"bench_{uuid.uuid4().hex[:8]}",
                "AUTH_PORT": str(port),
                "AUTH_ISSUER": base_url,
                "AUTH_SIGNING_KEYS_DIR": str(keys_dir),
                "AUTH_COOKIE_SECURE": "false",
                "AUTH_LOG_LEVEL": "WARNING",
            },
            base_url=base_url,
            log_path=root / "auth-service.log",
            health_path="/ready",
        )
        try:
            server.start()
            results = asyncio.run(run(base_url))
        finally:
            server.stop()
            mongo.stop()
    print(f"auth-service, {CONCURRENCY} concurrent clients, {SECONDS_PER_ENDPOINT:.0f} s per endpoint")
    print(f"MongoDB: {mongo.backend}")
    print(_report(results))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "concurrency": CONCURRENCY,
                "seconds_per_endpoint": SECONDS_PER_ENDPOINT,
                "mongodb": mongo.backend,
                "results": results,
                "ratios_vs_health": {
                    name: round(r["per_second"] / results["GET /health"]["per_second"], 3)
                    for name, r in results.items()
                },
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
