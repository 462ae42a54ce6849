"""The blocking half of an upload: validate the image, apply the incoming transformation, store, derive eagers.

Runs in a worker thread (anyio.to_thread) so image work never stalls the event loop.
"""

import hashlib
import re
import secrets
import string
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from cloudinary_emulator.context import Emulator
from cloudinary_emulator.errors import bad_request
from cloudinary_emulator.moderation import parse_moderation
from cloudinary_emulator.resources import eager_entry
from cloudinary_emulator.storage import Asset, Derived
from cloudinary_emulator.transformations import parser
from cloudinary_emulator.transformations.executor import (
    PIL_BY_EXTENSION,
    Regions,
    delivered_format,
    open_image,
    render,
)
from cloudinary_emulator.transformations.faces import parse_coordinates
from cloudinary_emulator.transformations.parser import Component
from cloudinary_emulator.uploads.options import flag, parse_context, split_list

_RANDOM_ALPHABET = string.ascii_lowercase + string.digits
_FORBIDDEN_IN_PUBLIC_ID = re.compile(r"[?&#\\%<>+]")
_UNSAFE_FILENAME = re.compile(r"[^\w.-]+")


class EagerItem(msgspec.Struct):
    """One requested eager derivative."""

    transformation: str
    chain: list[Component]
    format: str | None


class UploadResult(msgspec.Struct):
    """What the controller answers and notifies with."""

    asset: Asset
    existing: bool
    eager: list[dict[str, Any]] | None
    pending_eager: list[EagerItem]


def parse_eager_list(value: str | None) -> list[EagerItem]:
    """`eager`: `|`-separated chains; parsed before anything is stored so a bad one fails the upload."""
    items = []
    for text in (value or "").split("|"):
        if text.strip():
            chain, fmt = parser.parse_eager(text.strip())
            items.append(EagerItem(transformation=text.strip(), chain=chain, format=fmt))
    return items


def store_upload(emulator: Emulator, options: dict[str, str], data: bytes, original_filename: str) -> UploadResult:
    """Validate, transform, store, and (unless eager_async) derive the eager transformations."""
    eager_items = parse_eager_list(options.get("eager"))
    moderation = parse_moderation(options.get("moderation"))
    custom_coordinates = _coordinates(options, "custom_coordinates")
    face_coordinates = _coordinates(options, "face_coordinates")
    incoming = parser.parse(options.get("transformation", ""))
    delivery_type = options.get("type", "upload")
    if delivery_type != "upload":
        raise bad_request(f"Invalid type parameter - {delivery_type}; the emulator stores type=upload only")
    _, probe = open_image(data, emulator.max_pixels)
    source_format = probe.format
    target_format = options.get("format", "").lower().replace("jpeg", "jpg") or None
    if target_format is not None and target_format not in PIL_BY_EXTENSION:
        raise bad_request(f"Invalid format - {target_format}")
    allowed = [fmt.lower().replace("jpeg", "jpg") for fmt in split_list(options.get("allowed_formats"))]
    if allowed and source_format not in allowed and target_format is None:
        raise bad_request(f"Image file format {source_format} not allowed")
    # With `format`, an allowed file is stored as-is and only a disallowed one is converted [REF].
    convert_to = target_format if target_format and (not allowed or source_format not in allowed) else None
    stored, width, height, fmt = data, probe.width, probe.height, source_format
    if incoming or convert_to:
        strip = any("force_strip" in component.flags for component in incoming)
        rendered = render(
            data, incoming, convert_to or source_format, max_pixels=emulator.max_pixels, keep_metadata=not strip
        )
        stored, width, height, fmt = rendered.data, rendered.width, rendered.height, rendered.format

    public_id = _public_id(options, original_filename)
    overwrite = flag(options, "overwrite", True)
    previous = emulator.storage.get(public_id)
    if previous is not None and not overwrite:
        return UploadResult(asset=previous, existing=True, eager=None, pending_eager=[])
    asset_folder = options.get("asset_folder") or options.get("folder", "").strip("/")
    version_id = uuid.uuid4().hex
    # Overwriting keeps the asset id [UP]; storage.put() settles it again under its lock if a race changed it.
    asset_id = previous.asset_id if previous is not None else uuid.uuid4().hex
    file = f"files/{asset_id}/{version_id}.{fmt}"
    now = time.time()
    asset = Asset(
        asset_id=asset_id,
        public_id=public_id,
        version=int(now),
        version_id=version_id,
        format=fmt,
        width=width,
        height=height,
        bytes=len(stored),
        etag=hashlib.md5(stored).hexdigest(),  # noqa: S324 - Cloudinary's etag is an MD5 of the file, not a secret
        created_at=datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tags=split_list(options.get("tags")),
        context=parse_context(options.get("context")),
        asset_folder=asset_folder,
        display_name=options.get("display_name") or public_id.rsplit("/", 1)[-1],
        original_filename=options.get("filename_override", original_filename) or "file",
        file=file,
        moderation=moderation,
        notification_url=options.get("notification_url", ""),
        custom_coordinates=custom_coordinates,
        face_coordinates=face_coordinates,
    )
    # The file goes to its own (asset id, version id) path before the row that points at it.
    emulator.storage.write_file(file, stored)
    saved, existing = emulator.storage.put(asset, overwrite=overwrite)
    if existing:
        (emulator.storage.root / file).unlink(missing_ok=True)
        return UploadResult(asset=saved, existing=True, eager=None, pending_eager=[])
    if not eager_items:
        return UploadResult(asset=saved, existing=False, eager=None, pending_eager=[])
    if flag(options, "eager_async", False):
        return UploadResult(asset=saved, existing=False, eager=None, pending_eager=eager_items)
    return UploadResult(asset=saved, existing=False, eager=run_eager(emulator, saved, eager_items), pending_eager=[])


def run_eager(emulator: Emulator, asset: Asset, items: list[EagerItem]) -> list[dict[str, Any]]:
    """Generate (or reuse) each eager derivative; the `eager[]` entries of the response or notification."""
    entries = []
    for item in items:
        derived = derive(emulator, asset, item.chain, item.format or delivered_format(asset.format))
        entries.append(
            eager_entry(emulator.base_url, emulator.account.cloud_name, asset, _without_format(item), derived)
        )
    return entries


def derive(emulator: Emulator, asset: Asset, chain: list[Component], fmt: str, accept: str = "") -> Derived:
    """The derivative for (chain, format), from storage or rendered now and stored for next time."""
    transformation = parser.canonical(chain)
    fmt = _resolved_format(chain, fmt, accept, asset.format)
    key = f"{transformation}/{fmt}"
    if (cached := emulator.storage.get_derived(asset, key)) is not None:
        return cached
    original = emulator.storage.read_file(asset.file)
    regions = Regions(custom=asset.custom_coordinates, faces=asset.face_coordinates)
    rendered = render(original, chain, fmt, max_pixels=emulator.max_pixels, accept=accept, regions=regions)
    digest = hashlib.sha1(key.encode()).hexdigest()[:20]  # noqa: S324 - a file name, not security
    derived = Derived(
        id=digest,
        transformation=transformation,
        format=rendered.format,
        width=rendered.width,
        height=rendered.height,
        bytes=len(rendered.data),
        etag=hashlib.md5(rendered.data).hexdigest(),  # noqa: S324 - an etag
        file=f"files/{asset.asset_id}/{asset.version_id}/{digest}.{rendered.format}",
    )
    emulator.storage.write_file(derived.file, rendered.data)
    emulator.storage.put_derived(asset, key, derived)
    return derived


def _coordinates(options: dict[str, str], name: str) -> list[list[int]]:
    """`x,y,w,h[|x,y,w,h...]`; malformed values are 400 as on Cloudinary."""
    try:
        return parse_coordinates(options.get(name))
    except ValueError:
        raise bad_request(f"Invalid {name} - {options[name]}") from None


def _resolved_format(chain: list[Component], fmt: str, accept: str, source_format: str) -> str:
    for component in chain:
        if component.format == "auto":
            fmt = "webp" if "image/webp" in accept else delivered_format(fmt if fmt != source_format else source_format)
        elif component.format is not None:
            fmt = component.format
    return "jpg" if fmt == "jpeg" else fmt


def _without_format(item: EagerItem) -> str:
    # The response lists the transformation as sent, minus the SDK's trailing `/<format>`.
    return item.transformation.rsplit("/", 1)[0] if item.format else item.transformation


def _public_id(options: dict[str, str], original_filename: str) -> str:
    public_id = options.get("public_id", "").strip()
    if not public_id:
        if flag(options, "use_filename", False) and original_filename and original_filename != "file":
            public_id = _UNSAFE_FILENAME.sub("_", original_filename).strip("_") or _random_id(20)
            if flag(options, "unique_filename", True):
                public_id += "_" + _random_id(6)
        else:
            public_id = _random_id(20)
    if folder := options.get("folder", "").strip("/"):
        public_id = f"{folder}/{public_id}"
    if (
        len(public_id) > 255
        or public_id.startswith(("/", " "))
        or public_id.endswith(("/", " "))
        or _FORBIDDEN_IN_PUBLIC_ID.search(public_id)
    ):
        raise bad_request(f"Invalid public_id - {public_id}")
    return public_id


def _random_id(length: int) -> str:
    return "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(length))
