"""Browser end-to-end helpers: the built web app served by `vite preview`, Debian's chromium, axe-core.

Chromium must start: a browser test that cannot launch its browser fails, it is never skipped
(not even with CI=true), so a machine without chromium cannot pass `make test` by accident.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright

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
        env={"AUTH_URL": stack.url("auth"), "PROFILE_URL": stack.url("profile")},
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
    page.add_script_tag(path=str(AXE))
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
