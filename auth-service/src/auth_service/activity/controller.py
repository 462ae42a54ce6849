"""`GET /auth/activity`: the signed-in user's account events, newest first, cursor-paginated."""

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from auth_service.activity.repository import ActivityRepository, provide_activity
from auth_service.activity.schemas import ActivityPage
from auth_service.tokens import CurrentUser


class ActivityController(Controller):
    """Account activity."""

    path = "/auth/activity"
    tags = ["activity"]
    dependencies = {"activity": Provide(provide_activity, sync_to_thread=False)}

    @get("/")
    async def list_activity(
        self,
        current_user: CurrentUser,
        activity: NamedDependency[ActivityRepository],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> ActivityPage:
        """A page of events; pass `next_cursor` back as `cursor` for the next one."""
        return await activity.page(current_user.sub, limit, cursor)
