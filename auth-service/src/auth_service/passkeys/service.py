"""The WebAuthn ceremonies: registering a passkey, signing in with one, and stepping up with one.

Spans the passkey and ceremony collections, users, sessions, activity and the throttle, hence a service. The
library (py_webauthn) builds the options and verifies what the browser answers; what it cannot know is ours:
that a ceremony is used once, that the passkey belongs to the person it claims, and that its signature counter
only moves forward (checked again by compare-and-set, so two instances cannot both accept one assertion).
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from auth_service.activity.repository import ActivityRepository
from auth_service.activity.schemas import (
    PASSKEY_ADDED,
    PASSKEY_REMOVED,
    REAUTHENTICATED,
    SIGN_IN,
    SIGN_IN_FAILED,
    ClientInfo,
)
from auth_service.config import Settings
from auth_service.passkeys.repository import CeremonyRepository, PasskeyRepository
from auth_service.passkeys.schemas import (
    LOGIN,
    REAUTHENTICATE,
    REGISTER,
    CeremonyOptions,
    NewPasskey,
    Passkey,
    PasskeyAssertion,
    StoredPasskey,
)
from auth_service.sessions.schemas import AMR_PASSKEY, IssuedSession
from auth_service.sessions.service import SessionService
from auth_service.throttle import LoginThrottle
from auth_service.tokens import AccessToken, UserClaims
from auth_service.users.repository import ACTIVE, DELETING, UserRepository
from auth_service.users.schemas import User
from auth_service.users.suspension import refuse_suspended
from service_kit.clock import Clock
from service_kit.errors import BadRequest, Forbidden, NotFound, Unauthorized

logger = logging.getLogger(__name__)
CredentialT = TypeVar("CredentialT", RegistrationCredential, AuthenticationCredential)

# How long the browser may take: long enough to find a phone, short enough that a stored challenge soon dies.
CEREMONY_TTL = timedelta(minutes=5)
# What the library raises on a credential it cannot use. Besides its own exceptions, its CBOR, COSE and
# base64 decoding of what the browser sent can fail with these; every one of them means the input was bad.
_BAD_INPUT = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)

BAD_CEREMONY = "The passkey request has expired or was already used; try again."
BAD_PASSKEY = "That passkey was not accepted."
ACCOUNT_GONE = "The account no longer exists."


class PasskeyService:
    """Passkey registration, management, sign-in and step-up over the repositories."""

    def __init__(
        self,
        *,
        passkeys: PasskeyRepository,
        ceremonies: CeremonyRepository,
        users: UserRepository,
        sessions: SessionService,
        activity: ActivityRepository,
        throttle: LoginThrottle,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._passkeys = passkeys
        self._ceremonies = ceremonies
        self._users = users
        self._sessions = sessions
        self._activity = activity
        self._throttle = throttle
        self._rp_id = settings.webauthn_rp_id
        self._rp_name = settings.webauthn_rp_name
        self._origins = list(settings.webauthn_origins)
        self._clock = clock

    # Registration and management

    async def registration_options(self, claims: UserClaims) -> CeremonyOptions:
        """Options for creating a discoverable, user-verified passkey for the caller (none of theirs again)."""
        user = await self._active_user(claims.sub)
        options = generate_registration_options(
            rp_id=self._rp_id,
            rp_name=self._rp_name,
            user_name=user.username,
            user_id=user.id.encode(),
            user_display_name=user.username,
            timeout=_millis(CEREMONY_TTL),
            attestation=AttestationConveyancePreference.NONE,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=await self._descriptors(user.id),
        )
        return await self._open(REGISTER, user.id, bytes_to_base64url(options.challenge), options_to_json_dict(options))

    async def register(self, claims: UserClaims, data: NewPasskey, client: ClientInfo) -> Passkey:
        """Verify the browser's new credential against the caller's ceremony and store it."""
        user = await self._active_user(claims.sub)
        credential = _parse(parse_registration_credential_json, data.credential)
        ceremony = await self._ceremonies.consume(data.ceremony_id, REGISTER, user.id, now=self._clock())
        if ceremony is None:
            raise BadRequest(BAD_CEREMONY, field="ceremony_id")
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=base64url_to_bytes(ceremony.challenge),
                expected_rp_id=self._rp_id,
                expected_origin=self._origins,
                require_user_verification=True,
            )
        except _BAD_INPUT as exc:
            logger.info("passkey registration refused: %s", exc)
            raise BadRequest(f"The passkey could not be verified: {exc}", field="credential") from None
        now = self._clock()
        passkey = StoredPasskey(
            id=bytes_to_base64url(verified.credential_id),
            user_id=user.id,
            name=data.name or f"Passkey ({now:%Y-%m-%d})",
            public_key=bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            transports=[str(t.value) for t in credential.response.transports or []],
            aaguid=verified.aaguid,
            backed_up=verified.credential_backed_up,
            created_at=now,
        )
        await self._passkeys.insert(passkey)
        await self._activity.record(user.id, PASSKEY_ADDED, client, passkey.name)
        return passkey.public()

    async def owned(self, claims: UserClaims) -> list[Passkey]:
        """The caller's passkeys, oldest first."""
        return [p.public() for p in await self._passkeys.owned(claims.sub)]

    async def rename(self, claims: UserClaims, credential_id: str, name: str) -> Passkey:
        """Rename one of the caller's passkeys; 404 for any other id."""
        renamed = await self._passkeys.rename(credential_id, claims.sub, name)
        if renamed is None:
            raise NotFound("You have no passkey with this id.")
        return renamed.public()

    async def remove(self, claims: UserClaims, credential_id: str, client: ClientInfo) -> None:
        """Remove one of the caller's passkeys; 404 for any other id."""
        passkey = await self._passkeys.get(credential_id)
        if passkey is None or passkey.user_id != claims.sub or not await self._passkeys.delete(passkey.id, claims.sub):
            raise NotFound("You have no passkey with this id.")
        await self._activity.record(claims.sub, PASSKEY_REMOVED, client, passkey.name)

    # Sign-in and step-up

    async def sign_in_options(self, client: ClientInfo) -> CeremonyOptions:
        """Options for signing in with any passkey of this site (discoverable: no account named yet)."""
        # Each ceremony is a stored challenge asked for without an account: bounded per address like sign-ins.
        await self._throttle.check_address(client.ip)
        await self._throttle.record_address(client.ip)
        return await self._request_options(LOGIN, None, [])

    async def sign_in(self, data: PasskeyAssertion, client: ClientInfo) -> IssuedSession:
        """A new session for a verified assertion of a stored passkey; two factors (`AMR_PASSKEY`)."""
        credential = _parse(parse_authentication_credential_json, data.credential)
        ceremony = await self._ceremonies.consume(data.ceremony_id, LOGIN, None, now=self._clock())
        if ceremony is None:
            raise Unauthorized(BAD_CEREMONY)
        passkey = await self._passkeys.get(bytes_to_base64url(credential.raw_id))
        user = await self._users.get(passkey.user_id) if passkey else None
        # The user handle is the account id the passkey was created for; a discoverable credential always sends it.
        if passkey is None or user is None or credential.response.user_handle != user.id.encode():
            logger.info("passkey sign-in with an unknown credential", extra={"client": client.ip})
            raise Unauthorized(BAD_PASSKEY)
        await self._verify(credential, ceremony.challenge, passkey, user, client)
        if user.status == DELETING:
            raise Forbidden("This account is being deleted.")
        refuse_suspended(user)
        await self._activity.record(user.id, SIGN_IN, client, "passkey")
        return await self._sessions.begin(user, client, AMR_PASSKEY)

    async def reauthentication_options(self, claims: UserClaims) -> CeremonyOptions:
        """Options for proving it is still the caller, with one of their passkeys."""
        user = await self._active_user(claims.sub)
        descriptors = await self._descriptors(user.id)
        if not descriptors:
            raise NotFound("You have no passkey to confirm it is you with.")
        return await self._request_options(REAUTHENTICATE, user.id, descriptors)

    async def reauthenticate(self, claims: UserClaims, data: PasskeyAssertion, client: ClientInfo) -> AccessToken:
        """A fresh access token for the caller's session after an assertion of one of their own passkeys."""
        credential = _parse(parse_authentication_credential_json, data.credential)
        ceremony = await self._ceremonies.consume(data.ceremony_id, REAUTHENTICATE, claims.sub, now=self._clock())
        if ceremony is None:
            raise Unauthorized(BAD_CEREMONY)
        passkey = await self._passkeys.get(bytes_to_base64url(credential.raw_id))
        user = await self._users.get(claims.sub)
        if passkey is None or user is None or passkey.user_id != user.id:
            raise Unauthorized(BAD_PASSKEY)
        await self._verify(credential, ceremony.challenge, passkey, user, client)
        access = await self._sessions.stepped_up(claims, AMR_PASSKEY)
        await self._activity.record(user.id, REAUTHENTICATED, client, "passkey")
        return access

    # Shared steps

    async def _verify(
        self,
        credential: AuthenticationCredential,
        challenge: str,
        passkey: StoredPasskey,
        user: User,
        client: ClientInfo,
    ) -> None:
        """Signature, origin, RP id, user verification and a counter that moved forward; then record the use."""
        try:
            verified = self._check(credential, challenge, passkey, passkey.sign_count)
        except _BAD_INPUT as exc:
            await self._activity.record(user.id, SIGN_IN_FAILED, client, "passkey")
            if self._genuine_but_replayed(credential, challenge, passkey):
                # A valid signature with a counter that did not move: the key may have been copied.
                logger.warning(
                    "passkey signature counter did not increase; possible cloned authenticator",
                    extra={"user_id": user.id, "passkey_id": passkey.id, "client": client.ip},
                )
            else:
                logger.info("passkey assertion refused: %s", exc, extra={"client": client.ip})
            raise Unauthorized(BAD_PASSKEY) from None
        if not await self._passkeys.used(passkey, verified.new_sign_count, now=self._clock()):
            # Another request used this passkey between our read and now: only one of them may win.
            raise Unauthorized(BAD_PASSKEY)

    def _check(
        self, credential: AuthenticationCredential, challenge: str, passkey: StoredPasskey, sign_count: int
    ) -> VerifiedAuthentication:
        return verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=self._rp_id,
            expected_origin=self._origins,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=sign_count,
            require_user_verification=True,
        )

    def _genuine_but_replayed(
        self, credential: AuthenticationCredential, challenge: str, passkey: StoredPasskey
    ) -> bool:
        """Whether the assertion verifies once the counter is not checked (counter 0 disables the library's check)."""
        if passkey.sign_count == 0:
            return False
        try:
            self._check(credential, challenge, passkey, 0)
        except _BAD_INPUT:
            return False
        return True

    async def _active_user(self, user_id: str) -> User:
        user = await self._users.get(user_id)
        if user is None or user.status != ACTIVE:
            raise Unauthorized(ACCOUNT_GONE)
        return user

    async def _descriptors(self, user_id: str) -> list[PublicKeyCredentialDescriptor]:
        return [
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(p.id), transports=[AuthenticatorTransport(t) for t in p.transports if _known(t)]
            )
            for p in await self._passkeys.owned(user_id)
        ]

    async def _request_options(
        self, purpose: str, user_id: str | None, allowed: list[PublicKeyCredentialDescriptor]
    ) -> CeremonyOptions:
        options = generate_authentication_options(
            rp_id=self._rp_id,
            timeout=_millis(CEREMONY_TTL),
            allow_credentials=allowed,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return await self._open(purpose, user_id, bytes_to_base64url(options.challenge), options_to_json_dict(options))

    async def _open(
        self, purpose: str, user_id: str | None, challenge: str, options: dict[str, Any]
    ) -> CeremonyOptions:
        ceremony_id = await self._ceremonies.open(purpose, user_id, challenge, now=self._clock(), ttl=CEREMONY_TTL)
        return CeremonyOptions(ceremony_id=ceremony_id, options=options)


def _parse(parser: Callable[[dict[str, Any]], CredentialT], credential: dict[str, Any]) -> CredentialT:
    """The library's reading of the credential JSON; 400 naming `credential` when it is not one."""
    try:
        return parser(credential)
    except _BAD_INPUT as exc:
        raise BadRequest(f"The credential is not a WebAuthn credential: {exc}", field="credential") from None


def _known(transport: str) -> bool:
    return transport in {t.value for t in AuthenticatorTransport}


def _millis(duration: timedelta) -> int:
    return int(duration.total_seconds() * 1000)
