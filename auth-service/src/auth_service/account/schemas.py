"""Wire shapes of account management: password change and reset, e-mail change."""

from typing import Annotated

import msgspec

from auth_service.users.schemas import Email, Password, check_email

Token = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
CurrentPassword = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    """A signed-in user's new password, with the current one as proof."""

    current_password: CurrentPassword
    new_password: Password


class PasswordResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Ask for a reset link."""

    email: Email

    def __post_init__(self) -> None:
        self.email = check_email(self.email)


class PasswordReset(msgspec.Struct, forbid_unknown_fields=True):
    """The token from the e-mailed link and the new password."""

    token: Token
    new_password: Password


class EmailChange(msgspec.Struct, forbid_unknown_fields=True):
    """A new address for the signed-in account (a recent sign-in is the proof)."""

    new_email: Email

    def __post_init__(self) -> None:
        self.new_email = check_email(self.new_email, field="new_email")


class EmailChangeConfirmation(msgspec.Struct, forbid_unknown_fields=True):
    """The token from the link sent to the new address."""

    token: Token


class Accepted(msgspec.Struct, kw_only=True):
    """A request taken on; what follows happens by e-mail or in the background."""

    status: str
    detail: str
