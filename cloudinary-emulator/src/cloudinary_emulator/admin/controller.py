"""The Admin API (HTTP Basic with the API key and secret): resources, their listings, moderation queues, update.

`GET /v1_1/{cloud}/resources/image[/{type}[/{public_id}]]`, `GET .../resources/image/moderations/{kind}/{status}`,
`POST .../resources/image/{type}/{public_id}` (the resource update; here only `moderation_status`),
`GET .../resources/image/tags/{tag}`, `GET .../resources/image/context?key=&value=`, `GET .../resources/{asset_id}`.
"""

import logging
import re
from collections.abc import Mapping
from email.utils import formatdate
from typing import Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import FromPath

from cloudinary_emulator.auth import check_basic, check_cloud
from cloudinary_emulator.context import Emulator
from cloudinary_emulator.errors import CloudinaryError, bad_request, not_found
from cloudinary_emulator.moderation import DECISIONS, KINDS, MANUAL, STATUSES, notification_body, now_iso
from cloudinary_emulator.notifications import notification_context
from cloudinary_emulator.resources import admin_resource, delivery_url
from cloudinary_emulator.storage import Asset, NotModeratedError, Page
from cloudinary_emulator.uploads.options import read_form

logger = logging.getLogger(__name__)

DEFAULT_MAX_RESULTS = 10
MAX_MAX_RESULTS = 500
# What the emulator's resource update acts on; any other update parameter is refused rather than ignored, so a
# test never passes with a change the emulator did not make. `invalidate` is accepted: there is no CDN.
# What Cloudinary asset ids look like (32 lower-case hex digits), told apart from a resource type in the path.
ASSET_ID = re.compile(r"[0-9a-f]{32}")
UPDATE_PARAMETERS = frozenset({"moderation_status", "notification_url", "invalidate"})
# The delivery types the emulator stores (uploads of type=upload only, see uploads/pipeline.py). Listing or getting
# any other (`private`, `authenticated`, `fetch`, a made-up one) is refused: an empty list would pass by accident.
# Listing types with routes of their own (tags, context, moderations) are matched before these handlers.
EMULATED_TYPES = frozenset({"upload"})
# Query parameters of listings the emulator honours; any other (`start_at`, `direction`, `fields`, ...) is refused.
# Paging and the fields a listing can include; each listing adds its own filters.
PAGE_PARAMETERS = frozenset({"max_results", "next_cursor", "tags", "context", "moderations"})
LIST_PARAMETERS = PAGE_PARAMETERS | {"prefix", "type"}
CONTEXT_PARAMETERS = PAGE_PARAMETERS | {"key", "value"}
# Resource lookups: analyses the emulator does not compute are refused when asked for (a false value is fine).
RESOURCE_PARAMETERS = frozenset({"max_results", "derived_next_cursor"})


class AdminController(Controller):
    """The Admin API calls the services and their tests use."""

    path = "/v1_1/{cloud:str}/resources/{resource_type:str}"
    tags = ["admin"]

    @get("/")
    async def list_all_types(
        self, request: Request[Any, Any, Any], state: State, cloud: FromPath[str], resource_type: FromPath[str]
    ) -> Response[Any]:
        """List resources of every delivery type (`type` narrows it); `resources/{asset_id}` is one asset by id.

        `resource_by_asset_id` puts the id where the resource type goes (SDK api.py), so a 32-hex segment that is
        no resource type is read as an asset id.
        """
        emulator: Emulator = state.emulator
        if ASSET_ID.fullmatch(resource_type):
            check_cloud(cloud, emulator.account)
            check_basic(request.headers.get("authorization"), emulator.account)
            if (status := emulator.faults.take_admin_failure()) is not None:
                raise CloudinaryError(status, "General Error")
            asset = await anyio.to_thread.run_sync(emulator.storage.get_by_asset_id, resource_type)
            if asset is None:
                raise not_found(f"Resource not found - {resource_type}")
            derived = await anyio.to_thread.run_sync(emulator.storage.list_derived, asset)
            body = admin_resource(asset, cloud=cloud, base=emulator.base_url, derived=derived)
            return Response(body, headers=_rate_limit_headers(emulator))
        return await _list(request, emulator, cloud, resource_type, request.query_params.get("type"))

    @get("/tags/{tag:str}")
    async def by_tag(
        self,
        request: Request[Any, Any, Any],
        state: State,
        cloud: FromPath[str],
        resource_type: FromPath[str],
        tag: FromPath[str],
    ) -> Response[Any]:
        """Resources carrying `tag` (`resources_by_tag`), `max_results` at a time, every delivery type."""
        emulator: Emulator = state.emulator
        _authenticate(request, emulator, cloud, resource_type)
        query = request.query_params
        refuse_unsupported(query, PAGE_PARAMETERS)
        max_results = parse_max_results(query.get("max_results", str(DEFAULT_MAX_RESULTS)))
        page = await anyio.to_thread.run_sync(
            emulator.storage.list_matching, None, lambda asset: tag in asset.tags, max_results, query.get("next_cursor")
        )
        return Response(_page_body(request, emulator, cloud, page), headers=_rate_limit_headers(emulator))

    @get("/context")
    async def by_context(
        self, request: Request[Any, Any, Any], state: State, cloud: FromPath[str], resource_type: FromPath[str]
    ) -> Response[Any]:
        """Resources with context `key` (and, given `value`, that value): `resources_by_context`."""
        emulator: Emulator = state.emulator
        _authenticate(request, emulator, cloud, resource_type)
        query = request.query_params
        refuse_unsupported(query, CONTEXT_PARAMETERS)
        key = query.get("key")
        if not key:
            raise bad_request("Missing required parameter - key")
        value = query.get("value")
        max_results = parse_max_results(query.get("max_results", str(DEFAULT_MAX_RESULTS)))

        def match(asset: Asset) -> bool:
            return key in asset.context and (value is None or asset.context[key] == value)

        page = await anyio.to_thread.run_sync(
            emulator.storage.list_matching, None, match, max_results, query.get("next_cursor")
        )
        return Response(_page_body(request, emulator, cloud, page), headers=_rate_limit_headers(emulator))

    @get("/moderations/{kind:str}/{status:str}")
    async def by_moderation(
        self,
        request: Request[Any, Any, Any],
        state: State,
        cloud: FromPath[str],
        resource_type: FromPath[str],
        kind: FromPath[str],
        status: FromPath[str],
    ) -> Response[Any]:
        """Resources in one moderation queue (`resources_by_moderation`), `max_results` at a time."""
        emulator: Emulator = state.emulator
        _authenticate(request, emulator, cloud, resource_type)
        if kind not in KINDS:
            raise bad_request(f"Illegal moderation kind: {kind}")
        if status not in STATUSES:
            raise bad_request(f"Illegal moderation status: {status}")
        query = request.query_params
        refuse_unsupported(query, PAGE_PARAMETERS)
        max_results = parse_max_results(query.get("max_results", str(DEFAULT_MAX_RESULTS)))
        page = await anyio.to_thread.run_sync(
            emulator.storage.list_by_moderation, kind, status, max_results, query.get("next_cursor")
        )
        return Response(_page_body(request, emulator, cloud, page), headers=_rate_limit_headers(emulator))

    @get("/{delivery_type:str}")
    async def list_resources(
        self,
        request: Request[Any, Any, Any],
        state: State,
        cloud: FromPath[str],
        resource_type: FromPath[str],
        delivery_type: FromPath[str],
    ) -> Response[Any]:
        """List resources by `prefix`, `max_results` at a time, continuing from `next_cursor`."""
        return await _list(request, state.emulator, cloud, resource_type, delivery_type)

    @get("/{delivery_type:str}/{public_id:path}")
    async def resource(
        self,
        request: Request[Any, Any, Any],
        state: State,
        cloud: FromPath[str],
        resource_type: FromPath[str],
        delivery_type: FromPath[str],
        public_id: FromPath[str],
    ) -> Response[Any]:
        """One resource with its derivatives."""
        emulator: Emulator = state.emulator
        _authenticate(request, emulator, cloud, resource_type)
        check_delivery_type(delivery_type)
        for key, value in request.query_params.items():
            if key not in RESOURCE_PARAMETERS and value.lower() not in ("", "0", "false"):
                raise bad_request(f"Resource parameter {key} is not supported by the emulator")
        public_id = public_id.lstrip("/")
        asset = await anyio.to_thread.run_sync(emulator.storage.get, public_id, delivery_type)
        if asset is None:
            raise not_found(f"Resource not found - {public_id}")
        derived = await anyio.to_thread.run_sync(emulator.storage.list_derived, asset)
        body = admin_resource(asset, cloud=cloud, base=emulator.base_url, derived=derived)
        return Response(body, headers=_rate_limit_headers(emulator))

    @post("/{delivery_type:str}/{public_id:path}", status_code=200)
    async def update(
        self,
        request: Request[Any, Any, Any],
        state: State,
        cloud: FromPath[str],
        resource_type: FromPath[str],
        delivery_type: FromPath[str],
        public_id: FromPath[str],
    ) -> Response[Any]:
        """Update a resource: `moderation_status` approved/rejected decides its manual moderation and notifies."""
        emulator: Emulator = state.emulator
        _authenticate(request, emulator, cloud, resource_type)
        check_delivery_type(delivery_type)
        params = await _update_parameters(request)
        if unsupported := sorted(set(params) - UPDATE_PARAMETERS):
            raise bad_request(
                f"Update parameter {unsupported[0]} is not supported by the emulator (moderation_status only)"
            )
        decision = params.get("moderation_status")
        if decision is not None and decision not in DECISIONS:
            raise bad_request(f"Illegal moderation status: {decision}")
        public_id = public_id.lstrip("/")
        if decision is None:
            asset = await anyio.to_thread.run_sync(emulator.storage.get, public_id, delivery_type)
        else:
            asset = await anyio.to_thread.run_sync(_decide, emulator, public_id, delivery_type, decision)
        if asset is None:
            raise not_found(f"Resource not found - {public_id}")
        derived = await anyio.to_thread.run_sync(emulator.storage.list_derived, asset)
        body = admin_resource(asset, cloud=cloud, base=emulator.base_url, derived=derived)
        background = None
        if decision is not None:
            logger.info("moderation decided", extra={"public_id": public_id, "moderation_status": decision})
            background = BackgroundTask(_notify_moderation, emulator, asset, params.get("notification_url"))
        return Response(body, headers=_rate_limit_headers(emulator), background=background)


def check_delivery_type(delivery_type: str) -> None:
    """Refuse, naming it, a delivery or listing type the emulator does not emulate."""
    if delivery_type not in EMULATED_TYPES:
        raise bad_request(f"Listing or delivery type {delivery_type} is not supported by the emulator")


def parse_max_results(raw: str) -> int:
    """`max_results` as Cloudinary takes it (1..500); its 400 otherwise."""
    # isdigit() alone takes "²", which int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_MAX_RESULTS:
        raise bad_request(f"Invalid max_results - {raw}, must be between 1 and {MAX_MAX_RESULTS}")
    return int(raw)


def refuse_unsupported(query: Mapping[str, str], allowed: frozenset[str]) -> None:
    """A listing asked for a filter or a field the emulator does not give (e.g. `metadata`): refused, never ignored."""
    if unsupported := sorted(set(query) - allowed):
        raise bad_request(f"Listing parameter {unsupported[0]} is not supported by the emulator")


async def _list(
    request: Request[Any, Any, Any], emulator: Emulator, cloud: str, resource_type: str, delivery_type: str | None
) -> Response[Any]:
    _authenticate(request, emulator, cloud, resource_type)
    if delivery_type is not None:
        check_delivery_type(delivery_type)
    query = request.query_params
    refuse_unsupported(query, LIST_PARAMETERS)
    max_results = parse_max_results(query.get("max_results", str(DEFAULT_MAX_RESULTS)))
    page = await anyio.to_thread.run_sync(
        emulator.storage.list_assets, delivery_type, query.get("prefix", ""), max_results, query.get("next_cursor")
    )
    return Response(_page_body(request, emulator, cloud, page), headers=_rate_limit_headers(emulator))


def _page_body(request: Request[Any, Any, Any], emulator: Emulator, cloud: str, page: Page) -> dict[str, Any]:
    query = request.query_params
    tags = query.get("tags", "").lower() in ("1", "true")
    context = query.get("context", "").lower() in ("1", "true")
    # Listings show moderation only when asked (`moderations=true`), as the Admin API documents the parameter.
    moderation = query.get("moderations", "").lower() in ("1", "true")
    body: dict[str, Any] = {
        "resources": [
            admin_resource(
                asset, cloud=cloud, base=emulator.base_url, tags=tags, context=context, moderation=moderation
            )
            for asset in page.assets
        ]
    }
    if page.next_cursor is not None:
        body["next_cursor"] = page.next_cursor
    return body


async def _update_parameters(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The update's parameters: a JSON body (SDK 1.46's `call_json_api`) or a form (older SDKs, Node, curl)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return read_form(await request.form()).params
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        document = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise bad_request("Invalid JSON in request body") from None
    if not isinstance(document, dict):
        raise bad_request("Invalid JSON in request body: an object is required")
    return {str(key): _wire_string(value) for key, value in document.items() if value is not None}


def _wire_string(value: object) -> str:
    # As a form would carry it: booleans as true/false, everything else as its text.
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


def _decide(emulator: Emulator, public_id: str, delivery_type: str, decision: str) -> Asset | None:
    try:
        return emulator.storage.set_moderation(public_id, delivery_type, MANUAL, decision, now_iso())
    except NotModeratedError:
        raise CloudinaryError(400, f"Resource is not in the manual moderation queue - {public_id}") from None


async def _notify_moderation(emulator: Emulator, asset: Asset, notification_url: str | None) -> None:
    """After the update's response: the signed `moderation` notification, through the usual delivery and faults."""
    entry = next(entry for entry in asset.moderation if entry.kind == MANUAL)
    payload = notification_body(
        entry,
        public_id=asset.public_id,
        asset_id=asset.asset_id,
        uploaded_at=asset.created_at,
        version=asset.version,
        url=delivery_url(emulator.base_url, emulator.account.cloud_name, asset),
        type_=asset.type,
    )
    payload["signature_key"] = emulator.account.api_key
    payload["notification_context"] = notification_context(emulator.account.api_key)
    # The update's own notification_url replaces the upload's; the account's global URL hears every one.
    urls = [notification_url or asset.notification_url, emulator.settings.notification_url]
    for url in dict.fromkeys(url for url in urls if url):
        emulator.notifier.send(url, payload)


def _authenticate(request: Request[Any, Any, Any], emulator: Emulator, cloud: str, resource_type: str) -> None:
    """Every Admin API call starts here: credentials, resource type, then the `admin_failures` fault."""
    check_cloud(cloud, emulator.account)
    check_basic(request.headers.get("authorization"), emulator.account)
    if resource_type not in ("image", "video", "raw"):
        raise bad_request(f"Invalid resource type {resource_type}")
    if (status := emulator.faults.take_admin_failure()) is not None:
        raise CloudinaryError(status, "General Error")


def _rate_limit_headers(emulator: Emulator) -> dict[str, str]:
    limit, remaining, reset = emulator.count_admin_call()
    return {
        "X-FeatureRateLimit-Limit": str(limit),
        "X-FeatureRateLimit-Remaining": str(remaining),
        "X-FeatureRateLimit-Reset": formatdate(reset, usegmt=True),
    }
