"""pytest plugin: one MongoDB-protocol server per test session, from the project's one launcher.

Load it with `-p devstack.pytest_mongo`. The backend is printed in the session header, so every
run says whether it tested against real MongoDB or the nx-27017 stand-in.
"""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.mongo import MongoServer, start_mongodb

_SERVER = pytest.StashKey[MongoServer]()
_TMP = pytest.StashKey[Path]()
_WORKER_BACKENDS = pytest.StashKey[dict[str, str]]()


def _xdist_controller(config: pytest.Config) -> bool:
    """The process of a `pytest -n N` run that only hands tests to its workers."""
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    """Start the server before collection so the header can name it. Under pytest-xdist each worker starts its
    own (the chaos soak stops and restarts its server: another worker's tests must not lose theirs), and the
    controller, which runs no test, none."""
    if _xdist_controller(config):
        config.stash[_WORKER_BACKENDS] = {}
        return
    tmp = Path(tempfile.mkdtemp(prefix="pytest-mongo-"))
    config.stash[_TMP] = tmp
    server = config.stash[_SERVER] = start_mongodb(tmp)
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["mongodb_backend"] = f"{server.backend} at {server.uri}"


def pytest_report_header(config: pytest.Config) -> str:
    """First lines of the run: which MongoDB backend the tests talk to."""
    server = config.stash.get(_SERVER, None)
    if server is None:
        if _xdist_controller(config):
            return "MongoDB backend: one per xdist worker, named in the summary"
        return "MongoDB backend: none started"
    return f"MongoDB backend: {server.backend} at {server.uri}"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """(pytest-xdist) Keep the backend a finished worker tested against."""
    backends = node.config.stash.get(_WORKER_BACKENDS, None)
    if backends is not None and "mongodb_backend" in getattr(node, "workeroutput", {}):
        backends[node.gateway.id] = node.workeroutput["mongodb_backend"]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Under pytest-xdist: the backend each worker tested against."""
    for worker, backend in sorted(config.stash.get(_WORKER_BACKENDS, {}).items()):
        terminalreporter.write_line(f"MongoDB backend ({worker}): {backend}")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the server and remove its files."""
    server = config.stash.get(_SERVER, None)
    if server is not None:
        server.stop()
    tmp = config.stash.get(_TMP, None)
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def mongo_server(pytestconfig: pytest.Config) -> MongoServer:
    """The session's running MongoDB-protocol server."""
    return pytestconfig.stash[_SERVER]


@pytest.fixture(scope="session")
def mongodb_uri(mongo_server: MongoServer) -> str:
    """Connection string of the session's server."""
    return mongo_server.uri


@pytest.fixture
def database_name() -> Iterator[str]:
    """A database name no other test uses, so tests never see each other's documents."""
    yield f"test_{uuid.uuid4().hex[:12]}"
