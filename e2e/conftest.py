"""Fixtures for end-to-end tests: the stack's real processes, stopped when the test module ends."""

import contextlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from devstack.mongo import MongoServer
from e2e.browser import WatchedBrowser, build_web, chromium, serve_web
from e2e.stack import ARTIFACTS, ROOT, Stack

__all__ = ["ARTIFACTS", "ROOT", "running_stack"]


@contextlib.contextmanager
def running_stack(
    mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory, **extra_env: dict[str, str]
) -> Iterator[Stack]:
    """A stack whose processes get `extra_env[name]` on top of the `make dev` variables; stopped on exit."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    running = Stack(mongodb_uri=mongo_server.uri, work_dir=tmp_path_factory.mktemp("stack"))
    try:
        yield running.start(names=("emulator", "auth", "profile"), **extra_env)
    finally:
        running.stop()


@pytest.fixture(scope="module")
def stack(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Emulator, auth-service and profile-service running against the session's MongoDB."""
    with running_stack(mongo_server, tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def web(stack: Stack) -> Iterator[str]:
    """The built web app served by `vite preview`, proxying the APIs of this module's stack."""
    build_web()
    with serve_web(stack) as url:
        yield url


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    """Debian's chromium through Playwright (a launch failure fails the test), one per module."""
    with chromium() as running:
        yield running


@pytest.fixture
def browser(chromium_browser: Browser) -> Iterator[WatchedBrowser]:
    """The browser for one test: it fails at teardown on any console error, uncaught page error, failed request or
    response >= 400 it did not declare (`expect_status`, `expect_failed_request`, `expect_console`), and on a
    declaration nothing matched."""
    watched = WatchedBrowser(chromium_browser)
    yield watched
    if problems := watched.close():
        pytest.fail("the browser saw what this test did not expect:\n" + "\n".join(problems), pytrace=False)
