"""Fixtures shared by the unit and integration tests."""

import time
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from profile_service.app import create_app
from profile_service.config import Settings


@pytest.fixture
def settings(mongodb_uri: str, database_name: str) -> Settings:
    """Settings for one test: the session's MongoDB, a database of its own."""
    return Settings(mongodb_uri=mongodb_uri, database=database_name, mongodb_timeout_ms=2000)


def wait_until_ready(client: TestClient, timeout: float = 10.0) -> None:  # type: ignore[type-arg]
    """Poll `/ready` until it answers 200 (indexes are created in the background at start-up)."""
    deadline = time.monotonic() + timeout
    while (status := client.get("/ready").status_code) != 200:
        if time.monotonic() > deadline:
            raise TimeoutError(f"/ready still answers {status}")
        time.sleep(0.02)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The whole app with its lifespan running, ready to serve."""
    with TestClient(create_app(settings)) as test_client:
        wait_until_ready(test_client)
        yield test_client
