"""Enrol, confirm, verify and disable the TOTP second factor.

Every code check goes through `verify`: throttled per account and address (MongoDB counters shared by all
instances), a TOTP code accepted only for a time step newer than the last one used (compare-and-set on
`totp_last_step`, so a code cannot be replayed, even concurrently), a recovery code removed by `$pull`
in the same update that checks it is there.
"""

import logging

from litestar.datastructures import State

from auth_service.activity.repository import ActivityRepository
from auth_service.activity.schemas import MFA_DISABLED, MFA_ENABLED, RECOVERY_CODE_USED, ClientInfo
from auth_service.mfa import totp
from auth_service.mfa.schemas import RecoveryCodes, TotpEnrollment
from auth_service.sessions.repository import FamilyRepository
from auth_service.throttle import LoginThrottle
from auth_service.users.repository import UserRepository
from auth_service.users.schemas import User
from service_kit.clock import Clock
from service_kit.errors import BadRequest, Conflict, ServiceUnavailable

logger = logging.getLogger(__name__)

TOTP, RECOVERY_CODE = "totp", "recovery_code"
WRONG_CODE = "The code is wrong or was already used."


class MfaService:
    """The second factor of one account at a time."""

    def __init__(
        self,
        *,
        users: UserRepository,
        families: FamilyRepository,
        activity: ActivityRepository,
        throttle: LoginThrottle,
        cipher: totp.TotpCipher | None,
        issuer: str,
        clock: Clock,
    ) -> None:
        self._users = users
        self._families = families
        self._activity = activity
        self._throttle = throttle
        self._cipher = cipher
        self._issuer = issuer
        self._clock = clock

    def _require_cipher(self) -> totp.TotpCipher:
        if self._cipher is None:
            raise ServiceUnavailable("Two-factor authentication is not configured on this server.")
        return self._cipher

    async def enroll(self, user: User) -> TotpEnrollment:
        """A new secret (replacing any unconfirmed one); 409 while TOTP is enabled."""
        cipher = self._require_cipher()
        secret = totp.new_secret()
        if not await self._users.start_totp(user.id, cipher.encrypt(user.id, secret)):
            raise Conflict("Two-factor authentication is already on; disable it first.")
        uri = totp.otpauth_uri(secret, user.email, self._issuer)
        return TotpEnrollment(secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))

    async def confirm(self, user: User, code: str, client: ClientInfo, *, session_id: str) -> RecoveryCodes:
        """Switch TOTP on with a first valid code; the recovery codes, shown once. Other sessions end."""
        cipher = self._require_cipher()
        if user.totp_status != "pending" or user.totp_secret is None:
            raise Conflict("Start the enrolment first (or it is already confirmed).")
        await self._throttle.check(user.id, client.ip)
        secret = cipher.decrypt(user.id, user.totp_secret)
        step = totp.matching_step(secret, code.strip(), self._clock()) if secret else None
        if step is None:
            await self._throttle.record_failure(user.id, client.ip)
            raise BadRequest(WRONG_CODE, field="code")
        codes = totp.new_recovery_codes()
        hashes = [totp.hash_recovery_code(c) for c in codes]
        if not await self._users.enable_totp(user.id, user.totp_secret, step, hashes):
            raise Conflict("The enrolment changed meanwhile; start again.")
        # How the account is protected changed: a session opened before, maybe by someone else, must not outlive it.
        await self._families.revoke_all(user.id, self._clock(), keep=session_id)
        await self._activity.record(user.id, MFA_ENABLED, client)
        return RecoveryCodes(recovery_codes=codes)

    async def verify(self, user: User, code: str, client: ClientInfo) -> str | None:
        """`totp` or `recovery_code` when the code is good (and now used up), None otherwise; 429 when throttled."""
        await self._throttle.check(user.id, client.ip)
        method = await self._check(user, code.strip())
        if method is None:
            await self._throttle.record_failure(user.id, client.ip)
            logger.info("second factor rejected", extra={"user_id": user.id})
        elif method == RECOVERY_CODE:
            await self._activity.record(user.id, RECOVERY_CODE_USED, client)
        return method

    async def _check(self, user: User, code: str) -> str | None:
        if not user.mfa_enabled or user.totp_secret is None:
            return None
        if totp.is_totp_code(code):
            secret = self._require_cipher().decrypt(user.id, user.totp_secret)
            step = totp.matching_step(secret, code, self._clock()) if secret else None
            if step is not None and await self._users.use_totp_step(user.id, step):
                return TOTP
            return None
        if await self._users.use_recovery_code(user.id, totp.hash_recovery_code(code)):
            return RECOVERY_CODE
        return None

    async def disable(self, user: User, client: ClientInfo, *, session_id: str) -> None:
        """Switch TOTP off (the caller's fresh sign-in is the proof); every other session ends."""
        if not user.mfa_enabled:
            raise Conflict("Two-factor authentication is not on.")
        await self._users.disable_totp(user.id)
        await self._families.revoke_all(user.id, self._clock(), keep=session_id)
        await self._activity.record(user.id, MFA_DISABLED, client)


def provide_mfa(state: State) -> MfaService:
    """The MFA service, once the database is ready."""
    mfa: MfaService = state.services.ready().mfa
    return mfa
