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
from auth_service.stepup import STEP_UP_REASON, FreshUser
from auth_service.tokens import CurrentUser
from auth_service.users.schemas import PublicUser
from service_kit.openapi import BEARER, problems

RESET_ACCEPTED = "If an account uses that address, a link to reset its password is on its way."


class AccountController(Controller):
    """What a user does to their own account."""

    path = "/auth"
    tags = ["account"]

    @post(
        "/password",
        operation_id="changePassword",
        status_code=204,
        security=BEARER,
        responses=problems(
            {
                400: "the body does not match the schema.",
                403: "the current password is wrong (`field: password`).",
                429: "too many wrong passwords; `Retry-After` says when to try again.",
            }
        ),
    )
    async def change_password(
        self,
        data: JSONBody[PasswordChange],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> None:
        """Change the password, with the current one as proof; every other session ends, this one stays."""
        await accounts.change_password(current_user, data.current_password, data.new_password, client_info)

    @post(
        "/password-reset",
        operation_id="requestPasswordReset",
        status_code=202,
        responses=problems(
            {
                400: "the body does not match the schema.",
                429: "too many requests for this address or from this client; `Retry-After` says when.",
            }
        ),
    )
    async def request_password_reset(
        self,
        data: JSONBody[PasswordResetRequest],
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> Response[Accepted]:
        """Ask for a password-reset link by e-mail.

        The answer is the same 202, at the same speed, whether or not an account uses the address.
        """
        await accounts.accept_reset_request(data.email, client_info)
        return Response(
            Accepted(status="accepted", detail=RESET_ACCEPTED),
            status_code=202,
            background=BackgroundTask(accounts.send_reset_link, data.email, client_info),
        )

    @post(
        "/password-reset/confirm",
        operation_id="resetPassword",
        status_code=204,
        responses=problems(
            {
                400: "the body does not match the schema, or `token` is not a link this server issued"
                " (`reason: invalid_token`).",
                410: "the link was used or has expired (`reason: used_token | expired_token`).",
            }
        ),
    )
    async def reset_password(
        self,
        data: JSONBody[PasswordReset],
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> None:
        """Set a new password with the token from the e-mailed reset link; every session ends."""
        await accounts.reset_password(data.token, data.new_password, client_info)

    @post(
        "/email-change",
        operation_id="requestEmailChange",
        status_code=202,
        security=BEARER,
        responses=problems(
            {
                400: "the body does not match the schema, or it is already the account's address.",
                401: STEP_UP_REASON,
                409: "another account uses that address (`field: email`).",
            }
        ),
    )
    async def request_email_change(
        self,
        data: JSONBody[EmailChange],
        fresh_user: FreshUser,
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> Accepted:
        """Change the account's e-mail address: a confirmation link is mailed to the new one.

        Needs a recent sign-in (step-up).
        """
        await accounts.request_email_change(fresh_user, data.new_email, client_info)
        return Accepted(status="accepted", detail="A confirmation link was sent to the new address.")

    @post(
        "/email-change/confirm",
        operation_id="confirmEmailChange",
        status_code=200,
        security=BEARER,
        responses=problems(
            {
                400: "the body does not match the schema, or `token` is not a link this server issued"
                " (`reason: invalid_token`).",
                403: "the link was issued to another account (`reason: wrong_account`).",
                409: "another account took the address meanwhile.",
                410: "the link was used or has expired (`reason: used_token | expired_token`).",
            }
        ),
    )
    async def confirm_email_change(
        self,
        data: JSONBody[EmailChangeConfirmation],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> PublicUser:
        """Apply an e-mail change with the token from the mailed link, signed in as the account that asked."""
        return await accounts.confirm_email_change(current_user, data.token, client_info)
