"""The web app in a real browser when the signing quota is spent: the uploader says how long to wait, not that
something went wrong, and nothing is posted to Cloudinary.

The stack allows one upload per hour; the user spends it through the API, then tries in the browser.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Request, expect

from devstack.mongo import MongoServer
from e2e.browser import WatchedBrowser
from e2e.conftest import running_stack
from e2e.pipeline import image_bytes, register, sign
from e2e.stack import ARTIFACTS, Stack
from e2e.test_web_account import sign_in

TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def stack(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack with one signed upload allowed per user and hour (`web` serves the app against this one)."""
    with running_stack(mongo_server, tmp_path_factory, profile={"PROFILE_MAX_UPLOADS_PER_HOUR": "1"}) as running:
        yield running


def test_a_spent_quota_shows_the_wait_in_the_uploader(
    stack: Stack, web: str, browser: WatchedBrowser, tmp_path: Path
) -> None:
    user = register(stack)
    sign(stack, user)  # the hour's one upload
    browser.expect_status(r"/profiles/me/avatar/uploads$", 429)  # the signing request past the quota
    photo = tmp_path / "photo.png"
    photo.write_bytes(image_bytes(400, 400))

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    uploads: list[Request] = []
    page.on("request", lambda r: uploads.append(r) if r.method == "POST" and r.url.endswith("/image/upload") else None)
    sign_in(page, web, user.username, user.password, next_path="/profile")
    expect(page).to_have_url(re.compile(r"/profile$"))

    page.get_by_test_id("avatar-file").set_input_files(str(photo))
    expect(page.get_by_test_id("upload-start")).to_be_enabled()
    page.get_by_test_id("upload-start").click()

    # The grant was made moments ago, so it leaves the rolling hour in (just under) an hour.
    expect(page.get_by_test_id("upload-error")).to_have_text("Too many uploads right now. Try again in 1 hour.")
    # "Try again" waits for the countdown (an hour here).
    expect(page.get_by_test_id("upload-retry")).to_be_disabled()
    page.screenshot(path=str(ARTIFACTS / "web-upload-quota.png"), full_page=True)
    assert uploads == []
    context.close()
