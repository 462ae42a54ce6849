"""Wire shapes of the internal read API: the batch lookup and the change feed (issue 14's contract)."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from profile_service.profiles.schemas import PublicAvatar, Visibility
from service_kit.openapi import END_OF_STRING

# The ids auth-service hands out (and the only ones that can own assets): see `profiles/deletion.py`.
USER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}" + END_OF_STRING
UserIdField = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=USER_ID_PATTERN, description="A user id.")
]
MAX_LOOKUP = 100

ChangeKind = Literal[
    "avatar_applied",
    "avatar_removed",
    "avatar_taken_down",
    "display_name",
    "visibility",
    "username",
    "account_deleted",
]
# `<sequence>-<milliseconds of that event>`: the position, and how old it is (the 410 rule). 13 digits of
# milliseconds reach the year 2286; 18 of sequence stay within MongoDB's 64-bit integers.
CURSOR_PATTERN = r"^[0-9]{1,18}-[0-9]{1,13}" + END_OF_STRING


class ProfileLookup(msgspec.Struct, forbid_unknown_fields=True):
    """The users to resolve; duplicates are ignored."""

    # Litestar's OpenAPI drops the items' constraints (`feed.controller.document_lookup` states them again).
    user_ids: Annotated[list[UserIdField], msgspec.Meta(min_length=1, max_length=MAX_LOOKUP)]


class LookedUpProfile(msgspec.Struct):
    """A profile's public view for other services; a private profile shows only `visibility: "private"`."""

    username: str | None
    display_name: str | None
    avatar: PublicAvatar | None
    visibility: Visibility


class ProfileLookupResult(msgspec.Struct):
    """Every id asked for is either in `profiles` (by user id) or in `missing` (unknown or deleted)."""

    profiles: dict[str, LookedUpProfile]
    missing: list[str]


class ProfileChangeEvent(msgspec.Struct):
    """One change of a profile's public view; re-read the profile through the lookup to see what it is now."""

    cursor: str
    user_id: str
    kind: ChangeKind
    at: datetime


class ProfileChangePage(msgspec.Struct):
    """Changes in commit order; store `next_cursor` and pass it as `after` to continue."""

    changes: list[ProfileChangeEvent]
    next_cursor: str
