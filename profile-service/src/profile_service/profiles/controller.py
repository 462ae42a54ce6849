"""`/profiles/me` (the owner: read, edit) and `/profiles/{username}` (anyone: the public view)."""

from litestar import Controller, get, patch
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from profile_service.auth import Caller
from profile_service.profiles.repository import ProfileRepository
from profile_service.profiles.schemas import Profile, ProfileChange, PublicProfile


class ProfileController(Controller):
    """Profiles. Every `/profiles/me` method is declared here, so `me` never reaches the `{username}` route."""

    tags = ["profiles"]

    @get("/profiles/me", operation_id="getMyProfile")
    async def me(self, caller: Caller, profiles: NamedDependency[ProfileRepository]) -> Profile:
        """The caller's profile, created on first access."""
        return await profiles.ensure(caller.sub, caller.username)

    @patch("/profiles/me", operation_id="updateMyProfile")
    async def edit(
        self, data: JSONBody[ProfileChange], caller: Caller, profiles: NamedDependency[ProfileRepository]
    ) -> Profile:
        """Change the display name and/or bio."""
        await profiles.ensure(caller.sub, caller.username)
        await profiles.change(caller.sub, data)
        return await profiles.get(caller.sub)

    @get("/profiles/{username:str}", operation_id="getPublicProfile")
    async def public(self, username: FromPath[str], profiles: NamedDependency[ProfileRepository]) -> PublicProfile:
        """Anyone's public profile."""
        return await profiles.public(username)
