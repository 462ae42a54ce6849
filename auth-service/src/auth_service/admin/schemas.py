"""Wire shapes of the admin routes (`/admin/users`, `/admin/audit`); the web app's types are generated from them."""

from datetime import datetime
from typing import Annotated

import msgspec

from auth_service.users.schemas import Role, Suspension
from service_kit.openapi import END_OF_STRING

# Audit actions: the CLI changes roles, admins act through the routes.
ROLE_GRANTED = "role.granted"
ROLE_REVOKED = "role.revoked"
USER_SUSPENDED = "user.suspended"
USER_UNSUSPENDED = "user.unsuspended"
USER_VIEWED = "user.viewed"
USERS_SEARCHED = "users.searched"
CLI_ACTOR = "cli"

# Printable: no control characters (C0, DEL, C1), and at least one character that is not white space. The class
# lists both dialects' extra spaces (\x1c-\x1f and \x85 are Python's, \ufeff is ECMA-262's) so that the server and
# a reader of the published pattern agree on every string.
_PRINTABLE = r"[^\x00-\x1f\x7f-\x9f]"
_VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f\ufeff]"
REASON_PATTERN = rf"^{_PRINTABLE}*{_VISIBLE}{_PRINTABLE}*" + END_OF_STRING
Reason = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=500,
        pattern=REASON_PATTERN,
        description="Why, in words the person will read (1-500 printable characters, not only spaces).",
    ),
]


class SuspensionRequest(msgspec.Struct, forbid_unknown_fields=True):
    """What an admin sends to suspend an account."""

    reason: Reason

    def __post_init__(self) -> None:
        self.reason = self.reason.strip()


class AdminUser(msgspec.Struct, kw_only=True):
    """An account as admins see it: never a secret, counts rather than the sessions and passkeys themselves."""

    id: str
    email: str
    username: str
    role: Role
    created_at: datetime
    two_factor: bool
    passkeys: int
    sessions: int
    suspended: Suspension | None


class AdminUserPage(msgspec.Struct, kw_only=True):
    """A page of accounts by e-mail address; pass `next_cursor` back as `cursor`, null on the last page."""

    users: list[AdminUser]
    next_cursor: str | None


class AuditEntry(msgspec.Struct, kw_only=True):
    """Who (`actor_id`: an admin's user id or `cli`) did what (`action`) to whom, when, and why."""

    id: str
    at: datetime
    actor_id: str
    actor: str | None
    action: str
    target_id: str | None
    target: str | None
    reason: str | None
    detail: dict[str, str]


class AuditPage(msgspec.Struct, kw_only=True):
    """A page of audit entries, newest first; `next_cursor` is null on the last page."""

    entries: list[AuditEntry]
    next_cursor: str | None
