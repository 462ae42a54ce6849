"""Storage shapes of sign-in sessions (refresh-token families) and their refresh tokens."""

from datetime import datetime

import msgspec

from auth_service.tokens import AccessToken


class Family(msgspec.Struct, kw_only=True):
    """One sign-in: every refresh token rotated from it shares its id (the access token's `sid`)."""

    id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class RefreshToken(msgspec.Struct, kw_only=True):
    """A refresh token, known only by its SHA-256; `rotated_at` is set once, when it is exchanged."""

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
