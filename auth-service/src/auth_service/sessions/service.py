"""Sign-in, refresh-token rotation with reuse detection (RFC 9700 4.14.2), and sign-out.

Spans users, passwords, the throttle, both session collections and the token signer, hence a service.
"""

import hashlib
import logging
import secrets
import uuid
from datetime import datetime, timedelta

from auth_service.activity.repository import ActivityRepository
from auth_service.activity.schemas import (
    OTHER_SESSIONS_REVOKED,
    SESSION_REVOKED,
    SIGN_IN,
    SIGN_IN_FAILED,
    ClientInfo,
)
from auth_service.mfa.challenges import ChallengeRepository
from auth_service.mfa.schemas import MfaRequired
from auth_service.mfa.service import MfaService
from auth_service.passwords import Passwords
from auth_service.sessions.devices import NewDeviceNotifier, device_label, network_of
from auth_service.sessions.repository import FamilyRepository, RefreshTokenRepository
from auth_service.sessions.schemas import (
    AMR_PASSWORD,
    AMR_PASSWORD_OTP,
    Family,
    IssuedSession,
    SessionInfo,
    SessionList,
)
from auth_service.throttle import LoginThrottle
from auth_service.tokens import AccessToken, TokenService, UserClaims
from auth_service.users.repository import DELETING, UserRepository
from auth_service.users.schemas import Credentials, User
from auth_service.users.suspension import refuse_suspended
from service_kit.clock import Clock
from service_kit.errors import Forbidden, NotFound, Unauthorized

logger = logging.getLogger(__name__)

BAD_CREDENTIALS = "Wrong login or password."
BAD_REFRESH = "The refresh token is invalid, expired or revoked; sign in again."
BAD_CHALLENGE = "The sign-in step has expired or is not valid; sign in again."
NO_SUCH_SESSION = "There is no such session."


def hash_refresh_token(token: str) -> str:
    """What is stored instead of the token: a leaked database yields no usable refresh token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_refresh_token(family_id: str) -> str:
    """A refresh token of the family: its id (not secret: access tokens carry it as `sid`), a dot, 256 random bits.
    Naming the family lets a rotation go straight to the one document that decides it."""
    return f"{family_id}.{secrets.token_urlsafe(32)}"


def family_of(token: str) -> str | None:
    """The family a refresh token names, or None for a token issued before tokens named it (no dot: a token of
    the `refresh_tokens` collection; base64url has no dots)."""
    family_id, dot, secret = token.partition(".")
    return family_id if dot and family_id and secret else None


class SessionService:
    """Login, refresh and logout over the repositories."""

    def __init__(
        self,
        *,
        users: UserRepository,
        families: FamilyRepository,
        refresh_tokens: RefreshTokenRepository,
        passwords: Passwords,
        throttle: LoginThrottle,
        tokens: TokenService,
        audience: str,
        refresh_ttl: timedelta,
        clock: Clock,
        activity: ActivityRepository,
        mfa: MfaService,
        challenges: ChallengeRepository,
        challenge_ttl: timedelta,
        notifier: NewDeviceNotifier,
    ) -> None:
        self._notifier = notifier
        self._activity = activity
        self._mfa = mfa
        self._challenges = challenges
        self._challenge_ttl = challenge_ttl
        self._users = users
        self._families = families
        self._refresh_tokens = refresh_tokens
        self._passwords = passwords
        self._throttle = throttle
        self._tokens = tokens
        self._audience = audience
        self._refresh_ttl = refresh_ttl
        self._clock = clock

    async def login(self, credentials: Credentials, client: ClientInfo) -> IssuedSession | MfaRequired:
        """A new session for valid credentials (or an MFA challenge); the same 401 for unknown login or password."""
        address = client.ip
        await self._throttle.check(credentials.login, address)
        user = await self._users.find_by_login(credentials.login)
        valid = await self._passwords.verify(user.password_hash if user else None, credentials.password)
        if user is None or not valid:
            await self._throttle.record_failure(credentials.login, address)
            if user is not None:
                await self._activity.record(user.id, SIGN_IN_FAILED, client, "password")
            logger.info("sign-in failed", extra={"client": address})
            raise Unauthorized(BAD_CREDENTIALS)
        await self._throttle.reset_account(credentials.login, address)
        if user.status == DELETING:
            raise Forbidden("This account is being deleted.")
        # After the password, like the deletion lock: the reason is only told to someone who knows it.
        refuse_suspended(user)
        if self._passwords.needs_rehash(user.password_hash):
            new_hash = await self._passwords.hash(credentials.password)
            await self._users.set_password_hash(user.id, new_hash, now=self._clock())
        if user.mfa_enabled:
            token = await self._challenges.create(user.id, now=self._clock(), ttl=self._challenge_ttl)
            return MfaRequired(mfa_token=token, expires_in=int(self._challenge_ttl.total_seconds()))
        await self._activity.record(user.id, SIGN_IN, client, "password")
        return await self.begin(user, client, AMR_PASSWORD)

    async def login_mfa(self, mfa_token: str, code: str, client: ClientInfo) -> IssuedSession:
        """Finish a sign-in with a TOTP or recovery code; each challenge allows a few attempts and one success."""
        challenge = await self._challenges.find_open(mfa_token, now=self._clock())
        user = await self._users.get(challenge.user_id) if challenge else None
        if challenge is None or user is None or user.status == DELETING:
            raise Unauthorized(BAD_CHALLENGE)
        # Suspended between the password step and this one.
        refuse_suspended(user)
        method = await self._mfa.verify(user, code, client)
        if method is None:
            await self._challenges.fail(challenge)
            await self._activity.record(user.id, SIGN_IN_FAILED, client, "second factor")
            raise Unauthorized("The code is wrong or was already used.")
        if not await self._challenges.consume(challenge, now=self._clock()):
            raise Unauthorized(BAD_CHALLENGE)
        await self._activity.record(user.id, SIGN_IN, client, f"password + {method}")
        return await self.begin(user, client, AMR_PASSWORD_OTP)

    async def begin(self, user: User, client: ClientInfo, amr: list[str]) -> IssuedSession:
        """A new session for a user who just authenticated by `amr` (every way of signing in ends here)."""
        refuse_suspended(user)
        now = self._clock()
        # Asked before the new session exists: the account's first ever sign-in has nothing to compare with.
        signed_in_before = await self._notifier.signed_in_before(user.id)
        # A sign-in lasts the refresh TTL from login; rotating does not extend it.
        family_id = str(uuid.uuid4())
        refresh_token = new_refresh_token(family_id)
        family = Family(
            id=family_id,
            user_id=user.id,
            created_at=now,
            expires_at=now + self._refresh_ttl,
            auth_time=now,
            amr=amr,
            last_used_at=now,
            device=device_label(client.user_agent),
            address=network_of(client.ip),
            token_hash=hash_refresh_token(refresh_token),
        )
        await self._families.create(family)
        await self._notifier.signed_in(user, family, client.user_agent, before=signed_in_before)
        return self._issued(user, family, refresh_token)

    async def stepped_up(self, claims: UserClaims, amr: list[str]) -> AccessToken:
        """A new access token for the caller's session after they proved who they are again by `amr`.

        The session's `auth_time` moves to now, so refreshes keep it fresh for as long as the step-up allows;
        the refresh cookie is not rotated. 401 if the session ended meanwhile.
        """
        user = await self._users.get(claims.sub)
        if user is not None:
            # Suspending revoked the sessions; this covers one a sign-in started while the suspension was written.
            refuse_suspended(user)
        family = await self._families.reauthenticated(claims.sid, claims.sub, at=self._clock(), amr=amr)
        if family is None or user is None or user.status == DELETING:
            raise Unauthorized(BAD_REFRESH)
        return self._access(user, family)

    async def refresh(self, presented: str | None) -> IssuedSession:
        """Exchange a refresh token for new tokens; a second use of a token revokes its whole family."""
        if not presented:
            raise Unauthorized(BAD_REFRESH)
        token_hash = hash_refresh_token(presented)
        now = self._clock()
        family_id = family_of(presented)
        if family_id is None:
            return await self._refresh_issued_before(token_hash, now)
        refresh_token = new_refresh_token(family_id)
        family = await self._families.rotate(family_id, token_hash, hash_refresh_token(refresh_token), now)
        if family is None:
            known = await self._families.get(family_id)
            if known is not None and token_hash in known.spent_hashes:
                # Either the thief or the victim is replaying: we cannot tell which, so end the session for both.
                await self._families.revoke(known.id, now)
                logger.warning("refresh token reused; session revoked", extra={"sid": known.id})
            if known is not None and known.issued(token_hash):
                await self._refuse_if_suspended(known.user_id)
            raise Unauthorized(BAD_REFRESH)
        return await self._rotated(family, refresh_token)

    async def _refresh_issued_before(self, token_hash: str, now: datetime) -> IssuedSession:
        # A token of the `refresh_tokens` collection: claimed there once, then the family holds its successor.
        claimed = await self._refresh_tokens.claim(token_hash, now)
        if claimed is None:
            known = await self._refresh_tokens.get(token_hash)
            if known is not None and known.rotated_at is not None:
                await self._families.revoke(known.family_id, now)
                logger.warning("refresh token reused; session revoked", extra={"sid": known.family_id})
            if known is not None:
                await self._refuse_if_suspended(known.user_id)
            raise Unauthorized(BAD_REFRESH)
        refresh_token = new_refresh_token(claimed.family_id)
        family = await self._families.adopt(claimed.family_id, hash_refresh_token(refresh_token), now)
        if family is None:
            await self._refuse_if_suspended(claimed.user_id)
            raise Unauthorized(BAD_REFRESH)
        return await self._rotated(family, refresh_token)

    async def _refuse_if_suspended(self, user_id: str) -> None:
        # Every refresh token of a suspended account answers the suspension, whatever state it is in.
        if (owner := await self._users.get(user_id)) is not None:
            refuse_suspended(owner)

    async def _rotated(self, family: Family, refresh_token: str) -> IssuedSession:
        """The answer to a rotation the family recorded: the account read afresh (role and suspension are current
        at every refresh), then the new tokens."""
        user = await self._users.get(family.user_id)
        if user is not None:
            # A suspension written while this rotation ran (it revokes the family, but this compare-and-set won):
            # no new tokens, and the person learns why.
            refuse_suspended(user)
        if user is None or user.status == DELETING:
            raise Unauthorized(BAD_REFRESH)
        return self._issued(user, family, refresh_token)

    async def logout(self, presented: str | None) -> None:
        """Revoke the family of the presented refresh token, if it is one of ours (current or spent: signing out
        with a token another tab has rotated still ends the session)."""
        if not presented:
            return
        token_hash = hash_refresh_token(presented)
        if (family_id := family_of(presented)) is not None:
            family = await self._families.get(family_id)
            if family is not None and family.issued(token_hash):
                await self._families.revoke(family.id, self._clock())
        elif (known := await self._refresh_tokens.get(token_hash)) is not None:
            await self._families.revoke(known.family_id, self._clock())

    async def live_sessions(self, claims: UserClaims) -> SessionList:
        """The caller's live sessions, newest first, the caller's own marked `current`."""
        families = await self._families.live_for(claims.sub, self._clock())
        return SessionList(
            sessions=[
                SessionInfo(
                    id=family.id,
                    created_at=family.created_at,
                    last_used_at=family.last_used_at or family.created_at,
                    device=family.device or "Unknown device",
                    address=family.address,
                    current=family.id == claims.sid,
                )
                for family in families
            ]
        )

    async def end(self, claims: UserClaims, session_id: str, client: ClientInfo) -> None:
        """Revoke one live session of the caller (their own current one too); 404 for any other id."""
        family = await self._families.get(session_id)
        now = self._clock()
        if family is None or family.user_id != claims.sub or family.revoked_at is not None or family.expires_at <= now:
            raise NotFound(NO_SUCH_SESSION)
        await self._families.revoke(family.id, now)
        await self._activity.record(claims.sub, SESSION_REVOKED, client, family.device or None)

    async def end_others(self, claims: UserClaims, client: ClientInfo) -> int:
        """Revoke every live session of the caller except the one making the call; how many ended."""
        ended = await self._families.revoke_all(claims.sub, self._clock(), keep=claims.sid)
        await self._activity.record(claims.sub, OTHER_SESSIONS_REVOKED, client, str(ended))
        return ended

    def _issued(self, user: User, family: Family, refresh_token: str) -> IssuedSession:
        access = self._access(user, family)
        return IssuedSession(access=access, refresh_token=refresh_token, refresh_expires_at=family.expires_at)

    def _access(self, user: User, family: Family) -> AccessToken:
        return self._tokens.issue_user(
            user_id=user.id,
            username=user.username,
            session_id=family.id,
            audience=self._audience,
            auth_time=family.authenticated_at,
            amr=family.amr,
            role=user.token_role,
        )
