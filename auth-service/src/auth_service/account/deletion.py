"""The account-deletion job: profile-service first (over HTTP, with a service token), then our own data.

profile-service's `DELETE /internal/users/{user_id}` deletes the profile and schedules destruction of its
assets; 2xx and 404 (nothing there) both mean done. Anything else, or no answer, raises, and the outbox
retries with backoff. Only then are the user's sessions, activity, passkeys, known devices and account document
removed.
"""

import logging
from urllib.parse import quote

import httpx

from auth_service.activity.repository import ActivityRepository
from auth_service.config import Settings
from auth_service.outbox import OutboxJob
from auth_service.passkeys.repository import PasskeyRepository
from auth_service.sessions.devices import DeviceRepository
from auth_service.sessions.repository import FamilyRepository
from auth_service.tokens import TokenService
from auth_service.users.repository import UserRepository
from service_kit.clock import Clock
from service_kit.outbox import Finished

logger = logging.getLogger(__name__)

# The `sub` of the service tokens this service mints for itself, and the one scope they carry.
SELF_CLIENT_ID = "auth-service"
DELETE_SCOPE = "profiles:delete"


class ProfileServiceError(Exception):
    """profile-service did not confirm the deletion; the job is retried."""


class AccountDeleter:
    """How a `delete_account` job is performed."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        tokens: TokenService,
        settings: Settings,
        users: UserRepository,
        families: FamilyRepository,
        devices: DeviceRepository,
        activity: ActivityRepository,
        passkeys: PasskeyRepository,
        clock: Clock,
    ) -> None:
        self._devices = devices
        self._http = http
        self._tokens = tokens
        self._settings = settings
        self._users = users
        self._families = families
        self._activity = activity
        self._passkeys = passkeys
        self._clock = clock

    async def __call__(self, job: OutboxJob) -> Finished:
        """Delete the profile, then the account; raise to be retried."""
        user_id = str(job.payload["user_id"])
        await self._delete_profile(user_id)
        await self._families.revoke_all(user_id, self._clock())
        await self._activity.forget(user_id)
        await self._passkeys.forget(user_id)
        await self._devices.forget(user_id)
        await self._users.delete(user_id)
        logger.info("account deleted", extra={"user_id": user_id})
        return Finished()

    async def _delete_profile(self, user_id: str) -> None:
        base = self._settings.profile_service_url
        if base is None:
            raise ProfileServiceError("AUTH_PROFILE_SERVICE_URL is not set")
        token = self._tokens.issue_service(
            client_id=SELF_CLIENT_ID, audience=self._settings.internal_audience, scopes=[DELETE_SCOPE]
        )
        url = f"{base.rstrip('/')}/internal/users/{quote(user_id, safe='')}"
        try:
            response = await self._http.delete(url, headers={"Authorization": f"Bearer {token.access_token}"})
        except httpx.HTTPError as exc:
            raise ProfileServiceError(f"profile-service unreachable: {type(exc).__name__}") from exc
        if not (response.is_success or response.status_code == 404):
            raise ProfileServiceError(f"profile-service answered {response.status_code}")
