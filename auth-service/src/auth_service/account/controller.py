"""Account management: `/auth/password`, `/auth/password-reset[/confirm]`, `/auth/email-change[/confirm]`
(`DELETE /auth/me` lives with `GET /auth/me` in the users controller: one path, one controller)."""

from litestar import Controller, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import JSONBody

from auth_service.account.schemas import (
    Accepted,
    EmailChange,
    EmailChangeConfirmation,
    PasswordChange,
    PasswordReset,
    PasswordResetRequest,
)
from auth_service.account.service import AccountService
from auth_service.activity.schemas import ClientInfo
from auth_service.tokens import CurrentUser
from auth_service.users.schemas import PublicUser

RESET_ACCEPTED = "If an account uses that address, a link to reset its password is on its way."


class AccountController(Controller):
    """What a user does to their own account."""

    path = "/auth"
    tags = ["account"]

    @post("/password", status_code=204)
    async def change_password(
        self,
        data: JSONBody[PasswordChange],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> None:
        """Change the password; other sign-ins end, this one stays."""
        await accounts.change_password(current_user, data.current_password, data.new_password, client_info)

    @post("/password-reset", status_code=202)
    async def request_password_reset(
        self,
        data: JSONBody[PasswordResetRequest],
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> Response[Accepted]:
        """Always the same 202; the lookup and the e-mail happen after the answer is sent."""
        await accounts.accept_reset_request(data.email, client_info)
        return Response(
            Accepted(status="accepted", detail=RESET_ACCEPTED),
            status_code=202,
            background=BackgroundTask(accounts.send_reset_link, data.email, client_info),
        )

    @post("/password-reset/confirm", status_code=204)
    async def reset_password(
        self,
        data: JSONBody[PasswordReset],
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> None:
        """Set a new password with the token from the e-mailed link; every sign-in ends."""
        await accounts.reset_password(data.token, data.new_password, client_info)

    @post("/email-change", status_code=202)
    async def request_email_change(
        self,
        data: JSONBody[EmailChange],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> Accepted:
        """E-mail a confirmation link to the new address."""
        await accounts.request_email_change(current_user, data.new_email, data.password, client_info)
        return Accepted(status="accepted", detail="A confirmation link was sent to the new address.")

    @post("/email-change/confirm", status_code=200)
    async def confirm_email_change(
        self,
        data: JSONBody[EmailChangeConfirmation],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> PublicUser:
        """Apply the change; only with an access token of the account that asked for it."""
        return await accounts.confirm_email_change(current_user, data.token, client_info)
