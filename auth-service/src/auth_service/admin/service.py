"""What admins do to accounts: find them, look at one, suspend and unsuspend; each action audited.

Spans the users, sessions, passkeys and audit collections, hence a service. Roles are not changed here: only the
grant-role CLI (`admin/cli.py`) does that, so no HTTP request can raise anyone's role.
"""

import base64
import binascii
import logging

from litestar.datastructures import State

from auth_service.admin.repository import AuditRepository
from auth_service.admin.schemas import (
    USER_SUSPENDED,
    USER_UNSUSPENDED,
    USER_VIEWED,
    USERS_SEARCHED,
    AdminUser,
    AdminUserPage,
)
from auth_service.passkeys.repository import PasskeyRepository
from auth_service.sessions.repository import FamilyRepository
from auth_service.users.repository import UserRepository
from auth_service.users.schemas import Suspension, User
from service_kit.clock import Clock
from service_kit.errors import BadRequest, Conflict, NotFound

logger = logging.getLogger(__name__)

NO_SUCH_USER = "There is no account with this id."
BAD_CURSOR = "The cursor is not valid."


def encode_user_cursor(email: str) -> str:
    """An opaque cursor naming the last account of a page (its e-mail address: the sort key)."""
    return base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")


def decode_user_cursor(cursor: str) -> str:
    """The e-mail address a cursor names; BadRequest for anything that cannot be one we handed out."""
    try:
        email = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(BAD_CURSOR, field="cursor") from None
    if "@" not in email or len(email) > 254 or encode_user_cursor(email) != cursor:
        raise BadRequest(BAD_CURSOR, field="cursor")
    return email


class AdminService:
    """Account administration over the repositories; `admin` is always the stored, re-read caller."""

    def __init__(
        self,
        *,
        users: UserRepository,
        families: FamilyRepository,
        passkeys: PasskeyRepository,
        audit: AuditRepository,
        clock: Clock,
    ) -> None:
        self._users = users
        self._families = families
        self._passkeys = passkeys
        self._audit = audit
        self._clock = clock

    async def search(self, admin: User, prefix: str, cursor: str | None, limit: int) -> AdminUserPage:
        """A page of accounts whose e-mail or username starts with `prefix` (any case), by e-mail address."""
        prefix = prefix.strip()  # as e-mail addresses are stored
        after = decode_user_cursor(cursor) if cursor is not None else None
        found = await self._users.search(prefix, after=after, limit=limit + 1)
        page = found[:limit]
        await self._audit.record(actor_id=admin.id, actor=admin.email, action=USERS_SEARCHED, detail={"q": prefix})
        logger.info("admin searched users", extra={"admin_id": admin.id})
        return AdminUserPage(
            users=await self._views(page),
            next_cursor=encode_user_cursor(page[-1].email) if len(found) > limit else None,
        )

    async def view(self, admin: User, user_id: str) -> AdminUser:
        """One account; 404 for an unknown id."""
        user = await self._get(user_id)
        await self._audit.record(
            actor_id=admin.id, actor=admin.email, action=USER_VIEWED, target_id=user.id, target=user.email
        )
        logger.info("admin viewed a user", extra={"admin_id": admin.id, "user_id": user.id})
        return (await self._views([user]))[0]

    async def suspend(self, admin: User, user_id: str, reason: str) -> AdminUser:
        """Suspend the account and end every session of it; an account already suspended keeps its suspension."""
        if user_id == admin.id:
            raise Conflict("You cannot suspend your own account.")
        user = await self._get(user_id)
        now = self._clock()
        changed = await self._users.suspend(user.id, Suspension(reason=reason, at=now, by=admin.id))
        # Every time, not only on the first call: a sign-in that read the account just before the suspension may
        # have started a session since (refresh refuses it anyway; this also ends it in the sessions list).
        ended = await self._families.revoke_all(user.id, now)
        await self._audit.record(
            actor_id=admin.id,
            actor=admin.email,
            action=USER_SUSPENDED,
            target_id=user.id,
            target=user.email,
            reason=reason,
            detail={"outcome": "suspended" if changed else "already_suspended", "sessions_ended": str(ended)},
        )
        logger.info("admin suspended a user", extra={"admin_id": admin.id, "user_id": user.id, "changed": changed})
        return (await self._views([await self._get(user.id)]))[0]

    async def unsuspend(self, admin: User, user_id: str) -> AdminUser:
        """Lift the suspension: the person can sign in again (their old sessions stay ended)."""
        user = await self._get(user_id)
        changed = await self._users.unsuspend(user.id)
        await self._audit.record(
            actor_id=admin.id,
            actor=admin.email,
            action=USER_UNSUSPENDED,
            target_id=user.id,
            target=user.email,
            detail={"outcome": "unsuspended" if changed else "not_suspended"},
        )
        logger.info("admin unsuspended a user", extra={"admin_id": admin.id, "user_id": user.id, "changed": changed})
        return (await self._views([await self._get(user.id)]))[0]

    async def _get(self, user_id: str) -> User:
        if (user := await self._users.get(user_id)) is None:
            raise NotFound(NO_SUCH_USER)
        return user

    async def _views(self, users: list[User]) -> list[AdminUser]:
        ids = [user.id for user in users]
        passkeys = await self._passkeys.counts(ids) if ids else {}
        sessions = await self._families.live_counts(ids, self._clock()) if ids else {}
        return [
            AdminUser(
                id=user.id,
                email=user.email,
                username=user.username,
                role=user.token_role,
                created_at=user.created_at,
                two_factor=user.mfa_enabled,
                passkeys=passkeys.get(user.id, 0),
                sessions=sessions.get(user.id, 0),
                suspended=user.suspended,
            )
            for user in users
        ]


def provide_admin_service(state: State) -> AdminService:
    """The admin service, once the database is ready."""
    admin: AdminService = state.services.ready().admin
    return admin
