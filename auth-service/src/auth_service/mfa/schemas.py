"""Wire shapes of the TOTP second factor."""

from typing import Annotated

import msgspec

# A six-digit TOTP code, or a recovery code like `k7m2q-x9dfa` (spaces and case are forgiven).
Code = Annotated[str, msgspec.Meta(min_length=6, max_length=20)]


class CodeInput(msgspec.Struct, forbid_unknown_fields=True):
    """A code from the authenticator app (or, where allowed, a recovery code)."""

    code: Code


class TotpEnrollment(msgspec.Struct, kw_only=True):
    """Shown once: the secret, the URI an app scans, and that URI as an SVG QR code."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class RecoveryCodes(msgspec.Struct, kw_only=True):
    """Ten single-use codes, shown once; only their hashes are kept."""

    recovery_codes: list[str]


class MfaLogin(msgspec.Struct, forbid_unknown_fields=True):
    """The second step of a sign-in."""

    mfa_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    code: Code


class MfaRequired(msgspec.Struct, kw_only=True):
    """What `/auth/login` answers instead of tokens when the account has a second factor."""

    mfa_token: str
    expires_in: int
    mfa_required: bool = True
