"""Storage shapes of sign-in sessions (refresh-token families) and their refresh tokens."""

from datetime import datetime
from typing import Annotated

import msgspec
from litestar.openapi.spec import OpenAPI, Schema

from auth_service.mfa.schemas import Code
from auth_service.tokens import AccessToken

# How a session authenticated, as the access token's `amr` (RFC 8176 values). A passkey is something the person
# has (`hwk`) unlocked by who they are or what they know (`user`, user verification): two factors (`mfa`).
AMR_PASSWORD = ["pwd"]
AMR_PASSWORD_OTP = ["pwd", "otp", "mfa"]
AMR_PASSKEY = ["hwk", "user", "mfa"]
# A step-up with a TOTP or recovery code alone (`POST /auth/reauthenticate {"code"}`).
AMR_OTP = ["otp"]


class Family(msgspec.Struct, kw_only=True):
    """One sign-in: every refresh token rotated from it shares its id (the access token's `sid`).

    `auth_time` and `amr` say when and how the person last proved who they are (the sign-in, or a later
    step-up); a refresh carries them into the new access token unchanged. Families stored before these fields
    existed read with the defaults: authenticated at `created_at` (see `authenticated_at`) by password.
    """

    id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    auth_time: datetime | None = None
    amr: list[str] = msgspec.field(default_factory=lambda: ["pwd"])
    # What the sessions list shows: a label from the User-Agent and the address truncated to its network.
    device: str = ""
    address: str = ""
    last_used_at: datetime | None = None
    # SHA-256 of the one refresh token that rotates the family now, and of the last ones it replaced (reuse
    # detection). A family from before these fields holds none: its token is in `refresh_tokens`.
    token_hash: str | None = None
    spent_hashes: list[str] = msgspec.field(default_factory=list)

    def issued(self, token_hash: str) -> bool:
        """Whether the family issued this token hash: its current token or one of the spent ones it keeps."""
        return token_hash == self.token_hash or token_hash in self.spent_hashes

    @property
    def authenticated_at(self) -> datetime:
        """When the person last authenticated in this session."""
        return self.auth_time or self.created_at


class RefreshToken(msgspec.Struct, kw_only=True):
    """A refresh token issued before families held their token, known only by its SHA-256; `rotated_at` is set
    once, when it is exchanged."""

    id: str  # hex SHA-256 of the opaque token
    family_id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None


class IssuedSession(msgspec.Struct, kw_only=True):
    """What a login or refresh hands back: an access token, and a refresh token for the cookie."""

    access: AccessToken
    refresh_token: str
    refresh_expires_at: datetime


class SessionInfo(msgspec.Struct, kw_only=True):
    """One live sign-in as the sessions list shows it; `current` marks the caller's own."""

    id: str
    created_at: datetime
    last_used_at: datetime
    device: str
    address: str
    current: bool


class SessionList(msgspec.Struct, kw_only=True):
    """The caller's live sessions, newest first."""

    sessions: list[SessionInfo]


class Reauthentication(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Proof of identity for a step-up: exactly one of the password or a TOTP/recovery code."""

    # UNSET rather than None: `null` is refused like any other non-string.
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | msgspec.UnsetType = msgspec.UNSET
    code: Code | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        # Raised here, msgspec reports it as a 400 validation error like any other field problem.
        if isinstance(self.password, msgspec.UnsetType) == isinstance(self.code, msgspec.UnsetType):
            raise ValueError("send exactly one of `password` or `code`")


def document_reauthentication(openapi: OpenAPI) -> None:
    """State "exactly one of `password` or `code`" in the OpenAPI document, which msgspec's schema cannot."""
    components = openapi.components
    schema = None if isinstance(components, list) else (components.schemas or {}).get(Reauthentication.__name__)
    if isinstance(schema, Schema):
        schema.min_properties = schema.max_properties = 1


class NotMe(msgspec.Struct, forbid_unknown_fields=True):
    """The token of a "This wasn't me" link from a new-sign-in e-mail."""

    token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
