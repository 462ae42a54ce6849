"""`/profiles/me` (the owner: read, edit), `/profiles/me/preferences`, `/profiles/{username}` (the public view,
private profiles only for their owner) and `/internal/users/{account_id}` (the auth service deletes a user)."""

from typing import Any

from litestar import Controller, Request, delete, get, patch
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from profile_service.auth import Caller, OptionalCaller, ServiceCaller, require_scope
from profile_service.profiles.deletion import DELETE_SCOPE, ProfileDeletion
from profile_service.profiles.freshness import COOKIE, wrote_recently
from profile_service.profiles.repository import ProfileRepository
from profile_service.profiles.schemas import Preferences, PreferencesChange, Profile, ProfileChange, PublicProfile
from profile_service.services import services_of
from service_kit.clock import to_ms
from service_kit.openapi import BEARER, OPTIONAL_BEARER, problems

DELETED = {404: "the account has been deleted (the token outlived it)."}
INVALID_BODY = {400: "the body does not match the schema (unknown fields, wrong types, constraints)."}


class ProfileController(Controller):
    """Profiles. Every `/profiles/me` method is declared here, so `me` never reaches the `{username}` route.

    The two hot reads (`GET /profiles/me`, `GET /profiles/{username}`) declare one dependency, the caller, and
    take the repository from `state` through its provider: Litestar resolves a handler's independent
    dependencies concurrently in an anyio task group (two tasks per request), which cost ~70 of ~190 µs on the
    cached public read (bench/README.md).
    """

    tags = ["profiles"]

    @get("/profiles/me", operation_id="getMyProfile", security=BEARER, responses=problems(DELETED))
    async def me(self, caller: Caller, state: State, request: Request[Any, Any, Any]) -> Profile:
        """The signed-in user's own profile, created (empty, with the token's username) on first access."""
        services = services_of(state)
        fresh = wrote_recently(
            request.cookies.get(COOKIE), services.settings.read_cache_seconds, to_ms(services.clock())
        )
        return await services.profiles.mine(caller.sub, caller.username, fresh=fresh)

    @patch(
        "/profiles/me",
        operation_id="updateMyProfile",
        security=BEARER,
        responses=problems({**INVALID_BODY, **DELETED}),
    )
    async def edit(
        self, data: JSONBody[ProfileChange], caller: Caller, profiles: NamedDependency[ProfileRepository]
    ) -> Profile:
        """Change any of display name, bio, location, website, visibility and preferences; absent fields stay.

        `website: null` or `""` clears the website. Answers the whole profile as stored.
        """
        await profiles.ensure(caller.sub, caller.username)
        await profiles.change(caller.sub, data)
        return await profiles.get(caller.sub)

    @get("/profiles/me/preferences", operation_id="getMyPreferences", security=BEARER, responses=problems(DELETED))
    async def preferences(self, caller: Caller, profiles: NamedDependency[ProfileRepository]) -> Preferences:
        """The signed-in user's preferences: theme and notification channels (never part of the public view)."""
        return (await profiles.ensure(caller.sub, caller.username)).preferences

    @patch(
        "/profiles/me/preferences",
        operation_id="updateMyPreferences",
        security=BEARER,
        responses=problems({**INVALID_BODY, **DELETED}),
    )
    async def edit_preferences(
        self, data: JSONBody[PreferencesChange], caller: Caller, profiles: NamedDependency[ProfileRepository]
    ) -> Preferences:
        """Change some preferences; absent ones stay. Answers every preference as stored."""
        await profiles.ensure(caller.sub, caller.username)
        await profiles.change(caller.sub, ProfileChange(preferences=data))
        return (await profiles.get(caller.sub)).preferences

    @get(
        "/profiles/{username:str}",
        operation_id="getPublicProfile",
        security=OPTIONAL_BEARER,
        responses=problems({404: "no such user, or the profile is private and the caller is not its owner."}),
    )
    async def public(self, username: FromPath[str], optional_caller: OptionalCaller, state: State) -> PublicProfile:
        """Anyone's public profile by username, without preferences.

        A private profile is shown only to its owner (recognised by a valid bearer token; an invalid or expired
        token counts as none); everyone else gets the same 404 as for an unknown username.
        """
        viewer_id = None if optional_caller is None else optional_caller.sub
        return await services_of(state).profiles.public(username, viewer_id)


class InternalController(Controller):
    """Service-to-service routes: service tokens of the internal audience only."""

    tags = ["internal"]

    @delete(
        "/internal/users/{account_id:str}",
        operation_id="deleteUserProfile",
        security=BEARER,
        responses=problems(
            {
                403: "a valid token that is not a service token of the internal audience granting `profiles:delete` "
                "(a user's access token, another audience, another scope): `type` "
                "`urn:profile-pictures:problem:scope-required`.",
                503: "Cloudinary cannot list the user's assets, or the database is down: retry.",
            }
        ),
    )
    async def delete_user(
        self, account_id: FromPath[str], service_caller: ServiceCaller, deletion: NamedDependency[ProfileDeletion]
    ) -> None:
        """For auth-service's account deletion: delete the user's profile and schedule every asset's destruction.

        Needs a client-credentials service token with the internal audience and the `profiles:delete` scope.
        Idempotent: 204 also when there is no profile, so a retry after any failure finishes the job.
        """
        require_scope(service_caller, DELETE_SCOPE)
        await deletion.delete_user(account_id)
