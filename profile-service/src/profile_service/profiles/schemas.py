"""Wire shapes of profiles: what the owner sees, what the owner may change, what everyone may see."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from service_kit.openapi import END_OF_STRING

# Printable text: no control characters (a bio or an address may hold newlines and tabs).
_NAME = msgspec.Meta(
    min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*" + END_OF_STRING
)
_BIO = msgspec.Meta(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
_LOCATION = msgspec.Meta(max_length=200, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
# An absolute http(s) URL or "" (clears it), wholly expressed by the pattern so the OpenAPI schema is the rule:
# the host is `localhost` or a dotted DNS name in ASCII (no credentials, no IP literals, no IDN: use punycode),
# an optional port 1-65535, then anything without spaces or control characters. A unit test checks strings the
# pattern allows against `urllib.parse.urlsplit`.
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
WEBSITE_PATTERN = (
    r"^(|[hH][tT][tT][pP][sS]?://(localhost|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+\.?)"
    rf"(:{_PORT})?([/?#][^\s\x00-\x1f\x7f\x85\ufeff]*)?)" + END_OF_STRING
)
_WEBSITE = msgspec.Meta(
    max_length=200,
    pattern=WEBSITE_PATTERN,
    description="An http(s) URL whose host is `localhost` or a dotted DNS name (ASCII; punycode for IDNs), "
    'an optional port 1-65535, no credentials, at most 200 characters; `""` or null clears it.',
)

Theme = Literal["system", "light", "dark"]
Visibility = Literal["public", "private"]


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


class PendingAvatar(msgspec.Struct):
    """The owner's newest upload awaiting moderation: shown to the owner only, never in a public view."""

    upload_id: str
    status: Literal["pending"]
    secure_url: str
    version: int
    width: int
    height: int
    variants: dict[str, str]
    uploaded_at: datetime


class ModerationNotice(msgspec.Struct):
    """The latest moderation decision against the owner's picture (cleared when a newer picture is applied)."""

    kind: Literal["rejected", "taken_down"]
    reason: str
    at: datetime
    upload_id: str | None = None


class NotificationPreferences(msgspec.Struct):
    """Which channels the user wants account notifications on."""

    email: bool = True
    sms: bool = False


class Preferences(msgspec.Struct):
    """Stored and returned; the web app applies them (the theme immediately)."""

    theme: Theme = "system"
    notifications: NotificationPreferences = msgspec.field(default_factory=NotificationPreferences)


class Profile(msgspec.Struct):
    """The owner's view of their profile."""

    user_id: str
    username: str | None
    display_name: str | None
    bio: str
    avatar: Avatar | None
    created_at: datetime
    updated_at: datetime
    location: str = ""
    website: str | None = None
    visibility: Visibility = "public"
    preferences: Preferences = msgspec.field(default_factory=Preferences)
    # Moderation (PROFILE_MODERATION): the upload under review, and why a picture was refused or taken down.
    pending_avatar: PendingAvatar | None = None
    moderation_notice: ModerationNotice | None = None


class NotificationChange(msgspec.Struct, forbid_unknown_fields=True):
    """Notification choices to change; absent ones stay."""

    email: bool | msgspec.UnsetType = msgspec.UNSET
    sms: bool | msgspec.UnsetType = msgspec.UNSET


class PreferencesChange(msgspec.Struct, forbid_unknown_fields=True):
    """Preferences to change; absent ones stay."""

    theme: Theme | msgspec.UnsetType = msgspec.UNSET
    notifications: NotificationChange | msgspec.UnsetType = msgspec.UNSET


class ProfileChange(msgspec.Struct, forbid_unknown_fields=True):
    """What the owner may change; absent fields stay as they are. `website: null` (or "") clears it."""

    display_name: Annotated[str, _NAME] | msgspec.UnsetType = msgspec.UNSET
    bio: Annotated[str, _BIO] | msgspec.UnsetType = msgspec.UNSET
    location: Annotated[str, _LOCATION] | msgspec.UnsetType = msgspec.UNSET
    website: Annotated[str, _WEBSITE] | msgspec.UnsetType | None = msgspec.UNSET
    visibility: Visibility | msgspec.UnsetType = msgspec.UNSET
    preferences: PreferencesChange | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if self.website == "":
            self.website = None


class PublicAvatar(msgspec.Struct):
    """The picture as anyone may see it."""

    secure_url: str
    version: int
    width: int
    height: int
    variants: dict[str, str]


class PublicProfile(msgspec.Struct):
    """The public view of a profile, by username (private profiles: only their owner gets one)."""

    username: str
    display_name: str | None
    bio: str
    avatar: PublicAvatar | None
    location: str = ""
    website: str | None = None
