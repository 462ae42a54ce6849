"""Fixtures for end-to-end tests: the stack's real processes, stopped when the test module ends."""

from collections.abc import Iterator

import pytest

from devstack.mongo import MongoServer
from e2e.stack import ARTIFACTS, ROOT, Stack

__all__ = ["ARTIFACTS", "ROOT"]


@pytest.fixture(scope="module")
def stack(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Emulator, auth-service and profile-service running against the session's MongoDB."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    running = Stack(mongodb_uri=mongo_server.uri, work_dir=tmp_path_factory.mktemp("stack"))
    try:
        yield running.start()
    finally:
        running.stop()
