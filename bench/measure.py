"""The one measurement helper every benchmark module uses: wrk runs, the result rows, the JSON files.

`wrk()` drives a URL with Debian's `wrk` (C, event loop, keep-alive connections) for a fixed time and
reads its own numbers back through a Lua `done()` hook, so the load generator is never the bottleneck
that a Python client would be. A `Row` is one line of the combined table `make bench` prints: a value
measured in the same run as its baseline, usually `rate / bare rate`.
"""

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devstack.mongo import start_mongodb
from e2e.stack import ARTIFACTS, Stack

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LUA = HERE / "wrk"
CONNECTIONS = 50
THREADS = 2
SECONDS = 4.0

# Appended to every script: prints one JSON line wrk's summary can be parsed from.
_REPORT = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRK-JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "bad_status": %d, ' ..
    '"socket_errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Rate:
    """Requests per second and latency of one closed-loop run."""

    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    bad_status: int = 0
    connections: int = CONNECTIONS


@dataclass
class Row:
    """One line of the combined table."""

    name: str
    value: float  # the ratio (or the quantity, when `unit` says so)
    unit: str = "x bare"
    per_second: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    baseline: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def wrk(
    url: str,
    *,
    script: str | None = None,
    seconds: float = SECONDS,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
    headers: dict[str, str] | None = None,
    allow_bad_status: bool = False,
    env: dict[str, str] | None = None,
) -> Rate:
    """Run wrk against `url` (optionally with `bench/wrk/<script>.lua`); any non-2xx/3xx fails the run."""
    executable = shutil.which("wrk")
    if executable is None:
        raise RuntimeError("wrk is not installed: run scripts/install-system-deps.sh (Debian package `wrk`)")
    body = (LUA / f"{script}.lua").read_text() if script else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(body + _REPORT)
    args = [executable, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    try:
        done = subprocess.run(
            [*args, "-s", lua.name, url],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            env={**os.environ, **(env or {})},
        )
    finally:
        Path(lua.name).unlink()
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK-JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("WRK-JSON "))
    if raw["socket_errors"] or (raw["bad_status"] and not allow_bad_status):
        raise RuntimeError(f"{url}: {raw['bad_status']} bad statuses, {raw['socket_errors']} socket errors")
    elapsed = raw["duration_us"] / 1e6
    return Rate(
        requests=raw["requests"],
        seconds=round(elapsed, 3),
        per_second=round(raw["requests"] / elapsed, 1),
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        bad_status=raw["bad_status"],
        connections=connections,
    )


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def versus(name: str, rate: Rate, bare: Rate, baseline: str, **extra: Any) -> Row:
    """A row whose value is `rate` requests/s divided by the bare endpoint's."""
    return Row(
        name=name,
        value=round(rate.per_second / bare.per_second, 3),
        per_second=rate.per_second,
        p50_ms=rate.p50_ms,
        p99_ms=rate.p99_ms,
        baseline=f"{baseline} {bare.per_second:.0f}/s",
        extra=extra,
    )


def save(name: str, data: Any) -> Path:
    """Write `bench/results/<name>.json` (git-ignored) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=_plain) + "\n")
    return path


def _plain(value: Any) -> Any:
    if isinstance(value, Rate | Row):
        return asdict(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def table(rows: list[Row]) -> str:
    """The combined table: one line per row."""

    def number(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    head = f"{'measure':<50}{'value':>10} {'unit':<8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  baseline"
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append(
            f"{row.name:<50}{row.value:>10.3f} {row.unit:<8}{number(row.per_second, '.0f'):>9}"
            f"{number(row.p50_ms, '.2f'):>9}{number(row.p99_ms, '.2f'):>9}  {row.baseline}"
        )
    return "\n".join(lines)


@contextlib.contextmanager
def bench_stack(configure: Callable[[Stack], dict[str, dict[str, str]]] | None = None) -> Iterator[Stack]:
    """Its own MongoDB and the stack's processes (quiet logs), stopped on exit. `configure(stack)` runs before
    the processes start (ports and secrets are known then) and returns extra variables per process."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        mongo = start_mongodb(Path(tmp) / "mongo")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stack = Stack(mongodb_uri=mongo.uri, work_dir=Path(tmp))
        # Signing quotas out of the way: the benchmarks sign far more per user than a person may (the sign phase
        # alone is ~70 an hour per user, the latency row 60 in a row), and they measure throughput, not refusals.
        # Raised, not removed: every sign still does the quota's read, compare-and-set and intent insert.
        quotas = {"PROFILE_MAX_OPEN_UPLOADS": "100000", "PROFILE_MAX_UPLOADS_PER_HOUR": "100000"}
        env = {"profile": {"PROFILE_LOG_LEVEL": "WARNING", **quotas}, "auth": {"AUTH_LOG_LEVEL": "WARNING"}}
        for name, values in (configure(stack) if configure else {}).items():
            env[name] = {**env.get(name, {}), **values}
        try:
            stack.start(("emulator", "auth", "profile"), **env)
            yield stack
        finally:
            stack.stop()
            mongo.stop()
        print(f"MongoDB backend: {mongo.backend}")
