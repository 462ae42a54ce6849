"""Step-up authentication: dangerous actions need a *recent* proof of identity, not just a valid access token.

A route that changes how the account is protected (delete it, turn off two-step verification, change the
e-mail address, remove a passkey, end other sessions) takes `fresh_user` instead of `current_user`: the token's
`auth_time` must be within `AUTH_FRESH_SECONDS`. Otherwise it answers 401 with the `step-up-required` problem
type; the client proves who the person is again (`POST /auth/reauthenticate`, or with a passkey), receives a
new access token with a new `auth_time` for the same session, and retries.
"""

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from auth_service.tokens import UserClaims, provide_user_claims
from service_kit.errors import Unauthorized, problem_type

STEP_UP_REQUIRED = problem_type("step-up-required")
# The 401 reason of every `fresh_user` route in the OpenAPI document (`responses=problems({401: ...})`).
STEP_UP_REASON = (
    "no valid access token (`WWW-Authenticate: Bearer`), or the sign-in is not recent enough"
    " (`type: urn:profile-pictures:problem:step-up-required`, `max_age` in seconds): call"
    " `POST /auth/reauthenticate`, then retry with the new access token."
)


class StepUpRequired(Unauthorized):
    """The access token is valid but its authentication is too old for this action."""

    def __init__(self, fresh_seconds: int) -> None:
        super().__init__(
            "Confirm it is you: enter your password, a code or use a passkey, then try again.",
            type=STEP_UP_REQUIRED,
            max_age=fresh_seconds,
        )


def require_fresh(claims: UserClaims, *, now: float, fresh_seconds: int) -> None:
    """StepUpRequired unless the token's authentication happened within `fresh_seconds` of `now`."""
    if now - claims.auth_time > fresh_seconds:
        raise StepUpRequired(fresh_seconds)


async def provide_fresh_user_claims(request: Request[Any, Any, Any], state: State) -> UserClaims:
    """The verified claims of the bearer token, authenticated recently enough for a dangerous action."""
    claims = await provide_user_claims(request, state)
    require_fresh(claims, now=state.services.clock().timestamp(), fresh_seconds=state.services.settings.fresh_seconds)
    return claims


FreshUser = NamedDependency[UserClaims]
