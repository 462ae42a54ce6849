"""`/auth/mfa/totp/*`: enrol, confirm and disable the TOTP second factor."""

from litestar import Controller, Response, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from auth_service.activity.schemas import ClientInfo
from auth_service.mfa.schemas import CodeInput, RecoveryCodes, TotpEnrollment
from auth_service.mfa.service import MfaService, provide_mfa
from auth_service.tokens import CurrentUser
from auth_service.users.repository import UserRepository, provide_users
from auth_service.users.schemas import User
from service_kit.errors import Unauthorized

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

    @post("/enroll", status_code=200)
    async def enroll(
        self, current_user: CurrentUser, users: NamedDependency[UserRepository], mfa: NamedDependency[MfaService]
    ) -> Response[TotpEnrollment]:
        """A new secret, its otpauth URI and QR code (shown this once)."""
        return Response(await mfa.enroll(await _user(users, current_user)), headers=NO_STORE)

    @post("/confirm", status_code=200)
    async def confirm(
        self,
        data: JSONBody[CodeInput],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        users: NamedDependency[UserRepository],
        mfa: NamedDependency[MfaService],
    ) -> Response[RecoveryCodes]:
        """Switch TOTP on with a first code; ten recovery codes (shown this once)."""
        codes = await mfa.confirm(await _user(users, current_user), data.code, client_info)
        return Response(codes, headers=NO_STORE)

    @post("/disable", status_code=204)
    async def disable(
        self,
        data: JSONBody[CodeInput],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        users: NamedDependency[UserRepository],
        mfa: NamedDependency[MfaService],
    ) -> None:
        """Switch TOTP off with a TOTP or recovery code."""
        await mfa.disable(await _user(users, current_user), data.code, client_info)
