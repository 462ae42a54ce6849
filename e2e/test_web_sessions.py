"""Sessions and step-up in Debian's chromium against the real stack.

Two browser contexts are two devices signed in to one account. The first lists both in Security → "Where
you're signed in" and signs the other out: the other's next refresh fails and it lands on the sign-in page. A
password change in one signs the other out too. Then, once the first device's sign-in is older than
`AUTH_FRESH_SECONDS` (30 s in this module's stack, the smallest the service accepts), deleting the account
answers step-up: the step-up dialog asks for the password (Escape cancels and nothing happens, a wrong one is
refused), and with the right one the deletion goes through. A "This wasn't me" link from a new-sign-in
e-mail signs that device out.

axe-core checks the sessions section and the dialog; screenshots land in e2e/artifacts/web-sessions-*.png.
"""

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from devstack.mongo import MongoServer
from e2e.browser import WatchedBrowser, assert_accessible
from e2e.conftest import running_stack
from e2e.stack import ARTIFACTS, Stack
from e2e.test_web_account import PASSWORD, link_in, new_page, register, sign_in, wait_for_mail

FRESH_SECONDS = 30
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture(scope="module")
def stack(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """This module's own stack, whose sign-ins go stale after 30 s instead of 5 minutes."""
    with running_stack(mongo_server, tmp_path_factory, auth={"AUTH_FRESH_SECONDS": str(FRESH_SECONDS)}) as running:
        yield running


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"web-sessions-{name}.png"), full_page=True)


def signed_in(page: Page, web: str, login: str, password: str = PASSWORD) -> float:
    """Sign in and wait for the home page; when (epoch seconds, just before the sign-in was sent)."""
    started = time.time()
    sign_in(page, web, login, password)
    expect(page.get_by_role("heading", name=re.compile(r"^Hello, "))).to_be_visible()
    return started


def open_security(page: Page, web: str) -> None:
    page.goto(f"{web}/settings/security")
    expect(page.get_by_role("heading", name="Security", level=1)).to_be_visible()


def test_sessions_sign_out_elsewhere_and_step_up_before_deletion(
    stack: Stack, web: str, browser: WatchedBrowser
) -> None:
    user = register(stack, "sess")
    browser.expect_status(r"/auth/refresh$", 401)  # the device signed out from elsewhere, on its next page load
    browser.expect_status(r"/auth/me$", 401)  # the deletion with a stale sign-in: step up first
    browser.expect_status(r"/auth/reauthenticate$", 401)  # the wrong password in the step-up dialog
    first_context, first, first_errors = new_page(browser)
    other_context, other, other_errors = new_page(browser)

    first_signed_in_at = signed_in(first, web, user["username"])
    signed_in(other, web, user["username"])

    # The first device sees both sessions, itself marked, and signs the other one out.
    open_security(first, web)
    section = first.get_by_test_id("sessions")
    rows = section.get_by_test_id("session")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("This device")
    expect(rows.first).to_contain_text("Network 127.0.0.0/24")
    expect(rows.first).to_contain_text(re.compile(r"Chrome \d+ on Linux"))
    expect(section.get_by_role("button", name="Sign out everywhere else")).to_be_enabled()
    section.scroll_into_view_if_needed()
    shot(first, "01-sessions")
    assert_accessible(first, "sessions")
    section.get_by_role("button", name=re.compile(r"^Sign out Chrome")).click()
    expect(section.get_by_role("status")).to_contain_text("was signed out.")
    expect(rows).to_have_count(1)
    expect(section.get_by_role("button", name="Sign out everywhere else")).to_be_disabled()

    # The other device's next refresh (a page load) fails: it lands on the sign-in page.
    open_security_url = f"{web}/settings/security"
    other.goto(open_security_url)
    expect(other).to_have_url(re.compile(r"/sign-in\?next="))

    # Signed in there again; a password change on the first device signs it out once more.
    signed_in(other, web, user["username"])
    open_security(first, web)
    expect(first.get_by_test_id("session")).to_have_count(2)
    new_password = "a fresh passphrase here"
    first.get_by_label("Current password").fill(PASSWORD)
    first.get_by_label("New password", exact=True).fill(new_password)
    first.get_by_label("Repeat the new password").fill(new_password)
    first.get_by_role("button", name="Change password").click()
    expect(first.get_by_role("status").filter(has_text="Password changed.")).to_be_visible()
    other.goto(open_security_url)
    expect(other).to_have_url(re.compile(r"/sign-in\?next="))

    # The first sign-in is now waited out: the one condition here is time itself (the freshness window).
    while time.time() < first_signed_in_at + FRESH_SECONDS + 1:
        time.sleep(0.5)

    # Deleting the account with that stale sign-in: the step-up dialog asks for the password.
    first.goto(f"{web}/settings/account")
    first.get_by_role("button", name="Delete account…").click()
    first.get_by_label("I understand that my account and pictures will be deleted permanently.").check()
    delete = first.get_by_role("button", name="Delete my account permanently")
    delete.click()
    dialog = first.get_by_role("dialog", name="Confirm it's you")
    expect(dialog).to_be_visible()
    password_field = dialog.get_by_label("Password")
    expect(password_field).to_be_focused()
    shot(first, "02-step-up-dialog")
    assert_accessible(first, "step-up-dialog")
    # Focus stays inside the modal dialog.
    for _ in range(4):
        first.keyboard.press("Tab")
        assert first.evaluate("() => !!document.activeElement.closest('dialog')"), "focus left the dialog"

    # Escape cancels: the dialog closes, the deletion was not sent again and says why.
    first.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(first.get_by_role("alert")).to_contain_text("confirm it's you")
    expect(first.get_by_role("heading", name="Your account is being deleted")).to_have_count(0)

    # Again: a wrong password is refused inside the dialog, the right one (the new password) lets it proceed.
    delete.click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("Password").fill("not my password")
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog.get_by_text("That password isn't right.")).to_be_visible()
    dialog.get_by_label("Password").fill(new_password)
    dialog.get_by_role("button", name="Continue").click()
    expect(first.get_by_role("heading", name="Your account is being deleted")).to_be_visible()
    expect(dialog).to_be_hidden()

    assert first_errors == [] and other_errors == [], (first_errors, other_errors)
    first_context.close()
    other_context.close()


def test_a_new_device_mail_and_its_not_me_link(stack: Stack, web: str, browser: WatchedBrowser) -> None:
    user = register(stack, "notme")
    browser.expect_status(r"/auth/refresh$", 401)  # the phone, signed out by the link, on its next page load
    browser.expect_status(r"/auth/sessions/not-me$", 400)  # the link used a second time
    context, page, errors = new_page(browser)
    phone: BrowserContext = browser.new_context(user_agent=ANDROID)
    phone_page = phone.new_page()

    signed_in(page, web, user["username"])
    signed_in(phone_page, web, user["username"])
    message = wait_for_mail(stack, user["email"], "/not-me")
    assert message["subject"] == "New sign-in to your account"
    assert "Device: Chrome on Android" in message["text"]
    assert "from network 127.0.0.0/24" in message["text"]

    page.goto(link_in(message, web, "/not-me"))
    expect(page.get_by_role("heading", name="Secure your account")).to_be_visible()
    assert_accessible(page, "not-me")
    page.get_by_role("button", name="Sign that device out").click()
    expect(page.get_by_test_id("not-me-done")).to_contain_text("We signed that session out")
    shot(page, "03-not-me")
    wait_for_mail(stack, user["email"], "/reset-password")
    phone_page.goto(f"{web}/settings/security")
    expect(phone_page).to_have_url(re.compile(r"/sign-in\?next="))
    # The link works once.
    page.reload()
    page.get_by_role("button", name="Sign that device out").click()
    expect(page.get_by_test_id("not-me-error")).to_contain_text("already been used")

    assert errors == [], errors
    context.close()
    phone.close()
