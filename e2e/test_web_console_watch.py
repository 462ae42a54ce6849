"""The console watch every browser test runs under, checked against pages that misbehave on purpose.

The pages are served by Playwright's request routing (no stack needed): each test opens a context through a
`WatchedBrowser` of its own, provokes one kind of event and asserts what `close()` reports.
"""

from collections.abc import Callable

from playwright.sync_api import Browser, Page, Route, expect

from e2e.browser import WatchedBrowser

ORIGIN = "http://watch.test"


def page_running(browser: WatchedBrowser, script: str) -> Page:
    """A page at ORIGIN running `script`, then titled "done"; /ok answers 200, /missing 404, /down is aborted."""

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/":
            html = f"<!doctype html><title>start</title><script>(async () => {{ {script} }})()"
            html += '.finally(() => { document.title = "done"; });</script>'
            route.fulfill(status=200, content_type="text/html", body=html)
        elif path == "/ok":
            route.fulfill(status=200, content_type="application/json", body="{}")
        elif path == "/down":
            route.abort("connectionrefused")
        elif path == "/never":
            pass  # left unanswered: in flight until the page goes somewhere else
        else:
            route.fulfill(status=404, content_type="application/json", body="{}")

    context = browser.new_context()
    context.route(f"{ORIGIN}/**", serve)
    page = context.new_page()
    page.goto(f"{ORIGIN}/")
    expect(page).to_have_title("done")
    return page


def run(
    chromium_browser: Browser, script: str, declare: Callable[[WatchedBrowser], None] = lambda _: None
) -> list[str]:
    watched = WatchedBrowser(chromium_browser)
    declare(watched)
    page_running(watched, script)
    return watched.close()


def test_a_clean_page_reports_nothing(chromium_browser: Browser) -> None:
    assert run(chromium_browser, "await fetch('/ok');") == []


def test_an_undeclared_404_is_reported_once_for_the_response_and_its_console_line(chromium_browser: Browser) -> None:
    problems = run(chromium_browser, "await fetch('/missing');")

    assert problems == [f"unexpected response {ORIGIN}/missing: 404"]


def test_a_declared_status_is_not_reported(chromium_browser: Browser) -> None:
    problems = run(chromium_browser, "await fetch('/missing');", lambda b: b.expect_status(r"/missing$", 404))

    assert problems == []


def test_a_declared_status_with_another_code_does_not_cover_it(chromium_browser: Browser) -> None:
    problems = run(chromium_browser, "await fetch('/missing');", lambda b: b.expect_status(r"/missing$", 401))

    assert f"unexpected response {ORIGIN}/missing: 404" in problems
    assert r"expected but never seen: response 401 //missing$/" in problems


def test_a_declaration_nothing_matched_is_reported(chromium_browser: Browser) -> None:
    problems = run(chromium_browser, "await fetch('/ok');", lambda b: b.expect_status(r"/ok$", 429))

    assert problems == [r"expected but never seen: response 429 //ok$/"]


def test_a_failed_request_is_reported_unless_declared(chromium_browser: Browser) -> None:
    script = "await fetch('/down').catch(() => null);"

    undeclared = run(chromium_browser, script)
    declared = run(chromium_browser, script, lambda b: b.expect_failed_request(r"/down$"))

    assert len(undeclared) == 1
    assert undeclared[0].startswith(f"unexpected requestfailed {ORIGIN}/down: net::ERR_CONNECTION_REFUSED")
    assert declared == []


def test_console_errors_and_uncaught_errors_are_reported_unless_declared(chromium_browser: Browser) -> None:
    script = "console.error('boom in the console'); setTimeout(() => { throw new Error('uncaught boom'); });"
    script += "await new Promise((resolve) => setTimeout(resolve, 0));"

    def declare(watched: WatchedBrowser) -> None:
        watched.expect_console("boom in the console")
        watched.expect_console("uncaught boom")

    undeclared = run(chromium_browser, script)
    declared = run(chromium_browser, script, declare)

    assert f"unexpected console {ORIGIN}/: boom in the console" in undeclared
    assert f"unexpected pageerror {ORIGIN}/: uncaught boom" in undeclared
    assert declared == []


def test_a_request_aborted_by_leaving_the_page_is_not_a_failure(chromium_browser: Browser) -> None:
    watched = WatchedBrowser(chromium_browser)
    page = page_running(watched, "fetch('/never').catch(() => null);")

    page.goto(f"{ORIGIN}/")
    expect(page).to_have_title("done")

    assert watched.close() == []
