"""`POST /internal/profiles/lookup` and `GET /internal/profiles/changes`: other services (a comments or chat
service rendering avatars) resolve many users at once and follow changes instead of polling every profile.

Both need a service token of the internal audience with the `profiles:read` scope (`auth.provide_profiles_reader`).
"""

import hashlib
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPI, OpenAPIType, Schema
from litestar.params import JSONBody, QueryParameter

from profile_service.auth import SCOPE_REQUIRED, ProfilesReader, provide_profiles_reader
from profile_service.feed.repository import CURSOR_GONE, ChangeFeed
from profile_service.feed.schemas import (
    CURSOR_PATTERN,
    USER_ID_PATTERN,
    ProfileChangePage,
    ProfileLookup,
    ProfileLookupResult,
)
from profile_service.profiles.repository import ProfileRepository
from profile_service.services import provide_feed
from service_kit.openapi import BEARER, problems

FORBIDDEN = {
    403: f"a valid token that is not a service token of the internal audience with the `profiles:read` scope (a "
    f"user's access token, another audience, another scope): `type` `{SCOPE_REQUIRED}`.",
}
NOT_MODIFIED = ResponseSpec(
    data_container=None, description="Not Modified: `If-None-Match` names the current `ETag`; no body."
)


def document_lookup(openapi: OpenAPI) -> None:
    """State the rule for each of `ProfileLookup.user_ids` in the document: Litestar keeps a list's own constraints
    (1..100 items) but drops its items' (a user id)."""
    schemas = openapi.components.schemas or {} if not isinstance(openapi.components, list) else {}
    lookup = schemas.get("ProfileLookup")
    if isinstance(lookup, Schema) and isinstance(ids := (lookup.properties or {}).get("user_ids"), Schema):
        ids.items = Schema(type=OpenAPIType.STRING, min_length=1, max_length=64, pattern=USER_ID_PATTERN)


def etag_of(result: ProfileLookupResult) -> str:
    """A strong ETag over the canonical encoding of the answer (the repository orders it by user id)."""
    return '"' + hashlib.sha256(msgspec.json.encode(result)).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header names `etag` (RFC 9110 13.1.2: weak comparison, or `*`)."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


class InternalProfilesController(Controller):
    """The batch lookup and the change feed."""

    tags = ["internal"]
    security = BEARER
    dependencies = {
        "reader": Provide(provide_profiles_reader),
        "feed": Provide(provide_feed, sync_to_thread=False),
    }

    @post(
        "/internal/profiles/lookup",
        operation_id="lookupProfiles",
        status_code=200,
        response_headers=[
            ResponseHeader(name="ETag", documentation_only=True, description="A strong validator of this exact answer.")
        ],
        responses={
            # Stated here: the handler's return type admits the 304's empty body, which the 200 never has.
            200: ResponseSpec(
                data_container=ProfileLookupResult,
                description="The public views by user id, and the ids that have none (unknown or deleted).",
            ),
            304: NOT_MODIFIED,
            **problems({400: "the body does not match the schema (1..100 user ids, each a user id).", **FORBIDDEN}),
        },
    )
    async def lookup(
        self,
        data: JSONBody[ProfileLookup],
        reader: ProfilesReader,
        profiles: NamedDependency[ProfileRepository],
        request: Request[Any, Any, Any],
    ) -> Response[ProfileLookupResult | None]:
        """Resolve up to 100 user ids (duplicates ignored) to their public view in one database query.

        A private profile answers only `visibility: "private"`; unknown and deleted users are in `missing`.
        The answer carries a strong `ETag`; send it back as `If-None-Match` to get 304 while nothing changed.
        """
        result = await profiles.lookup(data.user_ids)
        etag = etag_of(result)
        if matches(request.headers.get("if-none-match"), etag):
            return Response(None, status_code=304, headers={"ETag": etag})
        return Response(result, headers={"ETag": etag})

    @get(
        "/internal/profiles/changes",
        operation_id="listProfileChanges",
        responses=problems(
            {
                400: "`after` is not a cursor this service handed out, or `limit`/`wait` is out of range.",
                410: f"`after` is older than the retention (`PROFILE_CHANGE_RETENTION_DAYS`): resync with the "
                f"lookup and follow the feed from its start; `type` `{CURSOR_GONE}`.",
                **FORBIDDEN,
            }
        ),
    )
    async def changes(
        self,
        reader: ProfilesReader,
        feed: NamedDependency[ChangeFeed],
        after: Annotated[
            str | None,
            QueryParameter(
                pattern=CURSOR_PATTERN,
                description="A `cursor` or `next_cursor` handed out earlier; omitted: from the oldest retained.",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="Changes per page.")] = 100,
        wait: Annotated[
            float, QueryParameter(ge=0, le=30, description="Seconds to wait for a change when there is none yet.")
        ] = 0,
    ) -> ProfileChangePage:
        """Changes of profiles' public views (picture applied, removed or taken down, display name, visibility,
        username, account deleted) in commit order, each with its cursor.

        Store `next_cursor` (the last change's cursor, or `after` when there is none) and pass it as `after` to
        continue; nothing is repeated or skipped across pages, restarts or instances. Events carry no profile
        data: re-read the profile through the lookup.
        """
        return await feed.page(after, limit, wait)
