"""`GET /{cloud}/image/upload/[s--SIG--/][{transformations}/][v{version}/]{public_id}.{ext}`."""

import hmac
import re
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from cloudinary_emulator.context import Emulator
from cloudinary_emulator.errors import not_found, unauthorized
from cloudinary_emulator.signing import delivery_signature
from cloudinary_emulator.storage import Asset
from cloudinary_emulator.transformations import parser
from cloudinary_emulator.transformations.executor import CONTENT_TYPES, PIL_BY_EXTENSION
from cloudinary_emulator.uploads.pipeline import derive

# Versioned URLs never change content; unversioned ones are still cached long, as on Cloudinary's CDN.
CACHE_CONTROL = "public, max-age=2592000"
_SIGNATURE = re.compile(r"^s--([A-Za-z0-9_-]{8}|[A-Za-z0-9_-]{32})--$")
_VERSION = re.compile(r"^v\d+$")


class ParsedPath:
    """A delivery path split into its parts."""

    def __init__(self, rest: str) -> None:
        segments = [segment for segment in rest.split("/") if segment]
        self.signature: str | None = None
        if segments and (match := _SIGNATURE.match(segments[0])):
            self.signature = match.group(1)
            segments = segments[1:]
        self.transformations: list[str] = []
        while len(segments) > 1 and parser.is_transformation_segment(segments[0]):
            self.transformations.append(segments.pop(0))
        if len(segments) > 1 and _VERSION.match(segments[0]):
            segments = segments[1:]
        self.file = "/".join(segments)
        stem, dot, extension = self.file.rpartition(".")
        if dot and extension.lower() in PIL_BY_EXTENSION:
            self.public_id, self.extension = stem, extension.lower()
        else:
            self.public_id, self.extension = self.file, ""


class DeliveryController(Controller):
    """The CDN side: originals as stored, derivatives generated once and cached."""

    path = "/{cloud:str}/image/upload"
    tags = ["delivery"]

    @get("/{rest:path}")
    async def deliver(
        self, request: Request[Any, Any, Any], state: State, cloud: FromPath[str], rest: FromPath[str]
    ) -> Response[bytes]:
        """Serve an original or a derivative; 404 with `X-Cld-Error` if unknown."""
        emulator: Emulator = state.emulator
        await emulator.faults.slow()
        parsed = ParsedPath(rest)
        if cloud != emulator.account.cloud_name or not parsed.public_id:
            raise not_found(f"Resource not found - {parsed.public_id}")
        if parsed.signature is not None:
            to_sign = "/".join([*parsed.transformations, parsed.file])
            expected = delivery_signature(to_sign, emulator.account.api_secret, long=len(parsed.signature) == 32)
            if not hmac.compare_digest(expected, parsed.signature):
                raise unauthorized("Invalid signature")
        chain = parser.parse("/".join(parsed.transformations))
        asset = await anyio.to_thread.run_sync(emulator.storage.get, parsed.public_id)
        if asset is None:
            raise not_found(f"Resource not found - {parsed.public_id}")
        accept = request.headers.get("accept", "")
        fmt = parsed.extension.replace("jpeg", "jpg") or asset.format
        if not chain and fmt == asset.format:
            data, etag = await anyio.to_thread.run_sync(emulator.storage.read_file, asset.file), asset.etag
        else:
            data, fmt, etag = await anyio.to_thread.run_sync(_derivative, emulator, asset, chain, fmt, accept)
        headers = {"ETag": f'"{etag}"', "Cache-Control": CACHE_CONTROL}
        if any(component.format == "auto" for component in chain):
            headers["Vary"] = "Accept"
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(b"", status_code=304, headers=headers)
        return Response(data, media_type=CONTENT_TYPES[fmt], headers=headers)


def _derivative(
    emulator: Emulator, asset: Asset, chain: list[parser.Component], fmt: str, accept: str
) -> tuple[bytes, str, str]:
    derived = derive(emulator, asset, chain, fmt, accept)
    return emulator.storage.read_file(derived.file), derived.format, derived.etag
