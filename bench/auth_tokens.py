"""Benchmark: auth-service's access tokens verified per second (`GET /auth/me`) and refresh-token rotations per
second (`POST /auth/refresh`), each beside the bare `GET /health` of the same server, as a ratio.

Starts MongoDB (the project's launcher) and auth-service as a real process on 127.0.0.1, signs in SIGN_INS
times (one token family each), then drives it with wrk at 50 connections (bench/measure.py). Rotation keeps
one connection per wrk thread so each thread owns one family and always sends the cookie it was last given.

Run: `uv run python -m bench.auth_tokens` (results also in bench/results/auth_tokens.json).
"""

import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.cpu import CpuMeter
from bench.measure import CONNECTIONS, Rate, Row, save, versus, wrk
from devstack.mongo import free_port, start_mongodb
from devstack.processes import ServerProcess
from devstack.secrets import ensure_signing_key

SIGN_INS = CONNECTIONS
PASSWORD = "benchmark password 1"  # noqa: S105 -- a throwaway account in a throwaway database


def sign_ins(base_url: str, count: int) -> list[tuple[str, str]]:
    """`count` fresh sign-ins of one new account: (access token, refresh token) each."""
    username = f"bench{uuid.uuid4().hex[:8]}"
    account = {"email": f"{username}@example.com", "username": username, "password": PASSWORD}
    httpx.post(base_url + "/auth/register", json=account, timeout=30).raise_for_status()

    def login(_: int) -> tuple[str, str]:
        response = httpx.post(base_url + "/auth/login", json={"login": username, "password": PASSWORD}, timeout=30)
        response.raise_for_status()
        return response.json()["access_token"], response.cookies["refresh_token"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(login, range(count)))


def _phase(pids: dict[str, int], cpu: dict[str, dict[str, float]], name: str, url: str, **options: Any) -> Rate:
    """One wrk phase; `cpu[name]` gets each server process's CPU microseconds per request over it."""
    meter = CpuMeter(pids).start()
    rate = wrk(url, **options)
    meter.stop()
    cpu[name] = meter.per(rate.requests)
    return rate


def run(base_url: str, work: Path, pids: dict[str, int]) -> tuple[list[Row], dict[str, object]]:
    """Measure the bare endpoint, verification and rotation against a running auth-service.

    `pids` names the server processes (auth-service, the MongoDB stand-in) whose CPU per request each phase
    reports: what bounds a rate on this machine is their sum, not the latency wrk sees.
    """
    families = sign_ins(base_url, SIGN_INS)
    access, refresh = work / "access", work / "refresh"
    access.write_text("".join(f"{a}\n" for a, _ in families))
    refresh.write_text("".join(f"{r}\n" for _, r in families))
    wrk(base_url + "/health", seconds=1)  # warm-up
    cpu: dict[str, dict[str, float]] = {}
    bare = _phase(pids, cpu, "health", base_url + "/health")
    verify = _phase(pids, cpu, "verify", base_url + "/auth/me", script="bearer", env={"BENCH_TOKENS": str(access)})
    rotate = _phase(
        pids,
        cpu,
        "rotate",
        base_url + "/auth/refresh",
        script="rotate",
        threads=SIGN_INS,
        env={"BENCH_TOKENS": str(refresh)},
    )
    raw: dict[str, object] = {"health": bare, "verify": verify, "rotate": rotate}
    raw["health_after"] = wrk(base_url + "/health")
    raw["cpu_us_per_request"] = cpu
    rows = [
        versus("auth GET /auth/me (access tokens verified)", verify, bare, "auth /health", cpu_us=cpu["verify"]),
        versus("auth POST /auth/refresh (rotations)", rotate, bare, "auth /health", cpu_us=cpu["rotate"]),
    ]
    return rows, raw


def main() -> list[Row]:
    """Start MongoDB and auth-service, measure, save; returns the table rows."""
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
        )
        try:
            server.start(until="/ready")
            pids = {"auth-service": server.pid, "mongodb": mongo.pid}
            rows, raw = run(base_url, root, {name: pid for name, pid in pids.items() if pid is not None})
        finally:
            server.stop()
            mongo.stop()
    print(f"auth-service: MongoDB {mongo.backend}; CPU µs per request: {raw['cpu_us_per_request']}")
    save("auth_tokens", {"mongodb": mongo.backend, "raw": raw, "rows": rows})
    return rows


if __name__ == "__main__":
    from bench.measure import table

    print(table(main()))
