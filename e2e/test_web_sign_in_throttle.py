"""The sign-in form in a real browser once auth-service's login limit is reached: the message says how long to
wait (from Retry-After), counts down once a second, and the button comes back when the wait is over.

The stack runs with a short window and a low limit (AUTH_LOGIN_WINDOW_SECONDS, AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT)
so the whole wait passes within the test.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from devstack.mongo import MongoServer
from e2e.browser import WatchedBrowser
from e2e.conftest import running_stack
from e2e.pipeline import register
from e2e.stack import ARTIFACTS, Stack

WINDOW_SECONDS = 8
WAIT = re.compile(r"^Too many attempts\. Please try again in (\d+) seconds?\.$")


@pytest.fixture(scope="module")
def stack(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    auth = {"AUTH_LOGIN_WINDOW_SECONDS": str(WINDOW_SECONDS), "AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT": "2"}
    with running_stack(mongo_server, tmp_path_factory, auth=auth) as running:
        yield running


def test_the_sign_in_form_counts_the_wait_down_and_comes_back(stack: Stack, web: str, browser: WatchedBrowser) -> None:
    user = register(stack)
    browser.expect_status(r"/auth/login$", 401)
    browser.expect_status(r"/auth/login$", 429)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{web}/sign-in")
    page.get_by_label("Email or username").fill(user.username)
    page.get_by_label("Password").fill("not the password")
    button = page.get_by_role("button", name="Sign in", exact=True)
    alert = page.locator(".auth-card > [role=alert]")

    # Wrong passwords until the limit answers 429 (two failures; a window boundary between them needs more).
    for _ in range(6):
        expect(button).to_be_enabled()
        with page.expect_response(lambda r: r.url.endswith("/auth/login")) as answer:
            button.click()
        if answer.value.status == 429:
            break
        assert answer.value.status == 401
    else:
        pytest.fail("six wrong passwords and no 429")
    expect(alert).to_have_text(WAIT)
    text = alert.inner_text()
    found = WAIT.match(text)
    assert found, f"the 429 message should say how long to wait: {text!r}"
    seconds = int(found.group(1))
    assert 1 <= seconds <= WINDOW_SECONDS
    expect(button).to_be_disabled()
    page.screenshot(path=str(ARTIFACTS / "web-sign-in-throttled.png"), full_page=True)

    # The countdown runs: one second less, then the message goes and the button is back.
    if seconds >= 2:
        expect(alert).to_have_text(re.compile(rf"in {seconds - 1} seconds?\.$"), timeout=3_000)
        expect(button).to_be_disabled()
    expect(alert).to_have_count(0, timeout=(WINDOW_SECONDS + 3) * 1000)
    expect(button).to_be_enabled()

    # The new window lets the right password in.
    page.get_by_label("Password").fill(user.password)
    button.click()
    expect(page).to_have_url(re.compile(r"/$"))
    context.close()
