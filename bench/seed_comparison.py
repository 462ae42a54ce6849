"""Benchmark: our direct upload beside the seeds' way (bench/seed/: Express + multer + multer-storage-cloudinary),
against the same emulator with the same 6 MB and 600 kB photos.

Per image size and per side, one phase of IN_FLIGHT x ROUNDS uploads at IN_FLIGHT in flight measures three things:
- server bytes per upload, both directions, through counting TCP proxies in front of each server and of the
  servers' own calls out to the emulator. Ours: profile-service (sign, status polls, profile read, Cloudinary's
  notifications), auth-service (JWKS) and profile-service's calls to the emulator (Admin API, destroys); the
  file goes from the "browser" straight to the emulator. Theirs: the Node server (the file comes in) and its
  SDK's upload to the emulator (the file goes out again).
- server CPU per upload: utime + stime (/proc) of profile-service + auth-service for ours, of the Node process
  for theirs, from the first request until every upload is done (ours: applied, and the outbox drained of the
  replaced pictures' destroys, which the seeds never do), less what the processes spend idle in that time
  (measured for IDLE_SECONDS first; both figures are in the JSON). MongoDB's CPU is in neither: the seed keeps
  no record of the upload at all, and the auth bench (`bench/auth_tokens.py`) shows what a stand-in round trip
  costs.
- uploads/s: uploads ÷ the phase's wall time. Ours ends an upload where the browser does: applied, seen by the
  status poll (every STATUS_POLL_SECONDS, bench/upload_pipeline.py's client flow); theirs when the server answers.

Rows are ratios ours ÷ theirs. Run: `uv run python -m bench.seed_comparison` (results in
bench/results/seed_comparison.json). The first run installs the seed server's pinned packages (`npm ci`).
"""

import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.cpu import CpuMeter
from bench.measure import Row, bench_stack, save
from bench.upload_pipeline import (
    SIZES,
    STATUS_POLL_SECONDS,
    CountingProxy,
    browser_upload,
    outbox_drained,
    photo,
    proxied_env,
)
from devstack.mongo import free_port
from devstack.processes import ServerProcess
from e2e.pipeline import User, register
from e2e.stack import Stack

SEED = Path(__file__).resolve().parent / "seed"
IN_FLIGHT = 10
ROUNDS = 3  # uploads per lane and phase: IN_FLIGHT x ROUNDS per size and side
IDLE_SECONDS = 4.0


@dataclass
class Phase:
    """What one side spent on its uploads of one image."""

    uploads: int
    seconds: float
    bytes_per_upload: float
    cpu_ms_per_upload: float  # above what the processes spend idle over the same time (see `phase`)
    cpu_ms_by_process: dict[str, float]
    gross_cpu_ms_per_upload: float

    @property
    def per_second(self) -> float:
        """Uploads finished per second of wall time."""
        return self.uploads / self.seconds


def seed_installed() -> None:
    """`npm ci` the seed server's pinned packages unless `make install` already did."""
    if not (SEED / "node_modules" / "multer-storage-cloudinary").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=SEED, check=True)


def phase(
    pids: dict[str, int],
    idle: dict[str, float],
    proxies: list[CountingProxy],
    lanes: list[Callable[[], None]],
    settled: Callable[[], None],
) -> Phase:
    """Run every lane (ROUNDS uploads one after another) at once, then `settled()`; bytes and CPU over all of it.

    CPU per upload is what the processes spent beyond their idle rate (`idle`, ms per second) over the same
    wall time: our services poll their outboxes and reconciliation while nothing happens, a cost per second
    of running, not per upload, that would otherwise be charged to whichever uploads a phase happens to hold.
    """
    bytes_before = sum(p.total for p in proxies)
    meter = CpuMeter(pids).start()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        for done in [pool.submit(lane) for lane in lanes]:
            done.result()
    seconds = time.monotonic() - started
    settled()
    measured = time.monotonic() - started
    spent = meter.stop()
    uploads = len(lanes) * ROUNDS
    marginal = {name: max(0.0, s * 1000 - idle.get(name, 0.0) * measured) / uploads for name, s in spent.items()}
    return Phase(
        uploads=uploads,
        seconds=round(seconds, 3),
        bytes_per_upload=(sum(p.total for p in proxies) - bytes_before) / uploads,
        cpu_ms_per_upload=round(sum(marginal.values()), 2),
        cpu_ms_by_process={name: round(ms, 2) for name, ms in marginal.items()},
        gross_cpu_ms_per_upload=round(sum(spent.values()) * 1000 / uploads, 2),
    )


def idle_cpu_ms_per_second(pids: dict[str, int]) -> dict[str, float]:
    """What the servers spend doing nothing (ours: the outbox and reconciliation pollers), for the JSON."""
    meter = CpuMeter(pids).start()
    time.sleep(IDLE_SECONDS)  # a fixed window to measure over, not a wait for a condition
    return {name: round(s * 1000 / IDLE_SECONDS, 2) for name, s in meter.stop().items()}


def ours(stack: Stack, idle: dict[str, float], proxies: list[CountingProxy], data: bytes) -> Phase:
    """IN_FLIGHT users, each uploading ROUNDS times as the browser does (sign, file to the emulator, polls)."""
    front = f"http://127.0.0.1:{proxies[0].port}"
    users: list[User] = [register(stack) for _ in range(IN_FLIGHT)]

    def lane(user: User) -> Callable[[], None]:
        def uploads() -> None:
            for _ in range(ROUNDS):
                browser_upload(stack, front, user, data)

        return uploads

    def drained() -> None:
        outbox_drained(stack, timeout=120)

    drained()
    pids = {name: stack.processes[name].pid for name in ("profile", "auth")}
    return phase(pids, idle, proxies, [lane(user) for user in users], drained)


def theirs(server: ServerProcess, idle: dict[str, float], proxies: list[CountingProxy], data: bytes) -> Phase:
    """IN_FLIGHT clients, each posting the file ROUNDS times to the seed server (through its counting proxy)."""
    front = f"http://127.0.0.1:{proxies[0].port}"

    def post() -> None:
        with httpx.Client(base_url=front, timeout=120) as http:
            for _ in range(ROUNDS):
                answer = http.post("/avatar", files={"avatar": ("photo.jpg", data, "image/jpeg")})
                assert answer.status_code == 200, answer.text
                assert answer.json()["url"].startswith("http"), answer.text

    return phase({"seed": server.pid}, idle, proxies, [post] * IN_FLIGHT, lambda: None)


def start_seed(stack: Stack, emulator_proxy: CountingProxy) -> ServerProcess:
    """The seed server, its SDK pointed at the emulator through `emulator_proxy` (so its calls out are counted)."""
    port = free_port()
    proxied = stack.cloudinary_url.replace(stack.url("emulator"), f"http://127.0.0.1:{emulator_proxy.port}")
    return ServerProcess(
        name="seed",
        args=["node", str(SEED / "server.mjs")],
        env={"CLOUDINARY_URL": proxied, "SEED_PORT": str(port), "NODE_ENV": "production"},
        base_url=f"http://127.0.0.1:{port}",
        log_path=stack.work_dir / "seed.log",
    ).start()


def rows_for(label: str, mine: Phase, seed: Phase) -> list[Row]:
    """The three ratios ours ÷ theirs for one image size."""
    return [
        Row(
            name=f"seed: server bytes per upload, ours / theirs ({label})",
            value=round(mine.bytes_per_upload / seed.bytes_per_upload, 5),
            unit="x theirs",
            baseline=f"theirs {seed.bytes_per_upload / 1e6:.2f} MB, ours {mine.bytes_per_upload / 1000:.1f} kB",
        ),
        Row(
            name=f"seed: server CPU per upload, ours / theirs ({label})",
            value=round(mine.cpu_ms_per_upload / seed.cpu_ms_per_upload, 3),
            unit="x theirs",
            baseline=f"theirs {seed.cpu_ms_per_upload:.1f} ms, ours {mine.cpu_ms_per_upload:.1f} ms (above idle)",
        ),
        Row(
            name=f"seed: uploads/s at {IN_FLIGHT} in flight, ours / theirs ({label})",
            value=round(mine.per_second / seed.per_second, 3),
            unit="x theirs",
            baseline=f"theirs {seed.per_second:.2f}/s, ours {mine.per_second:.2f}/s",
        ),
    ]


def main() -> list[Row]:
    """Start our stack and the seed server on one emulator, measure both per image size, save; returns the rows."""
    seed_installed()
    our_proxies: list[CountingProxy] = []
    seed_proxies: list[CountingProxy] = []

    def behind_proxies(stack: Stack) -> dict[str, dict[str, str]]:
        return proxied_env(stack, our_proxies)

    rows: list[Row] = []
    raw: dict[str, Any] = {"in_flight": IN_FLIGHT, "status_poll_seconds": STATUS_POLL_SECONDS}
    server: ServerProcess | None = None
    try:
        with bench_stack(behind_proxies) as stack:
            seed_emulator = CountingProxy(stack.ports["emulator"]).start()
            server = start_seed(stack, seed_emulator)
            seed_proxies.extend([CountingProxy(int(server.base_url.rsplit(":", 1)[1])).start(), seed_emulator])
            idle = {
                "ours": idle_cpu_ms_per_second({n: stack.processes[n].pid for n in ("profile", "auth")}),
                "theirs": idle_cpu_ms_per_second({"seed": server.pid}),
            }
            raw["idle_cpu_ms_per_s"] = idle
            for label, target in SIZES.items():
                data = photo(target)
                mine = ours(stack, idle["ours"], our_proxies, data)
                seed = theirs(server, idle["theirs"], seed_proxies, data)
                raw[label] = {"image_bytes": len(data), "ours": asdict(mine), "theirs": asdict(seed)}
                rows.extend(rows_for(label, mine, seed))
    finally:
        if server is not None:
            server.stop()
        for proxy in our_proxies + seed_proxies:
            proxy.stop()
    save("seed_comparison", {"raw": raw, "rows": rows})
    return rows


if __name__ == "__main__":
    from bench.measure import table

    print(table(main()))
