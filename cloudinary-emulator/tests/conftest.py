"""Fixtures shared by the emulator's tests."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cloudinary
import msgspec
import pytest
import uvicorn
from litestar.testing import TestClient

from cloudinary_emulator.app import create_app
from cloudinary_emulator.config import Settings
from devstack.mongo import free_port
from tests.conftest_values import API_KEY, API_SECRET, CLOUD_NAME, TEST_CLOUDINARY_URL
from tests.helpers import wait_until

PRESETS = {
    "avatars_unsigned": {"unsigned": True, "folder": "avatars", "tags": "preset"},
    "signed_only": {"folder": "x"},
}


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test emulator: Cloudinary's notification retry schedule, scaled down, one unsigned preset."""
    values: dict[str, object] = {
        "cloudinary_url": TEST_CLOUDINARY_URL,
        "data_dir": str(data_dir),
        "upload_presets": PRESETS,
        # Cloudinary's 3/6/9-minute schedule at 1/2000: retries after 0.09, 0.18 and 0.27 s.
        "notification_time_scale": 0.0005,
        "notification_timeout": 2.0,
        "log_level": "WARNING",
    }
    return msgspec.convert(values | overrides, Settings)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """An emulator with its own data directory."""
    return make_settings(tmp_path / "emulator")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The whole app with its lifespan running."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


class LiveEmulator:
    """A real uvicorn server in a background thread, for the synchronous SDK."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.base_url()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=settings.port, log_config=None, ws="none", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveEmulator":
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveEmulator]:
    """One live emulator for the conformance tests (tests use distinct public ids)."""
    port = free_port()
    settings = make_settings(tmp_path_factory.mktemp("live"), port=port)
    with LiveEmulator(settings) as emulator:
        yield emulator


@pytest.fixture
def sdk(live: LiveEmulator) -> Iterator[LiveEmulator]:
    """The official SDK pointed at the live emulator through upload_prefix only; faults and log reset."""
    cloudinary.reset_config()
    cloudinary.config(cloud_name=CLOUD_NAME, api_key=API_KEY, api_secret=API_SECRET, upload_prefix=live.base_url)
    import httpx

    httpx.post(live.base_url + "/_emulator/reset")
    yield live
    httpx.post(live.base_url + "/_emulator/reset")
    cloudinary.reset_config()


class Received(msgspec.Struct):
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        """The body as JSON."""
        value: dict[str, Any] = json.loads(self.body)
        return value


class Receiver:
    """A tiny webhook receiver on a free port; answers with `statuses` in turn, then 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.received.append(
                    Received(path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, body=body)
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver for notification tests."""
    webhook = Receiver()
    yield webhook
    webhook.close()
