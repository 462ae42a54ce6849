"""Benchmark: what tracing costs on profile-service's hottest read, `GET /profiles/me`.

Two stacks in a row, the same phases on each: profile-service with tracing off (`OTEL_TRACES_EXPORTER=none`, no
file: no middleware, no listeners, a no-op tracer) and on (the SDK with the JSON-lines file exporter writing to
/dev/null: every span is created, batched and serialised, then dropped). `/health` is not traced (probes never
are), so each stack's `/health` is a baseline of the same server in the same run: the value is
(traced rate ÷ its /health) ÷ (untraced rate ÷ its /health), which cancels a machine that got busier between the
two stacks. The plain rate ratio is in the JSON (`raw_ratio`).

Run: `uv run python -m bench.tracing_cost` (results also in bench/results/tracing_cost.json).
"""

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.measure import Rate, Row, bench_stack, save, wrk
from e2e.pipeline import register
from e2e.stack import Stack
from profile_service.profiles.freshness import COOKIE

USERS = 50
OFF = {"OTEL_SDK_DISABLED": "false", "OTEL_TRACES_EXPORTER": "none", "OTEL_TRACES_FILE": ""}
ON = {"OTEL_SDK_DISABLED": "false", "OTEL_TRACES_EXPORTER": "none", "OTEL_TRACES_FILE": "/dev/null"}


def phases(stack: Stack, work: Path) -> dict[str, Rate]:
    """`/health`, `/profiles/me` from the owner cache, and `/profiles/me` reading MongoDB (write marker)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        users = list(pool.map(lambda _: register(stack), range(USERS)))
    tokens = work / "tokens"
    tokens.write_text("".join(f"{u.token}\n" for u in users))
    for user in users:
        httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30).raise_for_status()
    base = stack.url("profile")
    many = {"BENCH_TOKENS": str(tokens)}
    wrk(base + "/health", seconds=1)  # warm-up: connections, JWKS, caches
    just_wrote = f"{COOKIE}={int(time.time() * 1000) + 60_000}"
    return {
        "health": wrk(base + "/health"),
        "me": wrk(base + "/profiles/me", script="bearer", env=many),
        "me_no_cache": wrk(base + "/profiles/me", script="bearer", env={**many, "BENCH_COOKIE": just_wrote}),
    }


def measured(tracing: dict[str, str]) -> dict[str, Rate]:
    """The phases on a fresh stack whose profile-service has `tracing`'s environment."""
    with bench_stack(lambda stack: {"profile": tracing}) as stack:
        return phases(stack, stack.work_dir)


def main() -> list[Row]:
    """Measure off, then on; returns the table rows."""
    raw: dict[str, Any] = {"off": measured(OFF), "on": measured(ON)}
    off, on = raw["off"], raw["on"]
    rows = [
        Row(
            name=f"profile GET /profiles/me{label}, tracing on",
            value=round(
                (on[key].per_second / on["health"].per_second) / (off[key].per_second / off["health"].per_second), 3
            ),
            unit="x off",
            per_second=on[key].per_second,
            p50_ms=on[key].p50_ms,
            p99_ms=on[key].p99_ms,
            baseline=f"tracing off {off[key].per_second:.0f}/s",
            extra={
                "raw_ratio": round(on[key].per_second / off[key].per_second, 3),
                "health_on_vs_off": round(on["health"].per_second / off["health"].per_second, 3),
            },
        )
        for key, label in (("me", ""), ("me_no_cache", " (no cache)"))
    ]
    save("tracing_cost", {"raw": raw, "rows": rows})
    return rows


if __name__ == "__main__":
    from bench.measure import table

    print(table(main()))
