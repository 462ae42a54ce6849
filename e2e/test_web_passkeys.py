"""Passkeys in Debian's chromium against the real stack, with Chromium's virtual authenticator (CDP `WebAuthn`):
register a passkey in Settings → Security (keyboard only), sign out, sign in with it (no password), rename it, and
once that sign-in is no longer fresh, remove it: the step-up dialog offers the passkey and it confirms the removal.

WebAuthn refuses IP addresses as relying-party ids, so the page is opened at `http://localhost:<port>` and this
module's auth-service allows exactly that origin (`AUTH_WEBAUTHN_ORIGINS`). axe-core checks the passkeys section
and the sign-in page; screenshots land in e2e/artifacts/web-passkeys-*.png.
"""

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from devstack.mongo import MongoServer, free_port
from e2e.browser import WatchedBrowser, assert_accessible, build_web, serve_web
from e2e.conftest import running_stack
from e2e.stack import ARTIFACTS, Stack
from e2e.test_web_account import PASSWORD, new_page, register, sign_in, sign_out

VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}
# The smallest freshness window the service accepts: removing the passkey waits it out to need a step-up.
FRESH_SECONDS = 30


@pytest.fixture(scope="module")
def web_port() -> int:
    """The web app's port, known before auth-service starts so its allowed origin can name it."""
    return free_port()


@pytest.fixture(scope="module")
def stack(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory, web_port: int) -> Iterator[Stack]:
    """The stack, with passkeys allowed on the web app's localhost origin."""
    settings = {"AUTH_WEBAUTHN_ORIGINS": f"http://localhost:{web_port}", "AUTH_FRESH_SECONDS": str(FRESH_SECONDS)}
    with running_stack(mongo_server, tmp_path_factory, auth=settings) as running:
        yield running


@pytest.fixture(scope="module")
def web(stack: Stack, web_port: int) -> Iterator[str]:
    """The built web app on `web_port`, addressed by name: `http://localhost:<port>`."""
    build_web()
    with serve_web(stack, port=web_port):
        yield f"http://localhost:{web_port}"


def test_register_a_passkey_sign_out_and_sign_in_with_it(stack: Stack, web: str, browser: WatchedBrowser) -> None:
    user = register(stack, "passkey")
    browser.expect_status(r"/auth/passkeys/(?!login$)[\w-]+$", 401)  # removing it with a stale sign-in: step up first
    browser.expect_status(r"/auth/passkeys/login$", 401)  # signing in with the removed passkey
    context, page, errors = new_page(browser)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator: dict[str, Any] = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})

    sign_in(page, web, user["username"], next_path="/settings/security")
    expect(page).to_have_url(re.compile(r"/settings/security$"))
    section = page.get_by_test_id("passkeys")
    expect(section.get_by_test_id("passkeys-count")).to_have_text("0 passkeys")

    # Add one with the keyboard only: the button, the optional name, Enter to submit.
    section.get_by_role("button", name="Add a passkey").focus()
    page.keyboard.press("Enter")
    name_field = page.get_by_label("Name for this passkey (optional)")
    expect(name_field).to_be_focused()
    page.keyboard.type("Virtual laptop")
    page.keyboard.press("Enter")
    expect(section.get_by_role("status")).to_have_text("Passkey added: Virtual laptop.")
    expect(section.get_by_test_id("passkey")).to_have_count(1)
    expect(section.get_by_test_id("passkey")).to_contain_text("last used never")
    expect(section.get_by_test_id("passkeys-count")).to_have_text("1 passkey")
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]})
    assert len(held["credentials"]) == 1
    assert held["credentials"][0]["isResidentCredential"] is True  # discoverable: sign-in names no account
    assert held["credentials"][0]["rpId"] == "localhost"
    section.screenshot(path=str(ARTIFACTS / "web-passkeys-01-settings.png"))
    assert_accessible(page, "passkeys-settings")

    # Signed out, the passkey alone signs in: no login name, no password.
    sign_out(page)
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    assert_accessible(page, "sign-in-with-passkey")
    page.screenshot(path=str(ARTIFACTS / "web-passkeys-02-sign-in.png"), full_page=True)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Hello, "))).to_be_visible()
    signed_in_at = time.time()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]})
    assert held["credentials"][0]["signCount"] >= 1

    # The sign-in is recorded as a passkey sign-in, and the passkey now says when it was last used.
    page.goto(f"{web}/settings/security")
    section = page.get_by_test_id("passkeys")
    expect(section.get_by_test_id("passkey")).not_to_contain_text("last used never")
    section.get_by_role("button", name="Rename Virtual laptop").click()
    rename = page.get_by_label("New name")
    expect(rename).to_be_focused()
    rename.fill("Work laptop")
    page.get_by_role("button", name="Save name").click()
    expect(section.get_by_role("status")).to_have_text("Renamed to Work laptop.")
    section.screenshot(path=str(ARTIFACTS / "web-passkeys-03-renamed.png"))

    # The passkey sign-in is now waited out: the one condition here is time itself (the freshness window).
    while time.time() < signed_in_at + FRESH_SECONDS + 1:
        time.sleep(0.5)

    # Removing it with that stale sign-in: the step-up dialog offers the passkey, which confirms the removal;
    # then none is left, and signing in with it stops working.
    section.get_by_role("button", name="Remove Work laptop").click()
    assert_accessible(page, "passkeys-remove")
    page.get_by_role("button", name="Remove passkey").click()
    dialog = page.get_by_role("dialog", name="Confirm it's you")
    expect(dialog).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "web-passkeys-04-step-up.png"), full_page=True)
    dialog.get_by_role("button", name="Use a passkey").click()
    expect(dialog).to_be_hidden()
    expect(section.get_by_role("status")).to_have_text("Work laptop was removed.")
    expect(section.get_by_test_id("passkey")).to_have_count(0)
    sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text("wasn't accepted")
    page.screenshot(path=str(ARTIFACTS / "web-passkeys-05-removed-refused.png"), full_page=True)

    login = httpx.post(stack.url("auth", "/auth/login"), json={"login": user["username"], "password": PASSWORD})
    activity = httpx.get(
        stack.url("auth", "/auth/activity"), headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    ).json()["events"]
    kinds = {(e["kind"], e["detail"]) for e in activity}
    assert {
        ("sign_in", "passkey"),
        ("passkey_added", "Virtual laptop"),
        ("reauthenticated", "passkey"),
        ("passkey_removed", "Work laptop"),
    } <= kinds
    assert errors == []
    context.close()
