import msgspec
import pytest

from profile_service.profiles.repository import change_document
from profile_service.profiles.schemas import ProfileChange


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
