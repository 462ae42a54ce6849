"""Fixtures shared by the emulator's tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudinary_emulator.app import create_app
from cloudinary_emulator.config import Settings
from litestar.testing import TestClient

TEST_CLOUDINARY_URL = "cloudinary://123456789012345:test-secret-for-the-emulator-0123@test-cloud"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """An emulator with its own data directory."""
    return Settings(cloudinary_url=TEST_CLOUDINARY_URL, data_dir=str(tmp_path / "emulator"))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The whole app with its lifespan running."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
