"""`/admin/users` (find, view, suspend, unsuspend) and `/admin/audit`: administrators only, every action audited."""

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from auth_service.admin.guard import ADMIN_REASON, Admin
from auth_service.admin.repository import AuditRepository, provide_audit
from auth_service.admin.schemas import AdminUser, AdminUserPage, AuditPage, SuspensionRequest
from auth_service.admin.service import AdminService, provide_admin_service
from service_kit.openapi import BEARER, problems

UserId = Annotated[str, PathParameter(min_length=1, max_length=100, description="An account's `id`.")]
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size.")]
Cursor = Annotated[
    str | None,
    QueryParameter(min_length=1, max_length=400, description="Opaque: a `next_cursor` from an earlier page."),
]
BAD_CURSOR_REASON = "`limit` is out of range, or `cursor` is not one this server handed out."


class AdminUserController(Controller):
    """Account administration."""

    path = "/admin/users"
    tags = ["admin"]
    security = BEARER
    dependencies = {"admin_service": Provide(provide_admin_service, sync_to_thread=False)}

    @get("/", operation_id="listUsers", responses=problems({400: BAD_CURSOR_REASON, 403: ADMIN_REASON}))
    async def list_users(
        self,
        admin: Admin,
        admin_service: NamedDependency[AdminService],
        q: Annotated[
            str,
            QueryParameter(max_length=100, description="Prefix of the e-mail address or the username, any case."),
        ] = "",
        cursor: Cursor = None,
        limit: Limit = 25,
    ) -> AdminUserPage:
        """Accounts whose e-mail address or username starts with `q` (every account without it), by e-mail.

        Pass `next_cursor` back as `cursor` for the next page; it is `null` on the last one.
        """
        return await admin_service.search(admin, q, cursor, limit)

    @get(
        "/{user_id:str}",
        operation_id="getUser",
        responses=problems({403: ADMIN_REASON, 404: "no account has this id."}),
    )
    async def get_user(
        self, user_id: FromPath[UserId], admin: Admin, admin_service: NamedDependency[AdminService]
    ) -> AdminUser:
        """One account: role, two-step and passkeys, live sessions, suspension."""
        return await admin_service.view(admin, user_id)

    @post(
        "/{user_id:str}/suspend",
        operation_id="suspendUser",
        status_code=200,
        responses=problems(
            {
                400: "the body does not match the schema.",
                403: ADMIN_REASON,
                404: "no account has this id.",
                409: "that is your own account.",
            }
        ),
    )
    async def suspend_user(
        self,
        user_id: FromPath[UserId],
        data: JSONBody[SuspensionRequest],
        admin: Admin,
        admin_service: NamedDependency[AdminService],
    ) -> AdminUser:
        """Suspend an account: every session ends, and signing in or refreshing answers 403 with the reason.

        Suspending a suspended account changes nothing (its first reason stays). Access tokens it already holds
        keep working until they expire (at most the access-token lifetime).
        """
        return await admin_service.suspend(admin, user_id, data.reason)

    @post(
        "/{user_id:str}/unsuspend",
        operation_id="unsuspendUser",
        status_code=200,
        responses=problems({403: ADMIN_REASON, 404: "no account has this id."}),
    )
    async def unsuspend_user(
        self, user_id: FromPath[UserId], admin: Admin, admin_service: NamedDependency[AdminService]
    ) -> AdminUser:
        """Lift a suspension: the person can sign in again; sessions ended by the suspension stay ended."""
        return await admin_service.unsuspend(admin, user_id)


class AuditController(Controller):
    """The audit log."""

    path = "/admin/audit"
    tags = ["admin"]
    security = BEARER
    dependencies = {"audit": Provide(provide_audit, sync_to_thread=False)}

    @get("/", operation_id="listAudit", responses=problems({400: BAD_CURSOR_REASON, 403: ADMIN_REASON}))
    async def list_audit(
        self, admin: Admin, audit: NamedDependency[AuditRepository], cursor: Cursor = None, limit: Limit = 25
    ) -> AuditPage:
        """Who did what to whom, when and why: admin actions and role changes, newest first.

        Pass `next_cursor` back as `cursor` for the next page; it is `null` on the last one.
        """
        return await audit.page(limit, cursor)
