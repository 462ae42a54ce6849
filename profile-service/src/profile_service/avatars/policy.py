"""The avatar policy: what an uploaded asset must be to become a profile picture."""

from typing import Annotated

import msgspec

from profile_service.avatars.cloudinary import Asset
from profile_service.config import Settings


class AvatarPolicy(msgspec.Struct):
    """Published at GET /profiles/me/avatar/policy so the web client checks the same numbers (and knows the quotas)."""

    formats: Annotated[list[str], msgspec.Meta(description="Formats an uploaded picture may have (lower case).")]
    max_bytes: Annotated[int, msgspec.Meta(description="The largest file accepted, in bytes.")]
    min_dimension: Annotated[int, msgspec.Meta(description="The smallest width and height accepted, in pixels.")]
    max_dimension: Annotated[int, msgspec.Meta(description="The largest width and height accepted, in pixels.")]
    sizes: Annotated[list[int], msgspec.Meta(description="The square sizes the picture is served at, in pixels.")]
    upload_ttl_seconds: Annotated[int, msgspec.Meta(description="How long signed upload parameters are accepted.")]
    # Signing quotas per user (429 beyond either): uploads pending at once, uploads started per rolling hour.
    max_open_uploads: Annotated[int, msgspec.Meta(description="Uploads a user may have pending at once.")]
    max_uploads_per_hour: Annotated[int, msgspec.Meta(description="Uploads a user may start per rolling hour.")]
    upload_long_edge: Annotated[
        int,
        msgspec.Meta(
            description="The long edge, in pixels, the browser should crop and downscale a picture to before "
            "uploading it (never up): twice the largest served size unless configured, within the dimension limits."
        ),
    ]
    # Whether uploads are reviewed before anyone else sees them: the moderation signed (`manual`, ...) or null.
    moderation: Annotated[
        str | None,
        msgspec.Meta(description="The moderation signed into every upload (`manual`, an add-on), or null: none."),
    ] = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "AvatarPolicy":
        """The policy the service is configured with."""
        return cls(
            formats=list(settings.avatar_formats),
            max_bytes=settings.avatar_max_bytes,
            min_dimension=settings.avatar_min_dimension,
            max_dimension=settings.avatar_max_dimension,
            sizes=list(settings.avatar_sizes),
            upload_ttl_seconds=settings.upload_ttl_seconds,
            max_open_uploads=settings.max_open_uploads,
            max_uploads_per_hour=settings.max_uploads_per_hour,
            upload_long_edge=settings.upload_long_edge,
            moderation=settings.signed_moderation,
        )

    def violations(self, asset: Asset) -> list[str]:
        """Why `asset` may not be used; empty when it passes."""
        problems = []
        fmt = asset.format.lower()
        if fmt not in self.formats and not (fmt == "jpeg" and "jpg" in self.formats):
            problems.append(f"format {asset.format!r} is not one of {', '.join(self.formats)}")
        if asset.bytes > self.max_bytes:
            problems.append(f"{asset.bytes} bytes exceed the maximum of {self.max_bytes}")
        if min(asset.width, asset.height) < self.min_dimension:
            problems.append(f"{asset.width}x{asset.height} is smaller than {self.min_dimension} px on a side")
        if max(asset.width, asset.height) > self.max_dimension:
            problems.append(f"{asset.width}x{asset.height} is larger than {self.max_dimension} px on a side")
        return problems
