"""Password change and reset, e-mail change and account deletion: users, sessions, tokens, mail, outboxes.

A password reset request answers before it looks anything up (the work happens in a background task), so
neither its answer nor its timing says whether an address has an account.
"""

import logging
from datetime import timedelta

from litestar.datastructures import State

from auth_service.account.tokens import EMAIL_CHANGE_PURPOSE, NOT_ME_PURPOSE, RESET_PURPOSE, ActionTokenRepository
from auth_service.activity.repository import ActivityRepository
from auth_service.activity.schemas import (
    ACCOUNT_DELETION_REQUESTED,
    EMAIL_CHANGE_REQUESTED,
    EMAIL_CHANGED,
    PASSWORD_CHANGED,
    PASSWORD_RESET,
    PASSWORD_RESET_REQUESTED,
    REAUTHENTICATED,
    SIGN_IN_REPORTED,
    ClientInfo,
)
from auth_service.config import Settings
from auth_service.mail import Email, enqueue_email, web_link
from auth_service.mfa.service import WRONG_CODE, MfaService
from auth_service.outbox import DELETE_ACCOUNT, OutboxJob, new_job
from auth_service.passwords import Passwords
from auth_service.sessions.repository import FamilyRepository
from auth_service.sessions.schemas import AMR_OTP, AMR_PASSWORD, Reauthentication
from auth_service.throttle import LoginThrottle
from auth_service.tokens import UserClaims
from auth_service.users.repository import DELETING, UserRepository
from auth_service.users.schemas import PublicUser, User
from service_kit.clock import Clock
from service_kit.errors import BadRequest, Conflict, Forbidden, Gone, ServiceUnavailable, Unauthorized
from service_kit.outbox import JobQueue

logger = logging.getLogger(__name__)


class AccountService:
    """What a user does to their own account."""

    def __init__(
        self,
        *,
        users: UserRepository,
        families: FamilyRepository,
        action_tokens: ActionTokenRepository,
        activity: ActivityRepository,
        mail: JobQueue[OutboxJob],
        deletions: JobQueue[OutboxJob],
        passwords: Passwords,
        mfa: MfaService,
        password_throttle: LoginThrottle,
        reset_throttle: LoginThrottle,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._users = users
        self._families = families
        self._tokens = action_tokens
        self._activity = activity
        self._mail = mail
        self._deletions = deletions
        self._passwords = passwords
        self._mfa = mfa
        self._password_throttle = password_throttle
        self._reset_throttle = reset_throttle
        self._settings = settings
        self._clock = clock

    async def user(self, claims: UserClaims) -> User:
        """The caller's account; 401 once it is gone or being deleted."""
        user = await self._users.get(claims.sub)
        if user is None or user.status == DELETING:
            raise Unauthorized("The account no longer exists.")
        return user

    async def _check_password(self, user: User, password: str, client: ClientInfo) -> None:
        # Re-entering the password counts against the same throttle as signing in: a stolen access token
        # must not become an unlimited password oracle.
        await self._password_throttle.check(user.username, client.ip)
        if not await self._passwords.verify(user.password_hash, password):
            await self._password_throttle.record_failure(user.username, client.ip)
            raise Forbidden("The password is wrong.", field="password")

    async def reauthenticate(self, claims: UserClaims, proof: Reauthentication, client: ClientInfo) -> list[str]:
        """Check a step-up proof (throttled like sign-in); how the person authenticated (`amr`), 401 if wrong."""
        user = await self.user(claims)
        if isinstance(proof.password, str):
            await self._password_throttle.check(user.username, client.ip)
            if not await self._passwords.verify(user.password_hash, proof.password):
                await self._password_throttle.record_failure(user.username, client.ip)
                raise Unauthorized("The password is wrong.", field="password")
            amr, detail = AMR_PASSWORD, "password"
        else:
            if not user.mfa_enabled:
                raise Unauthorized("Two-step verification is off: confirm with your password.", field="code")
            method = await self._mfa.verify(user, proof.code if isinstance(proof.code, str) else "", client)
            if method is None:
                raise Unauthorized(WRONG_CODE, field="code")
            amr, detail = AMR_OTP, method
        await self._activity.record(user.id, REAUTHENTICATED, client, detail)
        return amr

    async def not_me(self, token: str, client: ClientInfo) -> None:
        """A "This wasn't me" link: end that session and mail a password-reset link; 400 for a used or bad link."""
        try:
            used = await self._tokens.consume(token, NOT_ME_PURPOSE, now=self._clock())
        except Gone as exc:
            # Used or expired: one answer, with the reason; the session it named was dealt with or is long gone.
            raise BadRequest(exc.detail, **exc.extra) from None
        user = await self._users.get(used.user_id)
        if user is None or user.status == DELETING or used.family_id is None:
            raise BadRequest("The link is not valid.", reason="invalid_token")
        await self._families.revoke(used.family_id, self._clock())
        await self._activity.record(user.id, SIGN_IN_REPORTED, client)
        await self.send_reset_link(user.email, client)

    async def _notify(self, to: str, subject: str, text: str) -> None:
        await enqueue_email(self._mail, Email(to=to, subject=subject, text=text))

    async def change_password(self, claims: UserClaims, current: str, new: str, client: ClientInfo) -> None:
        """Set a new password; every other sign-in of the account ends, this one stays."""
        user = await self.user(claims)
        await self._check_password(user, current, client)
        await self._users.set_password(user.id, await self._passwords.hash(new), now=self._clock())
        await self._families.revoke_all(user.id, self._clock(), keep=claims.sid)
        await self._activity.record(user.id, PASSWORD_CHANGED, client)
        await self._notify(user.email, "Your password was changed", _CHANGED_TEXT.format(what="password"))

    async def accept_reset_request(self, email: str, client: ClientInfo) -> None:
        """Throttle reset requests per address and client, the same for known and unknown addresses."""
        await self._reset_throttle.check(email, client.ip)
        await self._reset_throttle.record_failure(email, client.ip)

    async def send_reset_link(self, email: str, client: ClientInfo) -> None:
        """Background part of a reset request: a single-use link to the account's address, if there is one."""
        try:
            user = await self._users.find_by_login(email)
            if user is None or user.status == DELETING:
                logger.info("password reset requested for an unknown address")
                return
            ttl = timedelta(minutes=self._settings.password_reset_ttl_minutes)
            token = await self._tokens.issue(RESET_PURPOSE, user.id, now=self._clock(), ttl=ttl)
            link = web_link(self._settings, "reset-password", token=token)
            minutes = self._settings.password_reset_ttl_minutes
            await self._notify(user.email, "Reset your password", _RESET_TEXT.format(link=link, minutes=minutes))
            await self._activity.record(user.id, PASSWORD_RESET_REQUESTED, client)
        except Exception:
            logger.exception("password reset: could not queue the link")

    async def reset_password(self, token: str, new_password: str, client: ClientInfo) -> None:
        """Set the password from a reset link (once); every sign-in of the account ends."""
        new_hash = await self._passwords.hash(new_password)
        used = await self._tokens.consume(token, RESET_PURPOSE, now=self._clock())
        user = await self._users.get(used.user_id)
        if user is None or user.status == DELETING:
            raise BadRequest("The link is not valid.", reason="invalid_token")
        await self._users.set_password(user.id, new_hash, now=self._clock())
        await self._families.revoke_all(user.id, self._clock())
        await self._activity.record(user.id, PASSWORD_RESET, client)
        await self._notify(user.email, "Your password was reset", _CHANGED_TEXT.format(what="password"))

    async def request_email_change(self, claims: UserClaims, new_email: str, client: ClientInfo) -> None:
        """Send a confirmation link to the new address (a fresh sign-in is the proof); it changes once followed."""
        user = await self.user(claims)
        if new_email == user.email:
            raise BadRequest("That is already the account's address.", field="new_email")
        if await self._users.email_taken(new_email):
            raise Conflict("That email is already registered.", field="email")
        ttl = timedelta(minutes=self._settings.email_change_ttl_minutes)
        token = await self._tokens.issue(EMAIL_CHANGE_PURPOSE, user.id, now=self._clock(), ttl=ttl, new_email=new_email)
        link = web_link(self._settings, "confirm-email", token=token)
        await self._notify(new_email, "Confirm your new email address", _CONFIRM_TEXT.format(link=link))
        await self._activity.record(user.id, EMAIL_CHANGE_REQUESTED, client, new_email)

    async def confirm_email_change(self, claims: UserClaims, token: str, client: ClientInfo) -> PublicUser:
        """Apply an e-mail change, only for the account that asked for it (403 for any other)."""
        user = await self.user(claims)
        used = await self._tokens.consume(token, EMAIL_CHANGE_PURPOSE, now=self._clock(), user_id=user.id)
        if used.new_email is None:
            raise BadRequest("The link is not valid.", reason="invalid_token")
        await self._users.set_email(user.id, used.new_email, now=self._clock())
        await self._activity.record(user.id, EMAIL_CHANGED, client, used.new_email)
        await self._notify(user.email, "Your email address was changed", _CHANGED_TEXT.format(what="email address"))
        return PublicUser.of(await self.user(claims))

    async def delete_account(self, claims: UserClaims, client: ClientInfo) -> None:
        """Queue the deletion durably first, then lock the account; the outbox worker does the rest.

        The caller's token must be fresh (`fresh_user`): that recent authentication is the proof.
        """
        if self._settings.profile_service_url is None:
            raise ServiceUnavailable("Account deletion is not configured on this server (AUTH_PROFILE_SERVICE_URL).")
        user = await self.user(claims)
        await self._deletions.enqueue(new_job(DELETE_ACCOUNT, {"user_id": user.id}, job_id=f"delete:{user.id}"))
        await self._users.mark_deleting(user.id, now=self._clock())
        await self._families.revoke_all(user.id, self._clock())
        await self._activity.record(user.id, ACCOUNT_DELETION_REQUESTED, client)
        logger.info("account deletion queued", extra={"user_id": user.id})


def provide_accounts(state: State) -> AccountService:
    """The account service, once the database is ready."""
    accounts: AccountService = state.services.ready().accounts
    return accounts


_RESET_TEXT = """Someone (hopefully you) asked to reset the password of your account.

Choose a new password here (the link works once, for {minutes} minutes):

{link}

If it was not you, ignore this message: your password stays as it is.
"""

_CONFIRM_TEXT = """Confirm that this is the new email address of your account:

{link}

Open the link in the browser where you are signed in. If you did not ask for this, ignore this message.
"""

_CHANGED_TEXT = """The {what} of your account was just changed.

If this was not you, reset your password at once and contact support.
"""
