"""Opaque keyset cursors: `<epoch ms, 13 digits>:<id>` in URL-safe base64.

Keyset, never skip-based: a page is the same however many entries arrive while an admin pages through, and it
costs one index range scan however deep it is.
"""

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta

from service_kit.errors import BadRequest

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KEY = re.compile(r"(\d{13}):([0-9a-f-]{24,36})")


def millis(at: datetime) -> int:
    """Epoch milliseconds by integer arithmetic (`timestamp() * 1000` can land a hair below a whole number)."""
    return (at - EPOCH) // timedelta(milliseconds=1)


def sort_key(ms: int, item_id: str) -> str:
    """A position that sorts as a string: zero-padded epoch milliseconds, then the id to break ties."""
    return f"{ms:013d}:{item_id}"


def encode(key: str) -> str:
    """The cursor naming the last item of a page, by its `sort_key`."""
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[int, str]:
    """The (milliseconds, id) a cursor names; BadRequest for anything this service did not hand out."""
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("The cursor is not valid.", field="cursor") from None
    if (match := _KEY.fullmatch(key)) is None:
        raise BadRequest("The cursor is not valid.", field="cursor")
    return int(match.group(1)), match.group(2)
