"""The one answer every way of signing in or refreshing gives a suspended account (403 `account-suspended`)."""

from auth_service.users.schemas import User
from service_kit.errors import Forbidden, problem_type

ACCOUNT_SUSPENDED = problem_type("account-suspended")
# The 403 reason of every route that signs in or refreshes, for `responses=problems({...})`.
SUSPENDED_REASON = "the account is suspended (`type: urn:profile-pictures:problem:account-suspended`, `reason`: why)."


class AccountSuspended(Forbidden):
    """An admin suspended the account; `reason` is theirs, shown to the person as it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"This account is suspended: {reason}", type=ACCOUNT_SUSPENDED, reason=reason)


def refuse_suspended(user: User) -> None:
    """AccountSuspended when `user` is suspended; called wherever a session starts, steps up or refreshes."""
    if user.suspended is not None:
        raise AccountSuspended(user.suspended.reason)
