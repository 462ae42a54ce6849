"""The admin console in Debian's chromium against a moderated stack (`PROFILE_MODERATION=manual`).

A user with a live picture uploads a new one in the browser and sees it "Under review" beside the live one; an
admin (granted by auth-service's CLI) opens /console/moderation, approves that picture by keyboard and rejects
another user's with a reason; the first owner then sees the new picture on the profile and home pages, the second
the rejection and its reason. axe-core checks every console page; screenshots land in e2e/artifacts/admin-*.png.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from devstack.mongo import MongoServer
from e2e.admin import make_admin
from e2e.browser import WatchedBrowser, assert_accessible
from e2e.conftest import running_stack
from e2e.pipeline import User, exists, image_bytes, profile, register, sign, status, upload, wait_for, wait_for_status
from e2e.stack import ARTIFACTS, Stack
from e2e.test_web_account import sign_in

TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def stack(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A moderated stack with a brisk outbox (`web` serves the app against this one)."""
    env = {"profile": {"PROFILE_MODERATION": "manual", "PROFILE_OUTBOX_POLL_SECONDS": "0.2"}}
    with running_stack(mongo_server, tmp_path_factory, **env) as running:
        yield running


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def pending_through_the_api(stack: Stack, user: User, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An upload awaiting moderation, made without the browser; the ticket and Cloudinary's answer."""
    ticket = sign(stack, user)
    response = upload(ticket, image_bytes(200, 200, seed=seed))
    assert response.status_code == 200, response.text
    wait_for_status(stack, user, ticket, "awaiting_moderation")
    asset: dict[str, Any] = response.json()
    return ticket, asset


def card(page: Page, upload_id: str) -> Locator:
    """The queue's card for one upload."""
    return page.get_by_test_id("moderation-grid").locator(f'li[data-upload-id="{upload_id}"]')


def test_an_admin_approves_by_keyboard_and_rejects_with_a_reason(
    stack: Stack, web: str, browser: WatchedBrowser, tmp_path: Path
) -> None:
    admin = make_admin(stack)
    owner, other = register(stack), register(stack)
    # The owner's live picture, approved through the API.
    live_ticket, live = pending_through_the_api(stack, owner, seed=1)
    approved = httpx.post(
        stack.url("profile", f"/admin/moderation/{live_ticket['upload_id']}/approve"), headers=admin.headers, timeout=30
    )
    assert approved.status_code == 200, approved.text
    photo = tmp_path / "new.png"
    photo.write_bytes(image_bytes(480, 480, seed=2))
    errors: list[str] = []

    # The owner uploads in the browser: the new picture waits, marked "Under review", beside the live one.
    owner_context = browser.new_context(viewport={"width": 1280, "height": 900})
    owner_page = owner_context.new_page()
    owner_page.set_default_timeout(TIMEOUT_MS)
    owner_page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(owner_page, web, owner.username, owner.password, next_path="/profile")
    expect(owner_page).to_have_url(re.compile(r"/profile$"))
    owner_page.get_by_test_id("avatar-file").set_input_files(str(photo))
    expect(owner_page.get_by_test_id("upload-start")).to_be_enabled()
    owner_page.get_by_test_id("upload-start").click()
    expect(owner_page.get_by_test_id("upload-status")).to_contain_text("waiting for review")
    pending = owner_page.get_by_test_id("pending-avatar")
    expect(pending).to_contain_text("Under review")
    expect(owner_page.locator("img.profile-avatar")).to_have_attribute("src", re.compile(re.escape(live["public_id"])))
    expect(owner_page.locator(".nav-profile img")).to_have_attribute("src", re.compile(re.escape(live["public_id"])))
    shot(owner_page, "01-owner-under-review")
    assert_accessible(owner_page, "profile-under-review")
    owner_pending = profile(stack, owner)["pending_avatar"]
    assert owner_pending is not None
    other_ticket, other_asset = pending_through_the_api(stack, other, seed=3)

    # The admin opens the console from the header, then its queue.
    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = admin_context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, web, admin.username, admin.password)
    page.get_by_role("link", name="Console", exact=True).click()
    expect(page).to_have_url(re.compile(r"/console$"))
    expect(page.get_by_role("heading", name="Admin", level=1)).to_be_visible()
    shot(page, "02-console")
    assert_accessible(page, "console")
    page.goto(f"{web}/console/moderation")
    mine, theirs = card(page, owner_pending["upload_id"]), card(page, other_ticket["upload_id"])
    expect(mine).to_be_visible()
    expect(theirs).to_be_visible()
    shot(page, "03-queue")
    assert_accessible(page, "console-moderation")

    # By keyboard only: Tab from the page's heading lands on the grid's one focusable card (oldest first: the
    # owner's), "a" approves it; the other card takes the focus, "r" opens the reason dialog.
    page.get_by_role("heading", name="Pending pictures").focus()
    page.keyboard.press("Tab")
    expect(mine).to_be_focused()
    page.keyboard.press("a")
    expect(mine).to_have_count(0)
    expect(page.get_by_test_id("queue-announcement")).not_to_be_empty()
    browser_ticket = {
        "upload_id": owner_pending["upload_id"],
        "status_url": f"/profiles/me/avatar/uploads/{owner_pending['upload_id']}",
    }
    wait_for_status(stack, owner, browser_ticket, "applied")
    new_public_id = profile(stack, owner)["avatar"]["public_id"]
    assert new_public_id != live["public_id"]

    expect(theirs).to_be_focused()
    page.keyboard.press("r")
    dialog = page.get_by_test_id("reject-dialog")
    expect(dialog).to_be_visible()
    reason = dialog.get_by_label("Reason")
    expect(reason).to_be_focused()
    page.keyboard.press("Enter")  # refused without a reason: the dialog stays, the picture too
    expect(dialog).to_be_visible()
    assert status(stack, other, other_ticket)["status"] == "awaiting_moderation"
    page.keyboard.type("Not a photo of a person")
    shot(page, "04-reject-dialog")
    assert_accessible(page, "console-reject-dialog")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(theirs).to_have_count(0)
    wait_for_status(stack, other, other_ticket, "rejected")
    wait_for("the rejected asset destroyed", lambda: not exists(stack, other_asset["public_id"]))
    expect(page.get_by_text("Nothing waits for review.")).to_be_visible()
    shot(page, "05-queue-decided")

    # The users and audit pages of the console are accessible too.
    page.goto(f"{web}/console/users")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, "console-users")
    shot(page, "06-users")
    page.goto(f"{web}/console/audit")
    expect(page.get_by_test_id("picture-audit")).to_contain_text("rejected a picture of")
    expect(page.get_by_test_id("picture-audit")).to_contain_text("Not a photo of a person")
    expect(page.get_by_test_id("account-audit")).to_contain_text("granted a role to")
    assert_accessible(page, "console-audit")
    shot(page, "07-audit")

    # The owner sees the approved picture, on the profile page and at home.
    owner_page.reload()
    expect(owner_page.get_by_test_id("pending-avatar")).to_have_count(0)
    expect(owner_page.locator("img.profile-avatar")).to_have_attribute("src", re.compile(re.escape(new_public_id)))
    owner_page.get_by_role("link", name="Home", exact=True).click()
    expect(owner_page.locator("img.hero-avatar")).to_have_attribute("src", re.compile(re.escape(new_public_id)))
    shot(owner_page, "08-owner-home-approved")

    # The other user is told why.
    other_context = browser.new_context(viewport={"width": 1280, "height": 900})
    other_page = other_context.new_page()
    other_page.set_default_timeout(TIMEOUT_MS)
    sign_in(other_page, web, other.username, other.password, next_path="/profile")
    notice = other_page.get_by_test_id("moderation-notice")
    expect(notice).to_contain_text("wasn't approved")
    expect(notice).to_contain_text("Not a photo of a person")
    shot(other_page, "09-other-rejected")
    assert_accessible(other_page, "profile-rejected")

    assert errors == [], f"uncaught errors in the pages: {errors}"
    for context in (owner_context, admin_context, other_context):
        context.close()
