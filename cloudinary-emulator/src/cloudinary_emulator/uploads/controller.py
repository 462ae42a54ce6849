"""`POST /v1_1/{cloud}/image/upload` and `POST /v1_1/{cloud}/image/destroy`."""

import logging
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import FromPath

from cloudinary_emulator.auth import basic_credentials, check_cloud, check_server_call
from cloudinary_emulator.context import Emulator
from cloudinary_emulator.errors import CloudinaryError, bad_request
from cloudinary_emulator.notifications import notification_context
from cloudinary_emulator.resources import delivery_url, upload_response, url_pair
from cloudinary_emulator.uploads.chunks import parse_content_range
from cloudinary_emulator.uploads.files import read_file
from cloudinary_emulator.uploads.options import check_supported, read_form, signed_options, unsigned_options
from cloudinary_emulator.uploads.pipeline import EagerItem, UploadResult, run_eager, store_upload
from service_kit.logs import request_id_var

logger = logging.getLogger(__name__)

# One request may carry up to 100 MB [UP]; a base64 data URI is a third larger than its file.
MAX_REQUEST_BYTES = 140 * 1024 * 1024
RESOURCE_TYPES = ("image", "auto")


class UploadController(Controller):
    """The Upload API actions the emulator supports."""

    path = "/v1_1/{cloud:str}/{resource_type:str}"
    tags = ["upload"]

    @post("/upload", status_code=200, request_max_body_size=MAX_REQUEST_BYTES)
    async def upload(
        self, request: Request[Any, Any, Any], state: State, cloud: FromPath[str], resource_type: FromPath[str]
    ) -> Response[Any]:
        """Upload one image (signed, Basic-authenticated, or unsigned through a preset)."""
        emulator: Emulator = state.emulator
        await emulator.faults.slow()
        check_cloud(cloud, emulator.account)
        _check_resource_type(resource_type)
        if (status := emulator.faults.take_upload_failure()) is not None:
            raise CloudinaryError(status, "General Error")
        form = read_form(await request.form())
        params = form.params
        presets = emulator.settings.upload_presets
        if basic_credentials(request.headers.get("authorization")) is not None or "signature" in params:
            check_server_call(
                params, request.headers.get("authorization"), emulator.account, emulator.settings.signature_algorithm
            )
            options = signed_options(params, presets)
        else:
            options = unsigned_options(params, presets)
        check_supported(options)
        data, original_filename = await read_file(form.file, emulator.settings.max_image_bytes)
        chunked = (upload_id := request.headers.get("x-unique-upload-id")) is not None
        if upload_id is not None:
            chunk = parse_content_range(request.headers.get("content-range"))
            progress = await anyio.to_thread.run_sync(emulator.chunks.add, upload_id, chunk, data)
            if progress.data is None:
                return Response(_chunk_progress(progress.received, options), status_code=200)
            data = progress.data
        result = await anyio.to_thread.run_sync(store_upload, emulator, options, data, original_filename)
        eager = result.eager
        batch_id = None
        if result.pending_eager:
            batch_id = request_id_var.get() or ""
            eager = [_processing_entry(emulator, result, item, batch_id) for item in result.pending_eager]
        body = upload_response(
            result.asset,
            cloud=emulator.account.cloud_name,
            base=emulator.base_url,
            api_key=emulator.account.api_key,
            secret=emulator.account.api_secret,
            algorithm=emulator.settings.signature_algorithm,
            eager=eager,
            existing=result.existing if options.get("overwrite", "").lower() in ("0", "false") else None,
        )
        if chunked:
            body["done"] = True
        logger.info(
            "upload stored",
            extra={"public_id": result.asset.public_id, "version": result.asset.version, "existing": result.existing},
        )
        background = None
        if not result.existing:
            background = BackgroundTask(_after_upload, emulator, options, body, result, batch_id, request_id_var.get())
        return Response(body, status_code=200, background=background)

    @post("/destroy", status_code=200)
    async def destroy(
        self, request: Request[Any, Any, Any], state: State, cloud: FromPath[str], resource_type: FromPath[str]
    ) -> dict[str, str]:
        """Delete an asset and its derivatives: `{"result": "ok"}` or `{"result": "not found"}` (both 200)."""
        emulator: Emulator = state.emulator
        await emulator.faults.slow()
        check_cloud(cloud, emulator.account)
        _check_resource_type(resource_type)
        params = read_form(await request.form()).params
        check_server_call(
            params, request.headers.get("authorization"), emulator.account, emulator.settings.signature_algorithm
        )
        if (status := emulator.faults.take_destroy_failure()) is not None:
            raise CloudinaryError(status, "General Error")
        public_id = params.get("public_id")
        if not public_id and (asset_id := params.get("asset_id")):
            found = await anyio.to_thread.run_sync(emulator.storage.get_by_asset_id, asset_id)
            public_id = found.public_id if found is not None else None
            if public_id is None:
                return {"result": "not found"}
        if not public_id:
            raise bad_request("Missing required parameter - public_id")
        removed = await anyio.to_thread.run_sync(emulator.storage.delete, public_id, params.get("type", "upload"))
        logger.info("destroy", extra={"public_id": public_id, "found": removed is not None})
        return {"result": "ok" if removed is not None else "not found"}


def _check_resource_type(resource_type: str) -> None:
    if resource_type not in RESOURCE_TYPES:
        raise bad_request(f"Resource type {resource_type} is not supported by the emulator (images only)")


def _chunk_progress(received: int, options: dict[str, str]) -> dict[str, Any]:
    # What Cloudinary answers to a chunk that does not complete the file; fields not known yet are left out
    # (Cloudinary's asset-management API models, NonFinalChunkUploadResponse). The SDK's upload_large passes the
    # public_id back on the next chunk, so it is echoed only when the client chose it.
    body: dict[str, Any] = {"done": False, "bytes": received, "resource_type": "image"}
    if public_id := options.get("public_id"):
        body["public_id"] = public_id
    return body


def _processing_entry(emulator: Emulator, result: UploadResult, item: EagerItem, batch_id: str) -> dict[str, Any]:
    transformation = item.transformation.rsplit("/", 1)[0] if item.format else item.transformation
    url = delivery_url(
        emulator.base_url, emulator.account.cloud_name, result.asset, transformation, item.format or result.asset.format
    )
    url, secure_url = url_pair(url)
    return {"status": "processing", "batch_id": batch_id, "url": url, "secure_url": secure_url}


def _envelope(notification_type: str, request_id: str | None) -> dict[str, Any]:
    return {
        "notification_type": notification_type,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "request_id": request_id or "",
    }


async def _after_upload(
    emulator: Emulator,
    options: dict[str, str],
    body: dict[str, Any],
    result: UploadResult,
    batch_id: str | None,
    request_id: str | None,
) -> None:
    """Runs after the response went out: the upload notification, then async eager work and its notification."""
    account = emulator.account
    context = notification_context(account.api_key)
    upload_urls = [url for url in (options.get("notification_url"), emulator.settings.notification_url) if url]
    for url in dict.fromkeys(upload_urls):
        payload = _envelope("upload", request_id) | body
        payload["signature_key"] = account.api_key
        payload["notification_context"] = context
        emulator.notifier.send(url, payload)
    if not result.pending_eager:
        return
    try:
        eager = await anyio.to_thread.run_sync(run_eager, emulator, result.asset, result.pending_eager)
    except CloudinaryError as exc:
        logger.warning("async eager failed", extra={"public_id": result.asset.public_id, "error": exc.message})
        return
    eager_url = (
        options.get("eager_notification_url") or options.get("notification_url") or emulator.settings.notification_url
    )
    if eager_url:
        payload = _envelope("eager", request_id)
        payload |= {
            "eager": eager,
            "asset_id": result.asset.asset_id,
            "public_id": result.asset.public_id,
            "batch_id": batch_id,
            "api_key": account.api_key,
            "signature_key": account.api_key,
            "notification_context": context,
        }
        emulator.notifier.send(eager_url, payload)
