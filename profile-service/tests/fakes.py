"""Hand-written fakes with the same methods as the real collaborators (for controller unit tests only)."""

from datetime import UTC, datetime, timedelta

import msgspec

from profile_service.avatars.cloudinary import Asset
from profile_service.profiles.repository import ProfileRepository
from profile_service.profiles.schemas import Profile, ProfileChange, PublicProfile
from service_kit.clock import utc_now
from service_kit.errors import NotFound


def make_profile(**overrides: object) -> Profile:
    """A profile with plausible values."""
    values: dict[str, object] = {
        "user_id": "u1",
        "username": "alice",
        "display_name": None,
        "bio": "",
        "avatar": None,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    values.update(overrides)
    return Profile(**values)  # type: ignore[arg-type]


class FakeProfileRepository(ProfileRepository):
    """Profiles in a dict (a subclass, because Litestar checks dependency types)."""

    def __init__(self) -> None:  # no super().__init__: there is no database
        self.profiles: dict[str, Profile] = {}
        self._recent = None  # no cache: `mine` reads through `ensure`

    async def ensure(self, user_id: str, username: str | None) -> Profile:
        """Create on first access."""
        profile = self.profiles.setdefault(user_id, make_profile(user_id=user_id, username=username))
        profile.username = username
        return profile

    async def get(self, user_id: str) -> Profile:
        """The profile or NotFound."""
        if user_id not in self.profiles:
            raise NotFound("There is no profile for this user.")
        return self.profiles[user_id]

    async def change(self, user_id: str, change: ProfileChange) -> None:
        """Apply set fields."""
        profile = self.profiles[user_id]
        if isinstance(change.display_name, str):
            profile.display_name = change.display_name
        if isinstance(change.bio, str):
            profile.bio = change.bio
        if isinstance(change.location, str):
            profile.location = change.location
        if change.website is not msgspec.UNSET:
            profile.website = change.website
        if isinstance(change.visibility, str):
            profile.visibility = change.visibility

    async def public(self, username: str, viewer_id: str | None = None) -> PublicProfile:
        """Public view or NotFound (private ones for their owner only)."""
        for profile in self.profiles.values():
            if profile.username == username and (profile.visibility == "public" or profile.user_id == viewer_id):
                return PublicProfile(username=username, display_name=profile.display_name, bio=profile.bio, avatar=None)
        raise NotFound("There is no profile with this username.")


class FakeAssets:
    """Cloudinary's assets in a dict; records destroys."""

    def __init__(self) -> None:
        self.assets: dict[str, Asset] = {}
        self.destroyed: list[str] = []
        self.moderated: list[tuple[str, str]] = []

    async def resource(self, public_id: str) -> Asset | None:
        """The asset or None."""
        return self.assets.get(public_id)

    async def destroy(self, public_id: str) -> str:
        """Forget the asset."""
        self.destroyed.append(public_id)
        return "ok" if self.assets.pop(public_id, None) else "not found"

    async def list_public_ids(self, prefix: str) -> list[tuple[str, str | None]]:
        """Everything under the prefix."""
        return [(pid, None) for pid in self.assets if pid.startswith(prefix)]

    async def set_moderation(self, public_id: str, status: str) -> Asset | None:
        """Set the asset's manual moderation status, as the Admin API update does."""
        self.moderated.append((public_id, status))
        asset = self.assets.get(public_id)
        if asset is None:
            return None
        asset.moderation = [{"kind": "manual", "status": status}]
        return asset

    async def by_moderation(self, kind: str, status: str, cursor: str | None = None) -> tuple[list[str], str | None]:
        """Every asset whose `kind` moderation has `status` (one page)."""
        found = [
            pid
            for pid, asset in self.assets.items()
            if any(m.get("kind") == kind and m.get("status") == status for m in asset.moderation or [])
        ]
        return found, None


class MovableClock:
    """The services' "now", standing still until a test moves it."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
