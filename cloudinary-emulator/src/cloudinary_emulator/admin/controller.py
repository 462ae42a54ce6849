"""`GET /v1_1/{cloud}/resources/image[/{type}[/{public_id}]]`, HTTP Basic with the API key and secret."""

from email.utils import formatdate
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from cloudinary_emulator.auth import check_basic, check_cloud
from cloudinary_emulator.context import Emulator
from cloudinary_emulator.errors import bad_request, not_found
from cloudinary_emulator.resources import admin_resource

DEFAULT_MAX_RESULTS = 10
MAX_MAX_RESULTS = 500


class AdminController(Controller):
    """The Admin API calls the services and their tests use."""

    path = "/v1_1/{cloud:str}/resources/{resource_type:str}"
    tags = ["admin"]

    @get("/")
    async def list_all_types(
        self, request: Request[Any, Any, Any], state: State, cloud: FromPath[str], resource_type: FromPath[str]
    ) -> Response[Any]:
        """List resources of every delivery type (`type` query parameter narrows it)."""
        return await _list(request, state.emulator, cloud, resource_type, request.query_params.get("type"))

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
        public_id = public_id.lstrip("/")
        asset = await anyio.to_thread.run_sync(emulator.storage.get, public_id, delivery_type)
        if asset is None:
            raise not_found(f"Resource not found - {public_id}")
        derived = await anyio.to_thread.run_sync(emulator.storage.list_derived, asset)
        body = admin_resource(asset, cloud=cloud, base=emulator.base_url, derived=derived)
        return Response(body, headers=_rate_limit_headers(emulator))


def parse_max_results(raw: str) -> int:
    """`max_results` as Cloudinary takes it (1..500); its 400 otherwise."""
    # isdigit() alone takes "²", which int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_MAX_RESULTS:
        raise bad_request(f"Invalid max_results - {raw}, must be between 1 and {MAX_MAX_RESULTS}")
    return int(raw)


async def _list(
    request: Request[Any, Any, Any], emulator: Emulator, cloud: str, resource_type: str, delivery_type: str | None
) -> Response[Any]:
    _authenticate(request, emulator, cloud, resource_type)
    query = request.query_params
    max_results = parse_max_results(query.get("max_results", str(DEFAULT_MAX_RESULTS)))
    page = await anyio.to_thread.run_sync(
        emulator.storage.list_assets, delivery_type, query.get("prefix", ""), max_results, query.get("next_cursor")
    )
    tags = query.get("tags", "").lower() in ("1", "true")
    context = query.get("context", "").lower() in ("1", "true")
    body: dict[str, Any] = {
        "resources": [
            admin_resource(asset, cloud=cloud, base=emulator.base_url, tags=tags, context=context)
            for asset in page.assets
        ]
    }
    if page.next_cursor is not None:
        body["next_cursor"] = page.next_cursor
    return Response(body, headers=_rate_limit_headers(emulator))


def _authenticate(request: Request[Any, Any, Any], emulator: Emulator, cloud: str, resource_type: str) -> None:
    check_cloud(cloud, emulator.account)
    check_basic(request.headers.get("authorization"), emulator.account)
    if resource_type not in ("image", "video", "raw"):
        raise bad_request(f"Invalid resource type {resource_type}")


def _rate_limit_headers(emulator: Emulator) -> dict[str, str]:
    limit, remaining, reset = emulator.count_admin_call()
    return {
        "X-FeatureRateLimit-Limit": str(limit),
        "X-FeatureRateLimit-Remaining": str(remaining),
        "X-FeatureRateLimit-Reset": formatdate(reset, usegmt=True),
    }
