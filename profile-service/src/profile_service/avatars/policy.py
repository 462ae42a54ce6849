"""The avatar policy: what an uploaded asset must be to become a profile picture."""

import msgspec

from profile_service.avatars.cloudinary import Asset
from profile_service.config import Settings


class AvatarPolicy(msgspec.Struct):
    """Published at GET /profiles/me/avatar/policy so the web client checks the same numbers (and knows the quotas)."""

    formats: list[str]
    max_bytes: int
    min_dimension: int
    max_dimension: int
    sizes: list[int]
    upload_ttl_seconds: int
    # Signing quotas per user (429 beyond either): uploads pending at once, uploads started per rolling hour.
    max_open_uploads: int
    max_uploads_per_hour: int
    # Whether uploads are reviewed before anyone else sees them: the moderation signed (`manual`, ...) or null.
    moderation: str | None = None

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
