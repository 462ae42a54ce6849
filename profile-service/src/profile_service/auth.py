"""Access-token verification against the auth service's JWKS (see the token contract in the root README).

Keys are fetched asynchronously and cached per instance; an unknown `kid` triggers a refetch at most once per
`jwks_min_refresh_seconds`, so a stopped auth service does not stop requests signed with known keys and a
flood of forged `kid`s cannot turn into a flood of JWKS requests.
"""

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any

import httpx
import jwt
import msgspec
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from service_kit.errors import Forbidden, Unauthorized, problem_type

logger = logging.getLogger(__name__)

ALGORITHMS = ["EdDSA"]
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="profile-service"'}
ADMIN_REQUIRED = problem_type("admin-required")
SCOPE_REQUIRED = problem_type("scope-required")
READ_SCOPE = "profiles:read"
ADMIN_ROLE = "admin"


class Claims(msgspec.Struct, frozen=True):
    """The verified claims the service uses."""

    sub: str
    username: str | None = None
    scope: str | None = None
    # auth-service's `role` claim ("user" | "admin"); service tokens carry none.
    role: str = "user"

    @property
    def scopes(self) -> frozenset[str]:
        """The space-separated `scope` claim (service tokens) as a set."""
        return frozenset((self.scope or "").split())

    @property
    def is_admin(self) -> bool:
        """A user token with the admin role. Service tokens (they carry `scope`) are never admins."""
        return self.scope is None and self.role == ADMIN_ROLE


class KeySet:
    """The JWKS, cached; refreshed when stale or when a token names a `kid` we have not seen (rate-bounded)."""

    def __init__(self, url: str, http: httpx.AsyncClient, *, min_refresh: float, max_age: float) -> None:
        self._url = url
        self._http = http
        self._min_refresh = min_refresh
        self._max_age = max_age
        self._keys: dict[str, Any] = {}
        self._fetched_at = -float("inf")
        self._attempted_at = -float("inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Any:
        """The public key for `kid`, or None when the auth service does not list it."""
        stale = time.monotonic() - self._fetched_at > self._max_age
        if kid not in self._keys or stale:
            await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._attempted_at < self._min_refresh:
                return
            self._attempted_at = time.monotonic()
            try:
                response = await self._http.get(self._url, timeout=3.0)
                response.raise_for_status()
                keys = {}
                for jwk in response.json().get("keys", []):
                    if jwk.get("kid") and jwk.get("kty") == "OKP":
                        keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="EdDSA").key
            except (httpx.HTTPError, ValueError, jwt.PyJWKError) as exc:
                # Keep serving with the keys we have: a down auth service must not stop reads.
                logger.warning("JWKS fetch failed: %s", type(exc).__name__, extra={"jwks_url": self._url})
                return
            self._keys = keys
            self._fetched_at = time.monotonic()
            logger.info("JWKS refreshed", extra={"kids": sorted(keys)})


class TokenVerifier:
    """Verifies access tokens: EdDSA only, `kid` from the JWKS, `iss` and `aud` checked, exp/iat/sub required.

    `audience=None` accepts any `aud` (still required): it tells a valid token meant for someone else from garbage.

    Tokens that verified are remembered (key: the exact token string; at most `cache_size`, least recently used
    evicted) until their own `exp`, so a browser's repeated requests cost one signature check. A token is
    immutable and its signature cannot change, so the only thing this gives up is noticing a key withdrawn
    from the JWKS before the token expires (minutes). Failures are never cached.
    """

    def __init__(self, keys: KeySet, *, issuer: str, audience: str | None, cache_size: int = 10_000) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._cache_size = cache_size
        self._verified: OrderedDict[str, tuple[float, Claims]] = OrderedDict()

    async def verify(self, token: str) -> Claims:
        """The token's claims; raise Unauthorized for anything invalid."""
        if (hit := self._verified.get(token)) is not None:
            if hit[0] > time.time():
                self._verified.move_to_end(token)
                return hit[1]
            del self._verified[token]
        claims, expires = await self._decode(token)
        if self._cache_size > 0:
            self._verified[token] = (expires, claims)
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return claims

    async def _decode(self, token: str) -> tuple[Claims, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthorized("The access token is malformed.", headers=BEARER_CHALLENGE) from None
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str) or not kid:
            raise Unauthorized("The access token is not signed with an accepted key.", headers=BEARER_CHALLENGE)
        key = await self._keys.key(kid)
        if key is None:
            raise Unauthorized("The access token is signed with an unknown key.", headers=BEARER_CHALLENGE)
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_aud": self._audience is not None},
            )
            return msgspec.convert(payload, Claims), float(payload["exp"])
        except (jwt.InvalidTokenError, msgspec.ValidationError) as exc:
            logger.info("access token rejected: %s", type(exc).__name__)
            raise Unauthorized("The access token is invalid or expired.", headers=BEARER_CHALLENGE) from None


async def provide_caller(request: Request[Any, Any, Any], state: State) -> Claims:
    """The verified claims of the `Authorization: Bearer` token; 401 problem details otherwise."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("An access token is required.", headers=BEARER_CHALLENGE)
    verifier: TokenVerifier = state.services.token_verifier
    return await verifier.verify(token.strip())


async def provide_optional_caller(request: Request[Any, Any, Any], state: State) -> Claims | None:
    """The verified claims when a valid bearer token is sent, else None (public routes that the owner sees
    differently). An invalid or expired token counts as no token: a public page must not fail on it."""
    if not request.headers.get("authorization"):
        return None
    try:
        return await provide_caller(request, state)
    except Unauthorized:
        return None


class ScopeRequired(Forbidden):
    """A valid token that is not a service token of the internal audience granting the route's scope."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, type=SCOPE_REQUIRED)


async def provide_service_caller(request: Request[Any, Any, Any], state: State) -> Claims:
    """The claims of a service token of the internal audience: 401 without a valid token, 403 `scope-required`
    for a valid token of another audience (a user's access token, a token auth-service minted for another
    service): it is a credential, just not one for these routes."""
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    token = raw.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("A service token is required.", headers=BEARER_CHALLENGE)
    services = state.services
    try:
        claims: Claims = await services.service_token_verifier.verify(token)
    except Unauthorized as refused:
        try:
            other: Claims = await services.any_audience_verifier.verify(token)
        except Unauthorized:
            raise refused from None
        logger.warning("internal route refused a token of another audience", extra={"sub": other.sub})
        raise ScopeRequired("This needs a service token of the internal audience.") from None
    return claims


async def provide_profiles_reader(service_caller: NamedDependency[Claims]) -> Claims:
    """A service token granting `profiles:read` (the lookup and the change feed); 403 `scope-required` otherwise."""
    require_scope(service_caller, READ_SCOPE)
    return service_caller


class AdminRequired(Forbidden):
    """A valid token that is not an administrator's user token."""

    def __init__(self) -> None:
        super().__init__("This needs an administrator's access token.", type=ADMIN_REQUIRED)


async def provide_admin(request: Request[Any, Any, Any], state: State) -> Claims:
    """The claims of an administrator's access token: 401 without a valid token, 403 `admin-required` otherwise.

    The role is read from the verified token, not from auth-service's users: a revoked admin keeps their rights
    here until their access token expires (at most its TTL, 15 minutes), the price of stateless tokens.
    """
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    token = raw.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("An administrator's access token is required.", headers=BEARER_CHALLENGE)
    services = state.services
    try:
        claims: Claims = await services.token_verifier.verify(token)
    except Unauthorized as refused:
        # A service token of the internal audience is a valid credential, just not an admin's: 403, like a user's.
        try:
            await services.service_token_verifier.verify(token)
        except Unauthorized:
            raise refused from None
        logger.warning("admin route refused a service token")
        raise AdminRequired() from None
    if not claims.is_admin:
        logger.warning("admin route refused a non-admin token", extra={"user_id": claims.sub})
        raise AdminRequired()
    return claims


def require_scope(claims: Claims, scope: str) -> None:
    """Forbidden (403) unless the service token grants `scope`."""
    if scope not in claims.scopes:
        raise ScopeRequired(f"The service token does not grant the {scope!r} scope.")


async def provide_user_id(caller: NamedDependency[Claims]) -> str:
    """The caller's user id (the token's `sub`)."""
    return caller.sub


Caller = NamedDependency[Claims]
OptionalCaller = NamedDependency[Claims | None]
ServiceCaller = NamedDependency[Claims]
ProfilesReader = NamedDependency[Claims]
"""A service token of the internal audience with the `profiles:read` scope (`provide_profiles_reader`)."""
AdminCaller = NamedDependency[Claims]
"""The verified claims of an administrator (`provide_admin`)."""
UserId = NamedDependency[str]
