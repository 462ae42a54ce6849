"""Wire and storage shapes of user accounts."""

import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from service_kit.openapi import END_OF_STRING

# Deliberately loose: the only proof an address works is a mail that arrives; this catches typos only. It is
# the schema's pattern, so the OpenAPI document states the rule: no `@` and no white space in either part (the
# class names Python's and ECMA-262's white space both, which differ in \x1c-\x1f, \x85 and \ufeff), a dot
# in the domain; surrounding spaces are trimmed, so `check_email` never refuses what the pattern allows.
_NOT_AT_OR_SPACE = r"[^@\s\x1c-\x1f\x85\ufeff]"
_TRIMMED = r"[ \t\r\n]*"  # spaces around the address are forgiven (trimmed), and mean the same in both dialects
EMAIL_PATTERN = rf"^{_TRIMMED}{_NOT_AT_OR_SPACE}+@{_NOT_AT_OR_SPACE}+\.{_NOT_AT_OR_SPACE}+{_TRIMMED}" + END_OF_STRING
_EMAIL = re.compile(EMAIL_PATTERN)

Email = Annotated[
    str,
    msgspec.Meta(
        min_length=5,
        max_length=254,
        pattern=EMAIL_PATTERN,
        description="An e-mail address (`x@y.z`, no spaces, at most 254 characters); compared lower-cased.",
    ),
]
Username = Annotated[str, msgspec.Meta(pattern="^[a-z0-9_.-]{3,30}" + END_OF_STRING)]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=128)]


def normalize_email(email: str) -> str:
    """Trimmed and lower-cased, so `Alice@Example.com ` and `alice@example.com` are one account."""
    return email.strip().lower()


def check_email(email: str, field: str = "email") -> str:
    """The normalized address; ValueError (a 400 from msgspec) if it is not shaped like one."""
    email = normalize_email(email)
    if not _EMAIL.match(email):
        raise ValueError(f"`{field}` is not an e-mail address")
    return email


class Registration(msgspec.Struct, forbid_unknown_fields=True):
    """What a client sends to create an account."""

    email: Email
    username: Username
    password: Password

    def __post_init__(self) -> None:
        # Raised here, msgspec reports it as a 400 validation error like any other field problem.
        self.email = check_email(self.email)


class Credentials(msgspec.Struct, forbid_unknown_fields=True):
    """A sign-in attempt: `login` is the e-mail address or the username."""

    login: Annotated[str, msgspec.Meta(min_length=1, max_length=320)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


Role = Literal["user", "admin"]
USER: Role = "user"
ADMIN: Role = "admin"
ROLES: tuple[Role, ...] = (USER, ADMIN)


class Suspension(msgspec.Struct, kw_only=True):
    """Why, when and by whom (an admin's user id, or `cli`) an account was suspended."""

    reason: str
    at: datetime
    by: str


class User(msgspec.Struct, kw_only=True):
    """A stored account (lenient: stored documents may carry more fields)."""

    id: str
    email: str
    username: str
    password_hash: str
    # `user` or `admin`; only the grant-role CLI changes it. Anything else stored reads as a plain user.
    role: str = USER
    # Set while an admin has the account suspended: no sign-in, no refresh.
    suspended: Suspension | None = None
    created_at: datetime
    updated_at: datetime
    # `active`, or `deleting` once deletion is queued: such an account cannot sign in.
    status: str = "active"
    # TOTP: absent, `pending` (enrolled, not confirmed) or `enabled`; the secret is AES-GCM encrypted.
    totp_status: str | None = None
    totp_secret: str | None = None
    totp_last_step: int = 0
    recovery_codes: list[str] = []

    @property
    def mfa_enabled(self) -> bool:
        """Whether sign-in needs a second factor."""
        return self.totp_status == "enabled"

    @property
    def token_role(self) -> Role:
        """The `role` claim of this user's access tokens: `admin` only for exactly that stored role."""
        return ADMIN if self.role == ADMIN else USER


class PublicUser(msgspec.Struct, kw_only=True):
    """The account as clients see it: never the password hash."""

    id: str
    email: str
    username: str
    role: str
    created_at: datetime
    mfa_enabled: bool = False
    recovery_codes_left: int = 0

    @classmethod
    def of(cls, user: User) -> "PublicUser":
        """The public view of a stored user."""
        return cls(
            id=user.id,
            email=user.email,
            username=user.username,
            role=user.role,
            created_at=user.created_at,
            mfa_enabled=user.mfa_enabled,
            recovery_codes_left=len(user.recovery_codes) if user.mfa_enabled else 0,
        )
