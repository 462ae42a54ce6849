"""`/auth/mfa/totp/*`: enrol, confirm and disable the TOTP second factor."""

from litestar import Controller, Response, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from auth_service.activity.schemas import ClientInfo
from auth_service.mfa.schemas import CodeInput, RecoveryCodes, TotpEnrollment
from auth_service.mfa.service import MfaService, provide_mfa
from auth_service.stepup import STEP_UP_REASON, FreshUser
from auth_service.tokens import CurrentUser
from auth_service.users.repository import UserRepository, provide_users
from auth_service.users.schemas import User
from service_kit.errors import Unauthorized
from service_kit.openapi import BEARER, problems

NO_STORE = {"Cache-Control": "no-store"}


async def _user(users: UserRepository, current_user: CurrentUser) -> User:
    user = await users.get(current_user.sub)
    if user is None or user.status != "active":
        raise Unauthorized("The account no longer exists.")
    return user


class MfaController(Controller):
    """TOTP for the signed-in user."""

    path = "/auth/mfa/totp"
    tags = ["mfa"]
    dependencies = {
        "mfa": Provide(provide_mfa, sync_to_thread=False),
        "users": Provide(provide_users, sync_to_thread=False),
    }

    @post(
        "/enroll",
        operation_id="startTotpEnrolment",
        status_code=200,
        security=BEARER,
        responses=problems(
            {
                409: "two-factor sign-in is already on; disable it first.",
                503: "two-factor sign-in is not configured on this server, or the database is down.",
            }
        ),
    )
    async def enroll(
        self, current_user: CurrentUser, users: NamedDependency[UserRepository], mfa: NamedDependency[MfaService]
    ) -> Response[TotpEnrollment]:
        """Start TOTP enrolment: a new secret, its `otpauth://` URI and a QR code of it, shown this once.

        Replaces an unconfirmed enrolment; nothing changes at sign-in until `/auth/mfa/totp/confirm`.
        """
        return Response(await mfa.enroll(await _user(users, current_user)), headers=NO_STORE)

    @post(
        "/confirm",
        operation_id="confirmTotpEnrolment",
        status_code=200,
        security=BEARER,
        responses=problems(
            {
                400: "the body does not match the schema, or the code is not the authenticator's current one"
                " (`field: code`).",
                409: "no enrolment was started, or it is already confirmed.",
                429: "too many wrong codes; `Retry-After` says when to try again.",
            }
        ),
    )
    async def confirm(
        self,
        data: JSONBody[CodeInput],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        users: NamedDependency[UserRepository],
        mfa: NamedDependency[MfaService],
    ) -> Response[RecoveryCodes]:
        """Switch two-factor sign-in on with a first code from the authenticator app.

        Answers ten single-use recovery codes, shown this once.
        """
        codes = await mfa.confirm(await _user(users, current_user), data.code, client_info, session_id=current_user.sid)
        return Response(codes, headers=NO_STORE)

    @post(
        "/disable",
        operation_id="disableTotp",
        status_code=204,
        security=BEARER,
        responses=problems(
            {
                401: STEP_UP_REASON,
                409: "two-factor sign-in is not on.",
            }
        ),
    )
    async def disable(
        self,
        fresh_user: FreshUser,
        client_info: NamedDependency[ClientInfo],
        users: NamedDependency[UserRepository],
        mfa: NamedDependency[MfaService],
    ) -> None:
        """Switch two-factor sign-in off; needs a recent sign-in (step-up). Every other session ends."""
        await mfa.disable(await _user(users, fresh_user), client_info, session_id=fresh_user.sid)
