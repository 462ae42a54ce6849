"""The JSON the Upload and Admin APIs answer with, and the delivery URLs inside it."""

from typing import Any

from cloudinary_emulator.moderation import overall_status
from cloudinary_emulator.signing import Algorithm, response_signature
from cloudinary_emulator.storage import Asset, Derived


def delivery_url(base: str, cloud: str, asset: Asset, transformation: str = "", fmt: str | None = None) -> str:
    """`{base}/{cloud}/image/{type}/[{transformation}/]v{version}/{public_id}.{format}`."""
    parts = [base, cloud, "image", asset.type]
    if transformation:
        parts.append(transformation)
    parts.append(f"v{asset.version}")
    parts.append(f"{asset.public_id}.{fmt or asset.format}")
    return "/".join(parts)


def url_pair(secure_url: str) -> tuple[str, str]:
    """(`url`, `secure_url`): Cloudinary's `url` is the same address over http.

    Only an https base (a `res.cloudinary.com`-style EMULATOR_PUBLIC_URL) gets an http twin; the default base is
    the emulator's own http address, which is both, so browsers in dev can load either.
    """
    if secure_url.startswith("https://"):
        return "http://" + secure_url.removeprefix("https://"), secure_url
    return secure_url, secure_url


def upload_response(
    asset: Asset,
    *,
    cloud: str,
    base: str,
    api_key: str,
    secret: str,
    algorithm: Algorithm,
    eager: list[dict[str, Any]] | None = None,
    existing: bool | None = None,
) -> dict[str, Any]:
    """The upload response, fields in the order the real API returns them."""
    url, secure_url = url_pair(delivery_url(base, cloud, asset))
    body: dict[str, Any] = {
        "asset_id": asset.asset_id,
        "public_id": asset.public_id,
        "version": asset.version,
        "version_id": asset.version_id,
        "signature": response_signature(asset.public_id, asset.version, secret, algorithm),
        "width": asset.width,
        "height": asset.height,
        "format": asset.format,
        "resource_type": "image",
        "created_at": asset.created_at,
        "tags": list(asset.tags),
        "pages": 1,
        "bytes": asset.bytes,
        "type": asset.type,
        "etag": asset.etag,
        "placeholder": False,
        "url": url,
        "secure_url": secure_url,
        "asset_folder": asset.asset_folder,
        "display_name": asset.display_name,
    }
    if asset.context:
        body["context"] = {"custom": dict(asset.context)}
    if asset.moderation:
        # The upload response has the array only, no `moderation_status` (SDK docs, README "Moderation").
        body["moderation"] = [entry.wire() for entry in asset.moderation]
    if existing is not None:
        body["existing"] = existing
    if eager is not None:
        body["eager"] = eager
    body["original_filename"] = asset.original_filename
    body["api_key"] = api_key
    return body


def eager_entry(base: str, cloud: str, asset: Asset, transformation: str, derived: Derived) -> dict[str, Any]:
    """One item of `eager[]`."""
    url, secure_url = url_pair(delivery_url(base, cloud, asset, transformation, derived.format))
    return {
        "transformation": transformation,
        "width": derived.width,
        "height": derived.height,
        "bytes": derived.bytes,
        "format": derived.format,
        "url": url,
        "secure_url": secure_url,
    }


def admin_resource(
    asset: Asset,
    *,
    cloud: str,
    base: str,
    derived: list[Derived] | None = None,
    tags: bool = True,
    context: bool = True,
    moderation: bool = True,
) -> dict[str, Any]:
    """A resource as the Admin API describes it (`derived` only on the single-resource call).

    `moderation` adds the `moderation` array and the flat `moderation_status` of a moderated asset: always on
    the single resource and the update, on lists only with `moderations=true` (README "Moderation").
    """
    url, secure_url = url_pair(delivery_url(base, cloud, asset))
    body: dict[str, Any] = {
        "asset_id": asset.asset_id,
        "public_id": asset.public_id,
        "format": asset.format,
        "version": asset.version,
        "resource_type": "image",
        "type": asset.type,
        "created_at": asset.created_at,
        "bytes": asset.bytes,
        "width": asset.width,
        "height": asset.height,
        "asset_folder": asset.asset_folder,
        "display_name": asset.display_name,
        "url": url,
        "secure_url": secure_url,
    }
    # An asset without tags has no `tags` key at all (the SDK's test_remove_all_tags asserts it is absent).
    if tags and asset.tags:
        body["tags"] = list(asset.tags)
    if context and asset.context:
        body["context"] = {"custom": dict(asset.context)}
    if moderation and asset.moderation:
        body["moderation"] = [entry.wire() for entry in asset.moderation]
        body["moderation_status"] = overall_status(asset.moderation)
    if derived is not None:
        body["next_cursor"] = None
        body["derived"] = []
        for item in derived:
            derived_url, derived_secure_url = url_pair(
                delivery_url(base, cloud, asset, item.transformation, item.format)
            )
            body["derived"].append(
                {
                    "transformation": item.transformation,
                    "format": item.format,
                    "bytes": item.bytes,
                    "id": item.id,
                    "url": derived_url,
                    "secure_url": derived_secure_url,
                }
            )
    return body
