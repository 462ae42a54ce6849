"""Browser end-to-end helpers: the built web app served by `vite preview`, Debian's chromium, axe-core, and the
console watch every browser test runs under.

Chromium must start: a browser test that cannot launch its browser fails, it is never skipped
(not even with CI=true), so a machine without chromium cannot pass `make test` by accident.

A browser test gets a `WatchedBrowser` (the `browser` fixture): every context it opens records console errors,
uncaught page errors, failed requests and responses >= 400, and the test fails at teardown on any of them it did
not declare with `expect_status(url, status)`, `expect_failed_request(url)` or `expect_console(pattern)`. A
declaration that nothing matched fails it too, so the declarations stay a true list of what each test provokes.
A request the browser aborts because its page went on to a new document meanwhile is not a failure.
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    WebError,
    sync_playwright,
)

from devstack.mongo import free_port
from devstack.processes import ServerProcess
from e2e.stack import ARTIFACTS, ROOT, Stack

WEB = ROOT / "web"
# Debian's chromium here and in CI; CHROMIUM_PATH names another Chromium-family binary (GitHub's Ubuntu
# runners ship Google Chrome, and their `apt-get install chromium` is only a snap shim).
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"


# One build per test run: xdist's workers share PYTEST_XDIST_TESTRUNUID; a run without xdist is this process.
_RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
DIST = WEB / "dist"


def build_web() -> Path:
    """`npm ci` when needed, then `npm run build`, once per test run; fails the test with npm's output if either
    fails. Workers take turns under a file lock, and a later one reuses the build: rebuilding would replace the
    files another worker's `vite preview` is serving."""
    stamp = DIST / ".e2e-run"
    # Outside web/: `npm ci` replaces node_modules, and a lock file deleted while held locks nothing.
    lock_path = Path(tempfile.gettempdir()) / f"e2e-web-build-{hashlib.sha256(bytes(WEB)).hexdigest()[:12]}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == _RUN_ID:
            return DIST
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed: the browser test needs it to build the web app")
        vite = WEB / "node_modules" / ".bin" / "vite"
        steps = [] if vite.exists() else [[npm, "ci", "--no-audit", "--no-fund"]]
        for args in [*steps, [npm, "run", "build"]]:
            done = subprocess.run(args, cwd=WEB, capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                pytest.fail(f"{' '.join(args[1:])} failed in web/:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        stamp.write_text(_RUN_ID)
    return DIST


@contextmanager
def serve_web(stack: Stack, port: int | None = None) -> Iterator[str]:
    """`vite preview` of the built app, proxying /auth, /.well-known and /profiles to this stack (on `port`, or a
    free one)."""
    port = port or free_port()
    process = ServerProcess(
        name="web",
        args=[
            str(WEB / "node_modules" / ".bin" / "vite"),
            "preview",
            str(WEB),
            "--config",
            str(WEB / "vite.config.ts"),
            "--port",
            str(port),
            "--strictPort",
            "--host",
            "127.0.0.1",
        ],
        env={
            "AUTH_URL": stack.url("auth"),
            "PROFILE_URL": stack.url("profile"),
            # The Content-Security-Policy (deploy/nginx/templates) allows uploads to and pictures from here.
            "CLOUDINARY_API_ORIGIN": stack.url("emulator"),
            "CLOUDINARY_DELIVERY_ORIGINS": stack.url("emulator"),
        },
        base_url=f"http://127.0.0.1:{port}",
        log_path=ARTIFACTS / f"{stack.run_id}-web.log",
        health_path="/",
    )
    process.start()
    try:
        yield process.base_url
    finally:
        process.stop()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium through Playwright; a launch failure fails the test loudly."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/install-system-deps.sh)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Exception as exc:  # Playwright raises its own Error type; any failure here is fatal
            pytest.fail(f"chromium could not start: {exc}")
        try:
            yield browser
        finally:
            browser.close()


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core on the page; the violations of the given impacts, summarized."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in web/")
    # Evaluated through DevTools, not added as an inline <script>: the page's CSP refuses inline scripts.
    page.evaluate(AXE.read_text())
    results: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in impacts
    ]


def assert_accessible(page: Page, name: str) -> None:
    """No serious or critical axe-core violations; the full report is kept as an artifact."""
    violations = axe_violations(page)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(violations, indent=2))
    assert violations == [], f"axe-core found serious problems on {name}:\n{json.dumps(violations, indent=2)}"


def posted_bytes(request: Request) -> int:
    """The request body's size: Playwright's copy of it when it has one, else what went on the wire.

    Chromium does not hand a Blob/File body to the DevTools protocol, so for a multipart upload of a
    file `post_data_buffer` is empty; the Content-Length the network stack sent is the same number.
    """
    body = request.post_data_buffer
    if body:
        return len(body)
    length = request.all_headers().get("content-length")
    assert length is not None, f"no body and no Content-Length recorded for {request.url}"
    return int(length)


# Chromium prints every failed response and request to the console as well ("Failed to load resource: the server
# responded with a status of 401 (Unauthorized)", "... net::ERR_ABORTED"), naming the resource as the message's
# location: such a message is judged as the network event it repeats, so one expected 401 is declared once.
RESOURCE_ERROR = re.compile(r"^Failed to load resource: ")


@dataclass
class Event:
    """One thing a page did that a clean console has none of."""

    kind: str  # "console", "pageerror", "requestfailed" or "response"
    url: str
    detail: str  # the message, the error text, or the status code
    status: int | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.url or '(no url)'}: {self.detail}"


@dataclass
class Expectation:
    """A declared event: `kind` events whose URL (or, for console messages, text) `pattern` searches."""

    kind: str
    pattern: re.Pattern[str]
    status: int | None = None
    seen: int = 0

    def matches(self, event: Event) -> bool:
        """Whether `event` is this declared one (console and page errors by their text, the rest by URL)."""
        if event.kind != self.kind and not (self.kind == "console" and event.kind == "pageerror"):
            return False
        subject = event.detail if self.kind == "console" else event.url
        return self.pattern.search(subject) is not None and (self.status is None or event.status == self.status)

    def __str__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        return f"{self.kind}{status} /{self.pattern.pattern}/"


@dataclass
class ConsoleWatch:
    """What the watched contexts recorded, and what the test said to expect; `problems()` judges them."""

    events: list[Event] = field(default_factory=list)
    expected: list[Expectation] = field(default_factory=list)
    # Requests in the order they were sent, and each page's navigations (new documents) in that order.
    _sent: dict[Request, int] = field(default_factory=dict)
    _navigations: dict[Page, list[int]] = field(default_factory=dict)

    def watch(self, context: BrowserContext) -> None:
        """Record `context`'s console errors, page errors, failed requests and responses >= 400."""
        context.on("console", self._console)
        context.on("weberror", self._page_error)
        context.on("request", self._request)
        context.on("requestfailed", self._request_failed)
        context.on("response", self._response)

    def _request(self, request: Request) -> None:
        self._sent[request] = order = len(self._sent)
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self._navigations.setdefault(request.frame.page, []).append(order)

    def _left_behind(self, request: Request) -> bool:
        """Aborted because the person moved on while it was in flight: its page went to a new document (a `goto`)
        or was closed. The browser cancels such a request and prints nothing."""
        if request.failure != "net::ERR_ABORTED" or request.is_navigation_request():
            return False
        page = request.frame.page
        if page.is_closed():
            return True
        sent = self._sent.get(request, -1)
        return any(order > sent for order in self._navigations.get(page, []))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.events.append(Event("console", message.location.get("url", ""), message.text))

    def _page_error(self, error: WebError) -> None:
        url = error.page.url if error.page is not None else ""
        self.events.append(Event("pageerror", url, error.error.message))

    def _request_failed(self, request: Request) -> None:
        if self._left_behind(request):
            return
        self.events.append(Event("requestfailed", request.url, request.failure or "failed"))

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.events.append(Event("response", response.url, str(response.status), response.status))

    def problems(self) -> list[str]:
        """Each recorded event no declaration covers, then each declaration nothing matched."""
        network = {event.url for event in self.events if event.kind in ("response", "requestfailed")}
        found: list[str] = []
        for event in self.events:
            if event.kind == "console" and RESOURCE_ERROR.match(event.detail) and event.url in network:
                continue  # the network event it repeats is judged instead
            matching = [expectation for expectation in self.expected if expectation.matches(event)]
            for expectation in matching:
                expectation.seen += 1
            if not matching:
                found.append(f"unexpected {event}")
        found += [f"expected but never seen: {expectation}" for expectation in self.expected if not expectation.seen]
        return found


class WatchedBrowser:
    """The browser a test gets: `new_context` as Playwright's, each context watched by one `ConsoleWatch`."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self.console = ConsoleWatch()
        self._contexts: list[BrowserContext] = []

    def new_context(self, **options: Any) -> BrowserContext:
        """A fresh context (a device) whose pages are watched from their first request."""
        context = self._browser.new_context(**options)
        self.console.watch(context)
        self._contexts.append(context)
        return context

    def expect_status(self, url: str, status: int) -> None:
        """A response of `status` to a URL that the regex `url` matches is part of the test (a wrong password: 401)."""
        self.console.expected.append(Expectation("response", re.compile(url), status))

    def expect_failed_request(self, url: str) -> None:
        """A request to a URL matching `url` that fails without a response (aborted by a cancel, a navigation)."""
        self.console.expected.append(Expectation("requestfailed", re.compile(url)))

    def expect_console(self, pattern: str) -> None:
        """A console error or uncaught page error whose text matches the regex `pattern` is part of the test."""
        self.console.expected.append(Expectation("console", re.compile(pattern)))

    def close(self) -> list[str]:
        """Close the contexts still open (their last events are in once they are closed); the problems found."""
        for context in self._contexts:
            context.close()
        return self.console.problems()
