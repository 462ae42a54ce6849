"""`/auth/register` and `/auth/me` (read, delete)."""

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from auth_service.account.schemas import Accepted
from auth_service.account.service import AccountService
from auth_service.activity.schemas import ClientInfo
from auth_service.passwords import Passwords
from auth_service.stepup import STEP_UP_REASON, FreshUser
from auth_service.tokens import CurrentUser
from auth_service.users.repository import UserRepository, provide_users
from auth_service.users.schemas import PublicUser, Registration, User
from service_kit.errors import Unauthorized
from service_kit.openapi import BEARER, problems


class UserController(Controller):
    """Accounts."""

    path = "/auth"
    tags = ["users"]
    dependencies = {"users": Provide(provide_users, sync_to_thread=False)}

    @post(
        "/register",
        operation_id="registerUser",
        responses=problems(
            {
                400: "the body does not match the schema.",
                409: "the e-mail address or the username is taken (`field` names which).",
            }
        ),
    )
    async def register(
        self, data: JSONBody[Registration], state: State, users: NamedDependency[UserRepository]
    ) -> PublicUser:
        """Create an account with an e-mail address, a username and a password; sign in with `/auth/login`."""
        passwords: Passwords = state.services.passwords
        now = state.services.clock()
        user = User(
            id=users.new_id(),
            email=data.email,
            username=data.username,
            password_hash=await passwords.hash(data.password),
            created_at=now,
            updated_at=now,
        )
        await users.create(user)
        return PublicUser.of(user)

    # The repository comes from `state`, not as a second dependency: Litestar resolves two dependencies of one
    # handler concurrently in a task group of their own, which cost this hot read more CPU than the token check.
    # The account may be up to a second old when another instance changed it (users/recent.py), never older than
    # this instance's own writes.
    @get("/me", operation_id="getMe", security=BEARER)
    async def me(self, current_user: CurrentUser, state: State) -> PublicUser:
        """The signed-in user's account: id, e-mail, username, role, and whether two-factor sign-in is on."""
        if (user := await provide_users(state).get_recent(current_user.sub)) is None:
            raise Unauthorized("The account no longer exists.")
        return PublicUser.of(user)

    @delete(
        "/me",
        operation_id="deleteMyAccount",
        status_code=202,
        security=BEARER,
        responses=problems(
            {
                401: STEP_UP_REASON,
                503: "account deletion is not configured on this server, or the database is down.",
            }
        ),
    )
    async def delete_account(
        self,
        fresh_user: FreshUser,
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> Accepted:
        """Delete the account; needs a recent sign-in (step-up).

        Sign-in stops at once and every session ends; the profile and pictures are deleted in the background,
        then the account itself.
        """
        await accounts.delete_account(fresh_user, client_info)
        return Accepted(status="deleting", detail="The account is being deleted.")
