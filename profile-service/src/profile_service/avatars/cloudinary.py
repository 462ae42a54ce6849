"""The Cloudinary adapter: the account parsed from CLOUDINARY_URL, SDK configuration, and the server-side calls.

The SDK is synchronous (urllib3) and configured through process-global state, so it is configured in exactly
one place (`configure_sdk`, called at app start) and every call runs in a worker thread.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import parse_qs, urlsplit

import anyio.to_thread
import cloudinary
import cloudinary.api
import cloudinary.exceptions
import cloudinary.uploader
import msgspec
from opentelemetry.trace import SpanKind

from service_kit.tracing import Tracing

logger = logging.getLogger(__name__)
T = TypeVar("T")


class CloudinaryUnavailable(Exception):
    """Cloudinary did not answer, or answered with an error that is worth retrying later."""


@dataclass(frozen=True)
class CloudinaryAccount:
    """The parts of CLOUDINARY_URL the service needs (`cloudinary://KEY:SECRET@CLOUD?upload_prefix=...`)."""

    cloud_name: str
    api_key: str
    api_secret: str = field(repr=False)
    upload_prefix: str = "https://api.cloudinary.com"
    signature_algorithm: str = "sha1"
    options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_url(cls, url: str) -> "CloudinaryAccount":
        """Parse CLOUDINARY_URL; raise ValueError (without the secret) when it is malformed."""
        parts = urlsplit(url)
        if parts.scheme != "cloudinary" or not parts.hostname or not parts.username or not parts.password:
            raise ValueError("CLOUDINARY_URL must look like cloudinary://API_KEY:API_SECRET@CLOUD_NAME")
        options = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path.strip("/"):
            options["secure_distribution"] = parts.path.strip("/")
        return cls(
            cloud_name=parts.hostname,
            api_key=parts.username,
            api_secret=parts.password,
            upload_prefix=options.get("upload_prefix", "https://api.cloudinary.com").rstrip("/"),
            signature_algorithm=options.get("signature_algorithm", "sha1").lower(),
            options=options,
        )

    def upload_url(self, browser_prefix: str | None = None, resource_type: str = "image") -> str:
        """Where a signed upload is posted; the browser's prefix may differ from the server's."""
        prefix = (browser_prefix or self.upload_prefix).rstrip("/")
        return f"{prefix}/v1_1/{self.cloud_name}/{resource_type}/upload"


def configure_sdk(account: CloudinaryAccount) -> None:
    """Point the SDK's process-global configuration at `account` (the one place it is configured)."""
    cloudinary.reset_config()
    cloudinary.config(
        **{
            **account.options,
            "cloud_name": account.cloud_name,
            "api_key": account.api_key,
            "api_secret": account.api_secret,
            "upload_prefix": account.upload_prefix,
            "signature_algorithm": account.signature_algorithm,
            "secure": True,
        }
    )
    logger.info(
        "cloudinary configured", extra={"cloud_name": account.cloud_name, "upload_prefix": account.upload_prefix}
    )


class Asset(msgspec.Struct):
    """What Cloudinary reports about a stored image (Admin API resource or upload notification)."""

    public_id: str
    version: int
    secure_url: str
    format: str
    bytes: int
    width: int
    height: int
    created_at: str | None = None
    # Cloudinary's moderation array (`[{"kind": "manual", "status": "pending"}]`), absent for unmoderated assets.
    moderation: list[dict[str, Any]] | None = None


def moderation_state(moderation: list[dict[str, Any]] | None) -> str | None:
    """The overall decision in a `moderation` array: "approved", "rejected", "pending", or None (no entry).

    Several moderators run in the order signed (`aws_rek|manual`): the first is `pending`, later ones `queued`, and
    one rejection makes the rest `aborted` and the asset rejected (reference § 11). The last entry, once decided,
    has the final word (a reviewer may overrule an add-on in the console); otherwise any rejection rejects, all
    approvals approve, and anything else (`pending`, `queued`) is still pending.
    """
    statuses = [str(entry.get("status", "")) for entry in moderation or [] if isinstance(entry, dict)]
    if not statuses:
        return None
    if statuses[-1] in ("approved", "rejected"):
        return statuses[-1]
    if "rejected" in statuses:
        return "rejected"
    if all(status == "approved" for status in statuses):
        return "approved"
    return "pending"


def rejecting_kind(moderation: list[dict[str, Any]] | None) -> str | None:
    """Which moderator rejected the asset (an AI add-on's kind, or `manual`), from its moderation array."""
    for entry in reversed(moderation or []):
        if isinstance(entry, dict) and entry.get("status") == "rejected":
            return str(entry.get("kind") or "") or None
    return None


# How long the Admin API's listing may keep showing an asset after it was destroyed. Evidence from a listing that
# an asset exists (to destroy it again) counts from this long before the listing started.
LISTING_LAG_MS = 60_000


def timestamp_ms(created_at: str | None) -> int | None:
    """Cloudinary's `created_at` (ISO 8601, `2017-08-11T12:24:32Z`) as epoch milliseconds; None if absent or bad."""
    if not created_at:
        return None
    try:
        created = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if created.tzinfo is None:
        return None
    return int(created.timestamp() * 1000)


@runtime_checkable
class AssetStore(Protocol):
    """The Cloudinary calls the service makes; tests of controllers pass a fake."""

    async def resource(self, public_id: str) -> Asset | None:
        """The stored asset, or None when Cloudinary has no such public_id."""
        ...

    async def destroy(self, public_id: str) -> str:
        """Delete the asset (and its derivatives); returns Cloudinary's `result` ("ok" or "not found")."""
        ...

    async def list_public_ids(self, prefix: str) -> list[tuple[str, str | None]]:
        """Every (public_id, created_at) under `prefix`, following pagination."""
        ...

    async def set_moderation(self, public_id: str, status: str) -> Asset | None:
        """Admin API resource update with `moderation_status` ("approved" | "rejected"), as a reviewer in the
        console would decide; the updated asset, or None when Cloudinary has no such public_id."""
        ...

    async def by_moderation(self, kind: str, status: str, cursor: str | None = None) -> tuple[list[str], str | None]:
        """One page of the public_ids in moderation queue `kind` with `status`, and the next page's cursor."""
        ...


class CloudinaryAssets:
    """`AssetStore` through the official SDK, each blocking call in a worker thread."""

    def __init__(self, timeout: float = 10.0, tracing: Tracing | None = None) -> None:
        self._timeout = timeout
        self._tracer = (tracing or Tracing.disabled()).tracer

    async def _call(self, name: str, subject: str, call: Callable[[], T]) -> T:
        # The SDK's urllib3 requests are not instrumented: one client span per SDK call, around its thread.
        with self._tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes={"cloudinary.subject": subject}):
            return await anyio.to_thread.run_sync(call)

    async def resource(self, public_id: str) -> Asset | None:
        """Admin API `GET resources/image/upload/{public_id}`."""

        def call() -> dict[str, Any] | None:
            try:
                return dict(
                    cloudinary.api.resource(public_id, resource_type="image", type="upload", timeout=self._timeout)
                )
            except cloudinary.exceptions.NotFound:
                return None
            except Exception as exc:  # the SDK raises its own errors and urllib3's: all mean "try later"
                raise CloudinaryUnavailable(f"resource lookup failed: {type(exc).__name__}: {exc}") from exc

        result = await self._call("cloudinary resource", public_id, call)
        if result is None:
            return None
        return msgspec.convert(result, Asset, strict=False)

    async def destroy(self, public_id: str) -> str:
        """Upload API `destroy` with `invalidate=true` so CDN copies go too."""

        def call() -> str:
            try:
                answer = cloudinary.uploader.destroy(
                    public_id, invalidate=True, resource_type="image", timeout=self._timeout
                )
            except Exception as exc:
                raise CloudinaryUnavailable(f"destroy failed: {type(exc).__name__}: {exc}") from exc
            result = str(answer.get("result", ""))
            if result not in ("ok", "not found"):
                raise CloudinaryUnavailable(f"destroy answered {answer!r}")
            return result

        return await self._call("cloudinary destroy", public_id, call)

    async def list_public_ids(self, prefix: str) -> list[tuple[str, str | None]]:
        """Admin API `GET resources/image/upload?prefix=...`, every page."""

        def call() -> list[tuple[str, str | None]]:
            found: list[tuple[str, str | None]] = []
            cursor: str | None = None
            try:
                while True:
                    options: dict[str, Any] = {"type": "upload", "prefix": prefix, "max_results": 500}
                    if cursor:
                        options["next_cursor"] = cursor
                    page = cloudinary.api.resources(resource_type="image", timeout=self._timeout, **options)
                    found.extend((r["public_id"], r.get("created_at")) for r in page.get("resources", []))
                    cursor = page.get("next_cursor")
                    if not cursor:
                        return found
            except Exception as exc:
                raise CloudinaryUnavailable(f"listing failed: {type(exc).__name__}: {exc}") from exc

        return await self._call("cloudinary list", prefix, call)

    async def set_moderation(self, public_id: str, status: str) -> Asset | None:
        """Admin API `POST resources/image/upload/{public_id}` with `moderation_status` (the SDK's `api.update`)."""

        def call() -> dict[str, Any] | None:
            try:
                return dict(
                    cloudinary.api.update(
                        public_id,
                        resource_type="image",
                        type="upload",
                        moderation_status=status,
                        timeout=self._timeout,
                    )
                )
            except cloudinary.exceptions.NotFound:
                return None
            except Exception as exc:
                raise CloudinaryUnavailable(f"moderation update failed: {type(exc).__name__}: {exc}") from exc

        result = await self._call("cloudinary set_moderation", public_id, call)
        return None if result is None else msgspec.convert(result, Asset, strict=False)

    async def by_moderation(self, kind: str, status: str, cursor: str | None = None) -> tuple[list[str], str | None]:
        """Admin API `GET resources/image/moderations/{kind}/{status}` (the SDK's `resources_by_moderation`)."""

        def call() -> tuple[list[str], str | None]:
            options: dict[str, Any] = {"max_results": 500}
            if cursor:
                options["next_cursor"] = cursor
            try:
                page = cloudinary.api.resources_by_moderation(
                    kind, status, resource_type="image", type="upload", timeout=self._timeout, **options
                )
            except Exception as exc:
                raise CloudinaryUnavailable(f"moderation listing failed: {type(exc).__name__}: {exc}") from exc
            return [str(r["public_id"]) for r in page.get("resources", [])], page.get("next_cursor") or None

        return await self._call("cloudinary by_moderation", kind, call)


class CloudinaryRefused(Exception):
    """Cloudinary refused the upload for good (400: bad file, disallowed format); retrying will not help."""


class CloudinaryUploader:
    """Server-side signed uploads through the SDK's `uploader.upload` (the migration tool; browsers upload
    directly). `params` are the same as a browser's (`signing.upload_params`); the SDK adds timestamp and
    signature."""

    def __init__(self, timeout: float = 60.0) -> None:
        self._timeout = timeout

    async def upload(self, data: bytes, filename: str, params: dict[str, str]) -> Asset:
        """Upload and return the stored asset; CloudinaryRefused on 400, CloudinaryUnavailable otherwise."""
        options: dict[str, Any] = {k: v for k, v in params.items() if k != "transformation"}
        # A string `transformation` would be read by the SDK as a named transformation; this one is raw.
        options["raw_transformation"] = params["transformation"]

        def call() -> dict[str, Any]:
            try:
                return dict(
                    cloudinary.uploader.upload(
                        (filename, data), resource_type="image", timeout=self._timeout, **options
                    )
                )
            except cloudinary.exceptions.BadRequest as exc:
                raise CloudinaryRefused(str(exc)) from exc
            except Exception as exc:
                raise CloudinaryUnavailable(f"upload failed: {type(exc).__name__}: {exc}") from exc

        return msgspec.convert(await anyio.to_thread.run_sync(call), Asset, strict=False)
