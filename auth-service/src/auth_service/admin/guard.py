"""The admin guard: `/admin/*` routes take `admin` (the caller's stored account) and answer 403 to everyone else.

Three checks, cheapest first: a valid token of ours (401 otherwise, forged `role` claims included: the signature
fails); a user token whose `role` claim is `admin` (service tokens and user tokens: 403 `admin-required`); and the
stored account, re-read on every request, still an active admin (a revoked role is refused at once here, where
profile-service, which trusts the claim, refuses it at the next refresh at the latest).
"""

import logging
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from auth_service.tokens import TokenService, UserClaims, bearer_token
from auth_service.users.repository import ACTIVE
from auth_service.users.schemas import ADMIN, User
from auth_service.users.suspension import refuse_suspended
from service_kit.errors import Forbidden, Unauthorized, problem_type

logger = logging.getLogger(__name__)

ADMIN_REQUIRED = problem_type("admin-required")
# The 403 reason of every admin route, for `responses=problems({...})`.
ADMIN_REASON = (
    "the token is not an administrator's (`type: urn:profile-pictures:problem:admin-required`): a user or service"
    " token, or an account whose admin role was revoked; a suspended admin gets `account-suspended`."
)


class AdminRequired(Forbidden):
    """A valid token that does not belong to an administrator."""

    def __init__(self) -> None:
        super().__init__("This needs an administrator.", type=ADMIN_REQUIRED)


async def provide_admin(request: Request[Any, Any, Any], state: State) -> User:
    """The stored account of the administrator calling, re-read now; 401 without a valid token, else 403."""
    token = bearer_token(request)
    tokens: TokenService = state.services.tokens
    # Any audience: a service token (another audience) is genuine but not an admin's, a 403 rather than a 401.
    claims = tokens.verify(token, audience=None)
    try:
        user_claims = msgspec.convert(claims, UserClaims)
    except msgspec.ValidationError:
        user_claims = None
    if user_claims is None or claims.get("aud") != state.services.settings.user_audience:
        logger.info("admin route refused a service token")
        raise AdminRequired
    if user_claims.role != ADMIN:
        logger.info("admin route refused a user token", extra={"user_id": user_claims.sub})
        raise AdminRequired
    user: User | None = await state.services.ready().users.get(user_claims.sub)
    if user is None or user.status != ACTIVE:
        raise Unauthorized("The account no longer exists.", headers={"WWW-Authenticate": "Bearer"})
    refuse_suspended(user)
    if user.role != ADMIN:
        logger.info("admin route refused a revoked admin", extra={"user_id": user.id})
        raise AdminRequired
    return user


Admin = NamedDependency[User]
