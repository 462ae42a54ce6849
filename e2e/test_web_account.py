"""Account pages in Debian's chromium against the real stack (emulator, auth-service, profile-service,
the in-process mail sink, the built web app under `vite preview`).

- Two-step verification: enrol from the QR page (the "scan" reads the setup key shown for manual entry and
  checks it against the otpauth URI), confirm with a pyotp code, recovery codes shown once; sign in with a
  code (after a wrong one), then with a recovery code; activity newest first with "Load more"; turning it
  off after a confirmation.
- Password reset through the mail sink: the e-mailed link's token on the reset page, the new password
  works, the link works once, the old password no longer does.
- Privacy: a private profile is "not found" for a signed-out visitor and for another signed-in user,
  visible to its owner, and back for everyone once public; location and website on the public page; the
  dark theme preference applies at once and follows the account to a fresh browser.
- E-mail change confirmed from the link while signed in, then account deletion with its confirmation.

axe-core checks every new page (no serious or critical violations); screenshots, light and dark, land in
e2e/artifacts/web-account-*.png.
"""

import itertools
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pyotp
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.browser import WatchedBrowser, assert_accessible
from e2e.stack import ARTIFACTS, Stack

TIMEOUT_MS = 15_000
PASSWORD = "correct horse battery"


class Authenticator:
    """What the phone app does: TOTP codes for a secret, never the same time step twice.

    The service accepts one step either side of its own and only steps newer than the last one used. A code
    for the current step or the next one is valid whichever side of a step boundary the request lands on.
    """

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step: int | None = None

    def code(self) -> str:
        now_step = int(time.time()) // 30
        step = now_step if self.last_step is None else max(self.last_step + 1, now_step)
        assert step <= now_step + 1, "more TOTP codes asked for than the time window allows"
        self.last_step = step
        return self.totp.at(step * 30)


def register(stack: Stack, prefix: str) -> dict[str, str]:
    """A fresh account through the API (the registration page has its own test)."""
    username = f"{prefix}_{uuid.uuid4().hex[:8]}"
    user = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    response = httpx.post(stack.url("auth", "/auth/register"), json=user, timeout=10.0)
    assert response.status_code == 201, response.text
    return user


def new_page(browser: WatchedBrowser, scheme: str = "light") -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"web-account-{name}.png"), full_page=True)


def sign_in(page: Page, web: str, login: str, password: str = PASSWORD, next_path: str = "/") -> None:
    """The first sign-in step from a fresh sign-in page (a second factor, if any, is left to the caller)."""
    page.goto(f"{web}/sign-in" + ("" if next_path == "/" else f"?next={next_path}"))
    page.get_by_label("Email or username").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))


def wait_for_mail(stack: Stack, to: str, path: str, timeout: float = 15.0) -> dict[str, Any]:
    """The newest message to `to` holding a link to `path` (the outbox sends it in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        for message in reversed(stack.mail()):
            if to in str(message["to"]) and any(path in link for link in message["links"]):
                found: dict[str, Any] = message
                return found
        if time.monotonic() > deadline:
            seen = [(m["to"], m["subject"]) for m in stack.mail()]
            pytest.fail(f"no e-mail to {to} with a {path} link within {timeout}s; caught: {seen}")
        time.sleep(0.2)


def link_in(message: dict[str, Any], web: str, path: str) -> str:
    """The e-mailed link on the web app under test: its path and token (the stack mails its default web URL)."""
    link = next(link for link in message["links"] if path in link)
    token = parse_qs(urlparse(link).query)["token"][0]
    return f"{web}{path}?token={token}"


def test_two_step_verification_enrol_sign_in_and_turn_off(stack: Stack, web: str, browser: WatchedBrowser) -> None:
    user = register(stack, "mfa")
    # Ten more sign-ins through the API, so the activity list has more than one page.
    for _ in range(10):
        response = httpx.post(
            stack.url("auth", "/auth/login"), json={"login": user["username"], "password": PASSWORD}, timeout=10.0
        )
        assert response.status_code == 200, response.text
    browser.expect_status(r"/auth/login/mfa$", 401)  # the wrong code
    context, page, errors = new_page(browser)

    sign_in(page, web, user["username"], next_path="/settings/security")
    expect(page).to_have_url(re.compile(r"/settings/security$"))
    expect(page.get_by_role("heading", name="Security", level=1)).to_be_visible()
    expect(page.get_by_test_id("mfa-status")).to_have_text("Off")
    assert_accessible(page, "account-security")

    # Enrol: the QR code shows as an image, the setup key and the otpauth URI as text.
    page.get_by_role("button", name="Set up two-step verification").click()
    qr = page.get_by_test_id("mfa-qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("alt", re.compile(r"QR code"))
    qr.evaluate("i => i.decode()")  # resolves once the image has loaded and decoded, rejects if it cannot
    assert qr.evaluate("i => i.naturalWidth") > 0
    assert str(qr.get_attribute("src")).startswith("data:image/svg+xml")
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_focused()
    secret = page.get_by_test_id("mfa-secret").inner_text().replace(" ", "")
    page.get_by_text("Show the setup link").click()
    uri = page.get_by_test_id("mfa-uri").inner_text()
    assert uri.startswith("otpauth://totp/"), uri
    assert parse_qs(urlparse(uri).query)["secret"] == [secret], (uri, secret)
    phone = Authenticator(secret)
    shot(page, "01-mfa-enrol")
    assert_accessible(page, "account-mfa-enrol")

    page.get_by_label("Enter the 6-digit code the app shows").fill(phone.code())
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", c) for c in codes), codes
    shot(page, "02-mfa-recovery-codes")
    assert_accessible(page, "account-mfa-recovery-codes")
    page.get_by_role("button", name="I've saved them").click()
    expect(page.get_by_test_id("recovery-codes")).to_have_count(0)
    expect(page.get_by_test_id("mfa-status")).to_have_text("On")
    expect(page.get_by_text("Recovery codes left: 10.")).to_be_visible()

    # Sign in again: the password alone leads to the code step; a wrong code is refused, the right one works.
    sign_out(page)
    sign_in(page, web, user["email"])
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    code_field = page.get_by_label("Authentication code")
    expect(code_field).to_be_focused()
    assert_accessible(page, "sign-in-mfa")
    code_field.fill("000000")
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code didn't work")
    shot(page, "03-sign-in-mfa-wrong-code")
    page.get_by_label("Authentication code").fill(phone.code())
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Hello, "))).to_be_visible()

    # …and once with a recovery code instead.
    sign_out(page)
    sign_in(page, web, user["username"])
    page.get_by_role("button", name="Use a recovery code instead").click()
    page.get_by_label("Recovery code").fill(codes[0])
    shot(page, "04-sign-in-recovery-code")
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Hello, "))).to_be_visible()

    # Activity: newest first (this recovery-code sign-in), one page at a time.
    answers: list[tuple[str, dict[str, Any]]] = []
    page.on("response", lambda r: answers.append((r.url, r.json())) if "/auth/activity" in r.url else None)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Activity").click()
    expect(page.get_by_role("heading", name="Account activity")).to_be_visible()
    items = page.get_by_test_id("activity-list").locator("li")
    expect(items).to_have_count(10)
    newest = " | ".join(items.nth(i).inner_text() for i in range(2))
    assert "Signed in with password and recovery code" in newest, newest
    expect(page.get_by_test_id("activity-list")).to_contain_text("Failed sign-in attempt: wrong verification code")
    expect(page.get_by_test_id("activity-list")).to_contain_text("Two-step verification turned on")
    shot(page, "05-activity")
    assert_accessible(page, "account-activity")
    while page.get_by_role("button", name="Load more").count():
        with page.expect_response(lambda r: "/auth/activity" in r.url):
            page.get_by_role("button", name="Load more").click()
        expect(page.get_by_text("Loading…")).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="That's everything.")).to_be_visible()
    (ARTIFACTS / "web-account-activity-answers.json").write_text(json.dumps(answers, indent=1))
    # The page asked for each next page with the cursor the previous one gave, and shows each event once,
    # newest first (keyset order: time, then id).
    assert len(answers) >= 2 and answers[0][1]["next_cursor"], answers
    for (_, previous), (url, _) in itertools.pairwise(answers):
        assert parse_qs(urlparse(url).query)["cursor"] == [previous["next_cursor"]], url
    shown = items.evaluate_all("li => li.map(l => [l.querySelector('time').dateTime, l.dataset.eventId])")
    assert len({event_id for _, event_id in shown}) == len(shown), shown
    assert shown == sorted(shown, reverse=True), shown
    served = {e["id"] for _, answer in answers for e in answer["events"]}
    assert {event_id for _, event_id in shown} == served
    # 11 password sign-ins, MFA on, a failed code, 2 MFA sign-ins, a recovery code used: every one, once.
    assert len(shown) == 16, f"{len(shown)} distinct events over {len(answers)} pages"

    # Turn it off, after a confirmation (the recovery-code sign-in just now is recent: no step-up asked).
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Security").click()
    expect(page.get_by_text("Recovery codes left: 9.")).to_be_visible()
    page.get_by_role("button", name="Turn off two-step verification").click()
    expect(page.get_by_role("heading", name="Turn off two-step verification?")).to_be_focused()
    page.get_by_role("button", name="Turn off two-step verification").click()
    expect(page.get_by_test_id("mfa-status")).to_have_text("Off")
    expect(page.get_by_role("status").filter(has_text="Two-step verification is off.")).to_be_visible()

    assert errors == [], f"uncaught errors in the page: {errors}"
    context.close()


def test_password_reset_through_the_mail_sink(stack: Stack, web: str, browser: WatchedBrowser) -> None:
    user = register(stack, "reset")
    browser.expect_status(r"/auth/password-reset/confirm$", 410)  # the link used a second time
    browser.expect_status(r"/auth/login$", 401)  # the old password
    context, page, errors = new_page(browser, "dark")

    page.goto(f"{web}/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert_accessible(page, "forgot-password-dark")
    page.get_by_label("Email").fill(user["email"].upper())
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_test_id("reset-requested")).to_contain_text("we've sent it a link")
    shot(page, "06-forgot-password-dark")

    message = wait_for_mail(stack, user["email"], "/reset-password")
    reset_url = link_in(message, web, "/reset-password")
    page.goto(reset_url)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert_accessible(page, "reset-password-dark")
    new_password = "a brand new passphrase"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Repeat the new password").fill("a brand new passphrasE")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("The two passwords don't match.")).to_be_visible()
    page.get_by_label("Repeat the new password").fill(new_password)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_test_id("reset-done")).to_be_visible()
    shot(page, "07-reset-done-dark")

    # The link works once.
    page.goto(reset_url)
    page.get_by_label("New password", exact=True).fill("yet another passphrase")
    page.get_by_label("Repeat the new password").fill("yet another passphrase")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_test_id("reset-link-error")).to_contain_text("already been used")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()

    # The old password is refused, the new one signs in.
    sign_in(page, web, user["username"], PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("don't match")
    sign_in(page, web, user["username"], new_password)
    expect(page.get_by_role("heading", name=re.compile(r"^Hello, "))).to_be_visible()

    assert errors == [], f"uncaught errors in the page: {errors}"
    context.close()


def test_privacy_switch_public_profile_and_theme(stack: Stack, web: str, browser: WatchedBrowser) -> None:
    owner = register(stack, "priv")
    other = register(stack, "other")
    # The private profile, for the signed-out visitor and for another signed-in user.
    browser.expect_status(rf"/profiles/{owner['username']}$", 404)
    context, page, errors = new_page(browser)
    visitor_context, visitor, visitor_errors = new_page(browser)
    profile_url = f"{web}/u/{owner['username']}"

    # Location/address and website on the profile page.
    sign_in(page, web, owner["username"], next_path="/profile")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    page.get_by_label("Display name").fill("Priya Public")
    page.get_by_label("Location or address").fill("12 Harbour Street, Bergen")
    page.get_by_label("Website").fill("priya.example.com")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(page.get_by_label("Website")).to_have_value("https://priya.example.com")

    # Public: a signed-out visitor sees it.
    visitor.goto(profile_url)
    card = visitor.get_by_test_id("public-profile")
    expect(card.get_by_role("heading", name="Priya Public")).to_be_visible()
    expect(card).to_contain_text("12 Harbour Street, Bergen")
    expect(card.get_by_role("link", name=re.compile(r"priya\.example\.com"))).to_have_attribute(
        "href", "https://priya.example.com"
    )
    shot(visitor, "08-public-profile")
    assert_accessible(visitor, "public-profile")

    # Private: the owner switches it; the visitor and another signed-in user get "not found".
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Preferences and privacy").click()
    expect(page.get_by_role("heading", name="Preferences and privacy")).to_be_visible()
    expect(page.get_by_role("radio", name="Public")).to_be_checked()
    assert_accessible(page, "preferences")
    page.get_by_role("radio", name="Private").check()
    expect(page.get_by_test_id("privacy-status")).to_have_text("Your profile is now private.")
    shot(page, "09-preferences-private")

    visitor.reload()
    expect(visitor.get_by_role("heading", name="Profile not found")).to_be_visible()
    expect(visitor.get_by_test_id("public-profile")).to_have_count(0)
    shot(visitor, "10-private-not-found")
    assert_accessible(visitor, "profile-not-found")
    sign_in(visitor, web, other["username"])
    expect(visitor.get_by_role("heading", name=re.compile(r"^Hello, "))).to_be_visible()
    visitor.goto(profile_url)
    expect(visitor.get_by_role("heading", name="Profile not found")).to_be_visible()

    # The owner still sees it, marked private.
    page.get_by_role("link", name="See your public profile").click()
    expect(page.get_by_test_id("private-note")).to_be_visible()
    expect(page.get_by_test_id("public-profile")).to_contain_text("Priya Public")
    page.go_back()

    # Public again: the other user sees it.
    page.get_by_role("radio", name="Public").check()
    expect(page.get_by_test_id("privacy-status")).to_have_text("Your profile is now public.")
    visitor.reload()
    expect(visitor.get_by_test_id("public-profile").get_by_role("heading", name="Priya Public")).to_be_visible()

    # Theme: dark applies to the whole app at once (the system is light here), and is saved.
    background = "() => getComputedStyle(document.documentElement).backgroundColor"
    light_bg = page.evaluate(background)
    page.get_by_role("radio", name="Dark").check()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate(background) != light_bg
    expect(page.get_by_test_id("prefs-status")).to_have_text("Theme saved: dark.")
    page.get_by_label("By text message (SMS)").check()
    expect(page.get_by_test_id("prefs-status")).to_have_text("By text message (SMS): on.")
    shot(page, "11-preferences-dark")
    assert_accessible(page, "preferences-dark")
    page.goto(profile_url)
    expect(page.get_by_test_id("public-profile")).to_be_visible()
    shot(page, "12-public-profile-dark")
    assert_accessible(page, "public-profile-dark")

    # A fresh browser (no local storage) gets the theme and choices from the account.
    fresh_context, fresh, fresh_errors = new_page(browser)
    sign_in(fresh, web, owner["username"], next_path="/settings/preferences")
    expect(fresh.get_by_role("heading", name="Preferences and privacy")).to_be_visible()
    expect(fresh.locator("html")).to_have_attribute("data-theme", "dark")
    expect(fresh.get_by_role("radio", name="Dark")).to_be_checked()
    expect(fresh.get_by_label("By text message (SMS)")).to_be_checked()
    fresh.get_by_role("radio", name="Same as my device").check()
    expect(fresh.locator("html")).not_to_have_attribute("data-theme", re.compile(r"."))
    expect(fresh.get_by_test_id("prefs-status")).to_have_text("Theme saved: same as my device.")

    assert errors == [] and visitor_errors == [] and fresh_errors == [], (errors, visitor_errors, fresh_errors)
    for ctx in (context, visitor_context, fresh_context):
        ctx.close()


def test_email_change_and_account_deletion(stack: Stack, web: str, browser: WatchedBrowser) -> None:
    user = register(stack, "bye")
    new_email = f"new-{user['email']}"
    browser.expect_status(r"/auth/login$", 401)  # the deleted account's sign-in
    browser.expect_status(rf"/profiles/{user['username']}$", 404)  # its profile, gone
    context, page, errors = new_page(browser)

    sign_in(page, web, user["username"], next_path="/settings/account")
    expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()
    expect(page.get_by_test_id("current-email")).to_have_text(user["email"])
    assert_accessible(page, "account")
    page.get_by_label("New email address").fill(new_email)
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.get_by_role("status").filter(has_text="We sent a confirmation link")).to_be_visible()

    # The link from the new address's mailbox, opened in the same (signed-in) browser.
    page.goto(link_in(wait_for_mail(stack, new_email, "/confirm-email"), web, "/confirm-email"))
    expect(page.get_by_test_id("email-confirmed")).to_contain_text(new_email)
    assert_accessible(page, "confirm-email")
    page.get_by_role("link", name="Back to your account settings").click()
    expect(page.get_by_test_id("current-email")).to_have_text(new_email)

    # Deleting asks for an explicit confirmation ("Keep my account" backs out); the sign-in is recent, so no
    # step-up (test_web_sessions.py has the stale case).
    page.get_by_role("button", name="Delete account…").click()
    expect(page.get_by_role("heading", name=re.compile(r"Are you sure"))).to_be_focused()
    page.get_by_role("button", name="Keep my account").click()
    expect(page.get_by_role("button", name="Delete account…")).to_be_focused()
    page.get_by_role("button", name="Delete account…").click()
    delete = page.get_by_role("button", name="Delete my account permanently")
    expect(delete).to_be_disabled()
    page.get_by_label("I understand that my account and pictures will be deleted permanently.").check()
    shot(page, "13-delete-confirm")
    assert_accessible(page, "delete-confirm")
    delete.click()
    expect(page.get_by_role("heading", name="Your account is being deleted")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    shot(page, "14-goodbye")

    # Signed out everywhere: the account no longer signs in, and (once the outbox ran) its profile is gone.
    deadline = time.monotonic() + 15
    while httpx.get(stack.url("profile", f"/profiles/{user['username']}"), timeout=5.0).status_code != 404:
        assert time.monotonic() < deadline, "the profile was not deleted within 15 s"
        time.sleep(0.2)
    sign_in(page, web, user["username"])
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.goto(f"{web}/u/{user['username']}")
    expect(page.get_by_role("heading", name="Profile not found")).to_be_visible()

    assert errors == [], f"uncaught errors in the page: {errors}"
    context.close()
