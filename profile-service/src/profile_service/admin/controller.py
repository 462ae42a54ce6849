"""`/admin/moderation*` and `/admin/profiles/*`: administrators only (the token's `role` claim, `provide_admin`).

Every route answers 401 without a valid token and 403 (`admin-required`) for any other token, user or service;
every action is written to the audit log (`admin/audit.py`) and logged with the admin's id.
"""

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from profile_service.admin.audit import AuditRepository
from profile_service.admin.schemas import ModerationAuditPage
from profile_service.auth import ADMIN_REQUIRED, AdminCaller, provide_admin
from profile_service.services import provide_audit
from service_kit.openapi import BEARER, problems

FORBIDDEN = {
    403: f"the token is not an administrator's (a user without the admin role, or a service token): `type`"
    f" `{ADMIN_REQUIRED}`."
}
BAD_PAGE = {400: "`limit` is out of range, or `cursor` is not one this server handed out."}
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Entries per page.")]
Cursor = Annotated[
    str | None, QueryParameter(max_length=200, description="Opaque: a `next_cursor` from an earlier page.")
]


class ModerationAdminController(Controller):
    """The moderation queue, decisions, take-downs and their audit log."""

    tags = ["admin"]
    security = BEARER
    dependencies = {
        "admin": Provide(provide_admin),
        "audit": Provide(provide_audit, sync_to_thread=False),
    }

    @get(
        "/admin/moderation/audit",
        operation_id="listModerationAudit",
        responses=problems({**BAD_PAGE, **FORBIDDEN}),
    )
    async def audit_log(
        self,
        admin: AdminCaller,
        audit: NamedDependency[AuditRepository],
        limit: Limit = 25,
        cursor: Cursor = None,
    ) -> ModerationAuditPage:
        """Every admin action of this service (decisions, take-downs, queue views), newest first.

        Pass `next_cursor` back as `cursor` for the next page; it is `null` on the last one.
        """
        return await audit.page(limit, cursor)
