"""Wire shapes of profiles: what the owner sees, what the owner may change, what everyone may see."""

from datetime import datetime
from typing import Annotated

import msgspec

# Printable text: no control characters (a bio may hold newlines and tabs).
_NAME = msgspec.Meta(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$")
_BIO = msgspec.Meta(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")


class Avatar(msgspec.Struct):
    """The current picture: the original plus one square URL per configured size (keys are the sizes)."""

    public_id: str
    version: int
    secure_url: str
    width: int
    height: int
    format: str
    bytes: int
    variants: dict[str, str]
    updated_at: datetime


class Profile(msgspec.Struct):
    """The owner's view of their profile."""

    user_id: str
    username: str | None
    display_name: str | None
    bio: str
    avatar: Avatar | None
    created_at: datetime
    updated_at: datetime


class ProfileChange(msgspec.Struct, forbid_unknown_fields=True):
    """What the owner may change; absent fields stay as they are."""

    display_name: Annotated[str, _NAME] | msgspec.UnsetType = msgspec.UNSET
    bio: Annotated[str, _BIO] | msgspec.UnsetType = msgspec.UNSET


class PublicAvatar(msgspec.Struct):
    """The picture as anyone may see it."""

    secure_url: str
    version: int
    width: int
    height: int
    variants: dict[str, str]


class PublicProfile(msgspec.Struct):
    """The public view of a profile, by username."""

    username: str
    display_name: str | None
    bio: str
    avatar: PublicAvatar | None
