"""`/auth/register` and `/auth/me` (read, delete)."""

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from auth_service.account.schemas import Accepted, AccountDeletion
from auth_service.account.service import AccountService
from auth_service.activity.schemas import ClientInfo
from auth_service.passwords import Passwords
from auth_service.tokens import CurrentUser
from auth_service.users.repository import UserRepository, provide_users
from auth_service.users.schemas import PublicUser, Registration, User
from service_kit.errors import Unauthorized


class UserController(Controller):
    """Accounts."""

    path = "/auth"
    tags = ["users"]
    dependencies = {"users": Provide(provide_users, sync_to_thread=False)}

    @post("/register")
    async def register(
        self, data: JSONBody[Registration], state: State, users: NamedDependency[UserRepository]
    ) -> PublicUser:
        """Create an account; 409 naming `email` or `username` when taken."""
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

    @get("/me")
    async def me(self, current_user: CurrentUser, users: NamedDependency[UserRepository]) -> PublicUser:
        """The signed-in user."""
        if (user := await users.get(current_user.sub)) is None:
            raise Unauthorized("The account no longer exists.")
        return PublicUser.of(user)

    @delete("/me", status_code=202)
    async def delete_account(
        self,
        data: JSONBody[AccountDeletion],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> Accepted:
        """Queue the account's deletion (profile-service first, then here); sign-in stops at once."""
        await accounts.delete_account(current_user, data.password, data.code, client_info)
        return Accepted(status="deleting", detail="The account is being deleted.")
