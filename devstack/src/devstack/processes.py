"""Run the stack's servers as real child processes (e2e tests and benchmarks) and stop them reliably."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass
class ServerProcess:
    """A server started as a child process in its own process group, with its output in a log file."""

    name: str
    args: list[str]
    env: Mapping[str, str]
    base_url: str
    log_path: Path
    health_path: str = "/health"
    _process: "subprocess.Popen[bytes] | None" = field(default=None, repr=False)

    def start(self, timeout: float = 30.0, *, until: str | None = None) -> "ServerProcess":
        """Start the process and wait until `until` (by default `health_path`) answers 200.

        `until="/ready"` waits for the service's dependencies too: a service is healthy as soon as it listens,
        but answers 503 until, for one, its MongoDB indexes exist."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self.args,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.wait_until(until or self.health_path, timeout)
        return self

    def answers(self, path: str) -> bool:
        """True when `path` answers 200 now."""
        try:
            return httpx.get(self.base_url + path, timeout=2.0).status_code == 200
        except httpx.TransportError:
            return False

    def wait_until(self, path: str, timeout: float = 30.0) -> None:
        """Poll `path` until it answers 200; fail with the log tail if the process dies or the time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self._process.returncode}:\n{self.log_tail()}")
            if self.answers(path):
                return
            time.sleep(0.05)
        url = self.base_url + path
        raise TimeoutError(f"{self.name} did not answer {url} within {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the process wrote, for failure messages."""
        if not self.log_path.exists():
            return "(no output)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the whole process group, SIGKILL it after 10 s; safe to call twice."""
        if self._process is None or self._process.poll() is not None:
            return
        pgid = os.getpgid(self._process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self._process.wait()

    @property
    def pid(self) -> int:
        """The process id (a profiler attaches to it); the process must have been started."""
        if self._process is None:
            raise RuntimeError(f"{self.name} was never started")
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has ended."""
        return None if self._process is None else self._process.poll()


def uvicorn_args(factory: str, port: int, *, host: str = "127.0.0.1") -> list[str]:
    """The command line that serves an app factory with uvicorn from this interpreter."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        host,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
