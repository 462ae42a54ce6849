"""Access tokens (RFC 9068 style JWTs, EdDSA): issuing, verifying, and the bearer-token dependency.

The contract (claims, header, algorithm) is the table in the repository's README.md; profile-service pins
the same table from its side. Verification follows RFC 8725: one pinned algorithm, the key chosen by `kid`
among our own published keys only, `iss`/`aud`/`exp` required and checked.
"""

import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
import msgspec
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from auth_service.keys import ALGORITHM, KeySet
from service_kit.clock import Clock
from service_kit.errors import Unauthorized

logger = logging.getLogger(__name__)

TOKEN_TYPE = "at+jwt"  # noqa: S105 -- a JWT media type, not a secret
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "iss", "aud", "jti"]
# Clock skew tolerated between this service and its verifiers.
LEEWAY_SECONDS = 10
# User tokens remembered as verified. A browser sends one access token on every request for its whole TTL, and
# the Ed25519 check plus the JWT parsing was a third of `GET /auth/me`'s CPU. Bounded so memory is too: only
# tokens that passed every check get in, and the oldest entry makes room.
VERIFIED_TOKENS = 4096


class AccessToken(msgspec.Struct):
    """The token response (RFC 6749 section 5.1)."""

    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 -- the RFC 6750 scheme name


class ServiceToken(msgspec.Struct):
    """The client-credentials token response; `scope` lists what was granted."""

    access_token: str
    expires_in: int
    scope: str
    token_type: str = "Bearer"  # noqa: S105 -- the RFC 6750 scheme name


class UserClaims(msgspec.Struct):
    """What a verified user access token says; service tokens lack `sid`/`username` and do not convert.

    `auth_time` (OpenID Connect Core 2) is when the person last proved who they are in this session: the sign-in
    or the latest step-up, never a refresh. `amr` (RFC 8176) says how. A token from before these claims existed
    reads as authenticated at the epoch, i.e. never fresh.
    """

    sub: str
    sid: str
    username: str
    jti: str
    exp: int
    auth_time: int = 0
    amr: list[str] = []
    # `user` or `admin`, read from the stored account at sign-in, step-up and every refresh.
    role: str = "user"


class TokenService:
    """Signs with the newest key, verifies against every published one."""

    def __init__(self, keys: KeySet, *, issuer: str, ttl_seconds: int, clock: Clock) -> None:
        self.keys = keys
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._verified: dict[tuple[str, str], UserClaims] = {}

    def _sign(self, claims: dict[str, Any]) -> str:
        now = self._clock()
        payload = {
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + timedelta(seconds=self.ttl_seconds),
            "jti": str(uuid.uuid4()),
            **claims,
        }
        key = self.keys.signing
        return jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": TOKEN_TYPE})

    def issue_user(
        self,
        *,
        user_id: str,
        username: str,
        session_id: str,
        audience: str,
        auth_time: datetime,
        amr: list[str],
        role: str,
    ) -> AccessToken:
        """An access token for a signed-in user of one refresh-token family, authenticated at `auth_time` by `amr`."""
        claims = {
            "sub": user_id,
            "aud": audience,
            "sid": session_id,
            "username": username,
            "auth_time": int(auth_time.timestamp()),
            "amr": amr,
            "role": role,
        }
        token = self._sign(claims)
        return AccessToken(access_token=token, expires_in=self.ttl_seconds)

    def issue_service(self, *, client_id: str, audience: str, scopes: list[str]) -> ServiceToken:
        """A token for a machine client, with its own audience and scopes."""
        scope = " ".join(scopes)
        token = self._sign({"sub": client_id, "aud": audience, "scope": scope})
        return ServiceToken(access_token=token, expires_in=self.ttl_seconds, scope=scope)

    def verify(self, token: str, *, audience: str | None) -> dict[str, Any]:
        """The claims of a token we issued for `audience` (None: any audience); Unauthorized for anything else."""
        try:
            header = jwt.get_unverified_header(token)
            # Never let the token pick the algorithm (RFC 8725 2.1): alg none and HS256-with-public-key die here.
            if header.get("alg") != ALGORITHM or header.get("typ") != TOKEN_TYPE:
                raise jwt.InvalidAlgorithmError("unexpected alg or typ")
            kid = header.get("kid")
            key = self.keys.public_key(kid) if isinstance(kid, str) else None
            if key is None:
                raise jwt.InvalidKeyError("unknown kid")
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                # `aud` stays required; None only lets a caller tell "signed by us for someone else" from forged.
                options={"require": REQUIRED_CLAIMS, "verify_aud": audience is not None},
            )
        except jwt.PyJWTError as exc:
            logger.info("access token rejected: %s", type(exc).__name__)
            raise Unauthorized("The access token is invalid or expired.", headers=_challenge()) from None
        return claims

    def verify_user(self, token: str, *, audience: str) -> UserClaims:
        """The claims of a user access token (not a service token).

        A token seen before is answered from memory until its `exp`: the exact same bytes (signature included)
        verified once against keys that only change at a restart, so only the expiry can have changed since.
        """
        key = (token, audience)
        if (known := self._verified.get(key)) is not None:
            # PyJWT's own rule and clock (wall time, not `self._clock`): valid while now < exp + leeway.
            if time.time() < known.exp + LEEWAY_SECONDS:
                return known
            del self._verified[key]
        try:
            claims = msgspec.convert(self.verify(token, audience=audience), UserClaims)
        except msgspec.ValidationError:
            raise Unauthorized("The access token is not a user token.", headers=_challenge()) from None
        if len(self._verified) >= VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]
        self._verified[key] = claims
        return claims


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def bearer_token(request: Request[Any, Any, Any]) -> str:
    """The `Authorization: Bearer` token of the request; 401 without one.

    Read from the request rather than declared as a header parameter: the routes declare the bearer security
    scheme in the OpenAPI document instead, which is what clients and fuzzers read as "needs a token".
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A bearer access token is required.", headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


async def provide_user_claims(request: Request[Any, Any, Any], state: State) -> UserClaims:
    """The verified claims of the `Authorization: Bearer` user token; 401 without one."""
    tokens: TokenService = state.services.tokens
    audience: str = state.services.settings.user_audience
    return tokens.verify_user(bearer_token(request), audience=audience)


CurrentUser = NamedDependency[UserClaims]
