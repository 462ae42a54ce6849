"""The built web app under its Content-Security-Policy (the one nginx sends, served here by `vite preview`).

The whole upload flow runs with the policy on: register → sign out → sign in → upload a picture → it shows,
from the emulator. Every `securitypolicyviolation` event the page fires is recorded by an init script, and
every console message about the policy is kept: both must stay empty. Then the listener is proven live: an
injected inline script and an image from another host must be refused and reported.
"""

import re
import uuid
from pathlib import Path
from urllib.parse import urlparse

import httpx
from PIL import Image
from playwright.sync_api import ConsoleMessage, Page, expect

from e2e.browser import WatchedBrowser
from e2e.stack import Stack

TIMEOUT_MS = 30_000

# Runs before any of the page's own scripts, in every document of the context.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push({directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile});
});
"""


SHOWN = "(css) => { const i = document.querySelector(css); return i !== null && i.complete && i.naturalWidth > 0; }"


def violations(page: Page) -> list[dict[str, str]]:
    found: list[dict[str, str]] = page.evaluate("() => window.__cspViolations")
    return found


def is_csp_message(message: ConsoleMessage) -> bool:
    return "Content Security Policy" in message.text or "Content-Security-Policy" in message.text


def small_photo(path: Path) -> Path:
    Image.radial_gradient("L").resize((1200, 900)).convert("RGB").save(path, "JPEG", quality=90)
    return path


def test_the_policy_is_sent_and_names_the_emulator(stack: Stack, web: str) -> None:
    headers = httpx.get(f"{web}/sign-in", timeout=10.0).headers
    policy = headers["content-security-policy"]

    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'", stack.url("emulator")]
    assert directives["img-src"] == ["'self'", "data:", "blob:", stack.url("emulator")]
    assert directives["frame-ancestors"] == ["'none'"]
    assert headers["x-frame-options"] == "DENY"
    assert "camera=(self)" in headers["permissions-policy"]
    assert "strict-transport-security" not in headers  # plain http: HSTS would mean nothing


def test_the_upload_flow_runs_without_a_csp_violation(
    stack: Stack, web: str, browser: WatchedBrowser, tmp_path: Path
) -> None:
    photo = small_photo(tmp_path / "square.jpg")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if is_csp_message(m) else None)
    # An unknown Permissions-Policy feature name is a console error on every page.
    policy_errors: list[str] = []
    page.on("console", lambda m: policy_errors.append(m.text) if "Permissions-Policy" in m.text else None)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    username = f"csp_{uuid.uuid4().hex[:8]}"
    password = "correct horse battery"
    page.goto(f"{web}/register")
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/profile$"))
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sign-in"))

    page.get_by_label("Email or username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("link", name="Profile", exact=True)).to_be_visible()
    page.goto(f"{web}/profile")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()

    # The crop preview is a blob: URL, the upload a POST to the emulator, the picture an image from it.
    page.get_by_test_id("avatar-file").set_input_files(str(photo))
    expect(page.get_by_test_id("crop-viewport")).to_be_visible()
    page.get_by_test_id("upload-start").click()
    expect(page.get_by_test_id("upload-status")).to_have_text("Your new profile picture is up.", timeout=TIMEOUT_MS)
    page.wait_for_function(SHOWN, arg="img.profile-avatar", timeout=TIMEOUT_MS)
    src = page.locator("img.profile-avatar").evaluate("(i) => i.currentSrc || i.src")
    assert urlparse(src).port == stack.ports["emulator"], src

    assert violations(page) == []
    assert console == []
    assert policy_errors == []
    assert errors == []

    # The listener is live: an inline script and an image from a host the policy does not name are refused
    # and reported, both as events and on the console (which the browser watch is told to expect).
    browser.expect_console(r"Executing inline script violates .*script-src")
    browser.expect_console(r"127\.0\.0\.2:9/not-allowed\.png' violates .*img-src")
    browser.expect_failed_request(r"^http://127\.0\.0\.2:9/not-allowed\.png$")
    refused_script = page.expect_console_message(lambda m: is_csp_message(m) and "script" in m.text)
    refused_image = page.expect_console_message(lambda m: is_csp_message(m) and "127.0.0.2" in m.text)
    with refused_script, refused_image:
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.__inlineRan = true";
                document.body.append(script);
                const image = document.createElement("img");
                image.src = "http://127.0.0.2:9/not-allowed.png";
                document.body.append(image);
            }"""
        )
    page.wait_for_function("() => window.__cspViolations.length >= 2")
    assert sorted(v["directive"] for v in violations(page)) == ["img-src", "script-src-elem"], violations(page)
    assert page.evaluate("() => window.__inlineRan") is None
    assert len(console) >= 2, console
    context.close()
