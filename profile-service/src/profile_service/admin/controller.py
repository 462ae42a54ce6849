"""`/admin/moderation*` and `/admin/profiles/*`: administrators only (the token's `role` claim, `provide_admin`).

Every route answers 401 without a valid token and 403 (`admin-required`) for any other token, user or service;
every action is written to the audit log (`admin/audit.py`) and logged with the admin's id.
"""

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from profile_service.admin.audit import AuditRepository
from profile_service.admin.desk import ModerationDesk
from profile_service.admin.schemas import (
    ModerationAuditPage,
    ModerationDecision,
    ModerationPage,
    QueueStatus,
    RejectionRequest,
    TakeDownRequest,
)
from profile_service.auth import ADMIN_REQUIRED, AdminCaller, provide_admin
from profile_service.services import provide_audit, provide_desk
from service_kit.openapi import BEARER, problems

FORBIDDEN = {
    403: f"the token is not an administrator's (a user without the admin role, or a service token): `type`"
    f" `{ADMIN_REQUIRED}`."
}
BAD_PAGE = {400: "`limit` or `status` is out of range, or `cursor` is not one this server handed out."}
DECISION = {
    404: "no upload with this id.",
    409: "the upload is not under moderation, was decided the other way, or (an approval) Cloudinary does not hold it.",
    503: "Cloudinary (or the database) is not answering; nothing was decided: retry.",
}
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Items per page.")]
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
        "desk": Provide(provide_desk, sync_to_thread=False),
    }

    @get("/admin/moderation", operation_id="listModerationQueue", responses=problems({**BAD_PAGE, **FORBIDDEN}))
    async def queue(
        self,
        admin: AdminCaller,
        desk: NamedDependency[ModerationDesk],
        status: Annotated[QueueStatus, QueryParameter(description="Which uploads.")] = "pending",
        limit: Limit = 25,
        cursor: Cursor = None,
    ) -> ModerationPage:
        """Uploads under moderation: `pending` ones (awaiting a decision) oldest first, `approved` or `rejected`
        ones newest first, each with a square thumbnail URL, its owner and when.

        Pass `next_cursor` back as `cursor` (with the same `status`) for the next page; it is `null` on the last.
        Audited as `queue.viewed`.
        """
        return await desk.queue(admin, status, limit, cursor)

    @post(
        "/admin/moderation/{upload_id:str}/approve",
        operation_id="approveUpload",
        status_code=200,
        responses=problems({**FORBIDDEN, **DECISION}),
    )
    async def approve(
        self, upload_id: FromPath[str], admin: AdminCaller, desk: NamedDependency[ModerationDesk]
    ) -> ModerationDecision:
        """Approve an upload: Cloudinary's moderation status is set first, then the picture is applied through the
        ordering rule (`status` `applied`, or `superseded` when a newer picture was applied meanwhile).

        Approving again answers the same; a rejected upload cannot be approved (409). A body, if sent, is ignored.
        """
        return await desk.decide(admin, upload_id, "approved", None)

    @post(
        "/admin/moderation/{upload_id:str}/reject",
        operation_id="rejectUpload",
        status_code=200,
        responses=problems({400: "the body does not match the schema.", **FORBIDDEN, **DECISION}),
    )
    async def reject(
        self,
        upload_id: FromPath[str],
        data: JSONBody[RejectionRequest],
        admin: AdminCaller,
        desk: NamedDependency[ModerationDesk],
    ) -> ModerationDecision:
        """Reject an upload: Cloudinary's moderation status is set first, then the asset is destroyed and the owner
        sees the reason (on their profile and the upload's status).

        Rejecting again answers the same; an approved upload cannot be rejected (409).
        """
        return await desk.decide(admin, upload_id, "rejected", data.reason)

    @delete(
        "/admin/profiles/{account_id:str}/avatar",
        operation_id="takeDownAvatar",
        responses=problems(
            {400: "the body does not match the schema.", **FORBIDDEN, 404: "the profile shows no picture."}
        ),
    )
    async def take_down(
        self,
        account_id: FromPath[str],
        data: JSONBody[TakeDownRequest],
        admin: AdminCaller,
        desk: NamedDependency[ModerationDesk],
    ) -> None:
        """Take a user's live picture down: removed like the owner's deletion (uploads signed before cannot bring
        it back), its asset destroyed at Cloudinary through the outbox, the owner told the reason.

        `account_id` is the user's id (the path parameter is not called `user_id`: that name is the caller's).
        """
        await desk.take_down(admin, account_id, data.reason)

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
