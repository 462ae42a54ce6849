import re

import msgspec
import pytest

from auth_service.admin.schemas import REASON_PATTERN, SuspensionRequest
from auth_service.admin.service import decode_user_cursor, encode_user_cursor
from service_kit.errors import BadRequest


@pytest.mark.parametrize("reason", ["spam", "  spam  ", "Spam in bio (3 reports)", "é" * 500, "emoji 🙂"])
def test_printable_reasons_are_accepted_and_trimmed(reason: str) -> None:
    decoded = msgspec.json.decode(msgspec.json.encode({"reason": reason}), type=SuspensionRequest)

    assert decoded.reason == reason.strip()


@pytest.mark.parametrize("reason", ["", " ", "\t", "\ufeff", "a\nb", "\x00", "a\x7f", "\x85", "a" * 501])
def test_reasons_with_control_characters_or_no_text_are_refused(reason: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(msgspec.json.encode({"reason": reason}), type=SuspensionRequest)


def test_the_published_pattern_is_the_one_the_server_applies() -> None:
    # ECMA-262 readers see the same string; Python's `re` is what msgspec uses.
    assert re.match(REASON_PATTERN, "spam")
    assert not re.match(REASON_PATTERN, "spam\n")


def test_a_user_cursor_round_trips_and_anything_else_is_a_400() -> None:
    assert decode_user_cursor(encode_user_cursor("alice@example.com")) == "alice@example.com"
    for cursor in ["!!", "YWxpY2U", "YWxpY2VAZXhhbXBsZS5jb20=", "/w"]:
        with pytest.raises(BadRequest):
            decode_user_cursor(cursor)
