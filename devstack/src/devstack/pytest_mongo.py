"""pytest plugin: one MongoDB-protocol server per test session, from the project's one launcher.

Load it with `-p devstack.pytest_mongo`. The backend is printed in the session header, so every
run says whether it tested against real MongoDB or the nx-27017 stand-in.
"""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.mongo import MongoServer, start_mongodb

_SERVER = pytest.StashKey[MongoServer]()
_TMP = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Start the server before collection so the header can name it."""
    if hasattr(config, "workerinput"):
        return
    tmp = Path(tempfile.mkdtemp(prefix="pytest-mongo-"))
    config.stash[_TMP] = tmp
    config.stash[_SERVER] = start_mongodb(tmp)


def pytest_report_header(config: pytest.Config) -> str:
    """First lines of the run: which MongoDB backend the tests talk to."""
    server = config.stash.get(_SERVER, None)
    if server is None:
        return "MongoDB backend: none started"
    return f"MongoDB backend: {server.backend} at {server.uri}"


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
