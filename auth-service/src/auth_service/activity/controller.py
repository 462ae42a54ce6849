"""`GET /auth/activity`: the signed-in user's account events, newest first, cursor-paginated."""

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from auth_service.activity.repository import ActivityRepository, provide_activity
from auth_service.activity.schemas import ActivityPage
from auth_service.tokens import CurrentUser
from service_kit.openapi import BEARER, problems


class ActivityController(Controller):
    """Account activity."""

    path = "/auth/activity"
    tags = ["activity"]
    dependencies = {"activity": Provide(provide_activity, sync_to_thread=False)}

    @get(
        "/",
        operation_id="listActivity",
        security=BEARER,
        responses=problems({400: "`limit` is out of range, or `cursor` is not one this server handed out."}),
    )
    async def list_activity(
        self,
        current_user: CurrentUser,
        activity: NamedDependency[ActivityRepository],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[
            str | None,
            QueryParameter(max_length=200, description="Opaque: a `next_cursor` from an earlier page."),
        ] = None,
    ) -> ActivityPage:
        """The signed-in user's account events (sign-ins, changes), newest first.

        Pass `next_cursor` back as `cursor` for the next page; it is `null` on the last one.
        """
        return await activity.page(current_user.sub, limit, cursor)
