"""What auth's repositories share about reading MongoDB documents (the client itself lives in services.py)."""

from datetime import UTC, datetime
from typing import TypeVar

import msgspec

StructT = TypeVar("StructT", bound=msgspec.Struct)


def utc_datetimes(struct: StructT) -> StructT:
    """The Struct with naive datetimes read as UTC.

    The stand-in stores a datetime written by `$set` as a string without its timezone (msgspec parses it
    back naive), so such fields are only ever compared for presence, never queried by range; every
    datetime we store is UTC, so both servers then give back the same aware values.
    """
    naive = {
        name: value.replace(tzinfo=UTC)
        for name in struct.__struct_fields__
        if isinstance(value := getattr(struct, name), datetime) and value.tzinfo is None
    }
    return msgspec.structs.replace(struct, **naive) if naive else struct
