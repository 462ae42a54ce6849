from urllib.parse import urlsplit

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from profile_service.profiles.documents import change_document
from profile_service.profiles.schemas import WEBSITE_PATTERN, ProfileChange


def decode(body: object) -> ProfileChange:
    return msgspec.json.decode(msgspec.json.encode(body), type=ProfileChange)


@pytest.mark.parametrize(
    "url",
    ["https://example.com", "http://example.com/a?b=c#d", "https://sub.example.co.uk:8443/x", "http://localhost:8080"],
)
def test_website_accepts_http_and_https_urls(url: str) -> None:
    assert decode({"website": url}).website == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://example.com",
        "example.com",
        "https://",
        "https://exa mple.com",
        "https://user:pw@example.com",
        "https://example.com:99999",
        "https://nodot",
        "https://example.com/" + "x" * 200,
        "data:text/html,hi",
    ],
)
def test_website_refuses_anything_but_a_plain_http_url(url: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode({"website": url})


@settings(max_examples=500, deadline=None)
@given(url=st.from_regex(WEBSITE_PATTERN, fullmatch=True).filter(lambda url: 0 < len(url) <= 200))
def test_every_website_the_schema_allows_is_an_http_url_with_a_reachable_host(url: str) -> None:
    # The pattern is the whole rule (the OpenAPI schema publishes it), so anything it allows must parse as an
    # http(s) URL with a usable host and port and no credentials: nothing is refused later.
    parts = urlsplit(url)
    assert parts.scheme.lower() in ("http", "https")
    assert parts.hostname == "localhost" or "." in (parts.hostname or "")
    assert parts.username is None and parts.password is None
    assert parts.port is None or 1 <= parts.port <= 65535
    assert decode({"website": url}).website == url


def test_an_empty_website_clears_it() -> None:
    assert decode({"website": ""}).website is None
    assert decode({"website": None}).website is None


def test_change_document_sets_preferences_by_dotted_path_and_drops_absent_fields() -> None:
    change = decode({"bio": "hi", "preferences": {"theme": "dark", "notifications": {"sms": True}}})

    assert change_document(change) == {
        "bio": "hi",
        "preferences.theme": "dark",
        "preferences.notifications.sms": True,
    }


def test_change_document_of_an_empty_change_is_empty() -> None:
    assert change_document(decode({})) == {}
    assert change_document(decode({"preferences": {}})) == {}
