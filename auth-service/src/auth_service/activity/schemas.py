"""Account activity shapes and the kinds of event recorded."""

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import State

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 -- an event name
PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105 -- an event name
PASSWORD_RESET = "password_reset"  # noqa: S105 -- an event name
EMAIL_CHANGE_REQUESTED = "email_change_requested"
EMAIL_CHANGED = "email_changed"
MFA_ENABLED = "mfa_enabled"
MFA_DISABLED = "mfa_disabled"
RECOVERY_CODE_USED = "recovery_code_used"
ACCOUNT_DELETION_REQUESTED = "account_deletion_requested"
PASSKEY_ADDED = "passkey_added"
PASSKEY_REMOVED = "passkey_removed"
REAUTHENTICATED = "reauthenticated"
SESSION_REVOKED = "session_revoked"
OTHER_SESSIONS_REVOKED = "other_sessions_revoked"
SIGN_IN_REPORTED = "sign_in_reported"


class ClientInfo(msgspec.Struct, frozen=True):
    """Where a request came from, as recorded with each event."""

    ip: str
    user_agent: str


def provide_client_info(request: Request[Any, Any, State]) -> ClientInfo:
    """The caller's address (uvicorn applies X-Forwarded-For from trusted proxies) and user agent."""
    ip = request.client.host if request.client else "unknown"
    return ClientInfo(ip=ip, user_agent=request.headers.get("user-agent", "")[:300])


class ActivityEvent(msgspec.Struct, kw_only=True):
    """One event as listed (lenient: stored events may grow fields)."""

    id: str
    kind: str
    at: datetime
    ip: str
    user_agent: str
    detail: str | None = None


class ActivityPage(msgspec.Struct, kw_only=True):
    """A page of events, newest first; `next_cursor` is null on the last page."""

    events: list[ActivityEvent]
    next_cursor: str | None
