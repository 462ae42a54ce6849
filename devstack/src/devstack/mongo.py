"""The one MongoDB launcher used by `make dev`, the test suites and the benchmarks.

Order of preference:
1. `MONGODB_URI` from the environment: used as it is, nothing is started.
2. A Docker engine answers: a real MongoDB 8 through testcontainers.
3. Otherwise the `nx-27017` wire-protocol server (SQLite-backed) as a child process with
   `--data-dir`, on a free port, waited for until `ping` answers.
"""

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

NX_VERSION = "0.8.1"
MONGO_IMAGE = "mongo:8"


# Ports this process has handed out: the kernel may offer a just-closed port again at once, and two processes of one
# stack given the same port fail to start (seen in CI: profile-service on the emulator's port).
_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now, and not one this process handed out before."""
    with _handed_out_lock:
        for _ in range(1000):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port: int = sock.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port
    raise RuntimeError("no free TCP port on 127.0.0.1 that was not handed out already")


def wait_for_ping(uri: str, timeout: float = 20.0, process: "subprocess.Popen[bytes] | None" = None) -> None:
    """Block until the server at `uri` answers `ping`, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"MongoDB stand-in exited with code {process.returncode} before answering ping")
        try:
            client: MongoClient[dict[str, Any]] = MongoClient(uri, serverSelectionTimeoutMS=250, connectTimeoutMS=250)
            with client:
                client.admin.command("ping")
                return
        except PyMongoError as exc:
            last_error = exc
            time.sleep(0.05)
    raise TimeoutError(f"MongoDB at {uri} did not answer ping within {timeout:.0f}s: {last_error}")


@dataclass
class MongoServer:
    """A running (or external) MongoDB-protocol server; `stop()` is safe to call more than once."""

    uri: str
    backend: str
    data_dir: Path | None = None
    _process: "subprocess.Popen[bytes] | None" = field(default=None, repr=False)
    _container: Any = field(default=None, repr=False)
    _nx_args: list[str] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        """Stop what this launcher started; an external server is left alone."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._container is not None:
            self._container.stop()
            self._container = None

    def kill(self) -> None:
        """Kill the stand-in abruptly (tests of database outages); `restart()` brings it back."""
        if self._process is None:
            raise RuntimeError(f"cannot kill a {self.backend} server from here")
        self._process.kill()
        self._process.wait()

    def restart(self) -> None:
        """Start the stand-in again on the same port and data directory, and wait for ping."""
        if self._process is None:
            raise RuntimeError(f"cannot restart a {self.backend} server from here")
        if self._process.poll() is None:
            self.stop()
        self._process = _spawn_nx(self._nx_args)
        wait_for_ping(self.uri, process=self._process)

    @property
    def can_restart(self) -> bool:
        """Whether outage tests can kill and restart this server (only the nx-27017 stand-in)."""
        return self._process is not None

    @property
    def pid(self) -> int | None:
        """The stand-in's process id, when this launcher started one."""
        return self._process.pid if self._process is not None else None


def docker_available() -> bool:
    """True when a Docker engine answers `/_ping` within a second."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if host.startswith("unix://"):
        path = host.removeprefix("unix://")
        if not Path(path).exists():
            return False
        family = socket.AF_UNIX
        address_value: str | tuple[str, int] = path
    else:
        hostname, _, port = host.removeprefix("tcp://").partition(":")
        family, address_value = socket.AF_INET, (hostname, int(port or 2375))
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(address_value)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            status_line = sock.recv(64).split(b"\r\n", 1)[0]
    except OSError:
        return False
    return status_line.split()[1:2] == [b"200"]


def _nx_executable() -> str:
    candidate = Path(sys.executable).with_name("nx-27017")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nx-27017")
    if found is None:
        raise RuntimeError("nx-27017 is not installed in this environment (run `make install`)")
    return found


def _spawn_nx(args: list[str]) -> "subprocess.Popen[bytes]":
    # Its own session so Ctrl-C in a terminal reaches only our supervisor, which stops it in order.
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def start_nx(data_dir: Path, port: int | None = None) -> MongoServer:
    """Start the nx-27017 stand-in with one SQLite file per database under `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    args = [
        _nx_executable(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--pid-file",
        str(data_dir / "nx-27017.pid"),
        "--log-file",
        str(data_dir / "nx-27017.log"),
    ]
    uri = f"mongodb://127.0.0.1:{port}"
    process = _spawn_nx(args)
    server = MongoServer(uri=uri, backend=f"nx-27017 {NX_VERSION}", data_dir=data_dir, _process=process, _nx_args=args)
    try:
        wait_for_ping(uri, process=process)
    except BaseException:
        server.stop()
        raise
    return server


def start_container(data_dir: Path | None = None, port: int | None = None) -> MongoServer:
    """Start a real MongoDB 8 in Docker through testcontainers."""
    from testcontainers.mongodb import MongoDbContainer

    container = MongoDbContainer(MONGO_IMAGE)
    if port is not None:
        container.with_bind_ports(27017, port)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        container.with_volume_mapping(str(data_dir), "/data/db", "rw")
    container.start()
    uri = f"mongodb://{container.get_container_host_ip()}:{container.get_exposed_port(27017)}"
    wait_for_ping(uri)
    return MongoServer(
        uri=uri, backend=f"MongoDB ({MONGO_IMAGE}, testcontainers)", data_dir=data_dir, _container=container
    )


def start_mongodb(
    data_dir: Path, port: int | None = None, environ: "os._Environ[str] | dict[str, str] | None" = None
) -> MongoServer:
    """Give back a MongoDB-protocol server by the order in this module's docstring."""
    env = os.environ if environ is None else environ
    if uri := env.get("MONGODB_URI"):
        wait_for_ping(uri, timeout=10)
        return MongoServer(uri=uri, backend="MONGODB_URI (external MongoDB)")
    if docker_available():
        return start_container(data_dir / "docker", port)
    return start_nx(data_dir / "nx", port)


@contextlib.contextmanager
def running_mongodb(data_dir: Path, port: int | None = None) -> Iterator[MongoServer]:
    """`start_mongodb` as a context manager that always stops what it started."""
    server = start_mongodb(data_dir, port)
    try:
        yield server
    finally:
        server.stop()
