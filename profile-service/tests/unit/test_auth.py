import json
import time
from typing import Any

import httpx
import jwt
import pytest

from profile_service.auth import KeySet, TokenVerifier
from service_kit.errors import Unauthorized
from tests.conftest import AUDIENCE, ISSUER, SigningKey, mint


class JwksTransport:
    """An httpx transport answering JWKS requests from memory (no network), counting them."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = keys
        self.calls = 0
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.down:
            return httpx.Response(503)
        return httpx.Response(200, json={"keys": [k.jwk() for k in self.keys]})


def verifier(transport: JwksTransport, min_refresh: float = 60.0, max_age: float = 300.0) -> TokenVerifier:
    http = httpx.AsyncClient(transport=httpx.MockTransport(transport))
    keys = KeySet("http://auth/.well-known/jwks.json", http, min_refresh=min_refresh, max_age=max_age)
    return TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture
def key() -> SigningKey:
    return SigningKey()


async def test_a_valid_token_yields_its_subject_and_username(key: SigningKey) -> None:
    claims = await verifier(JwksTransport([key])).verify(mint(key, "u1", "alice"))

    assert (claims.sub, claims.username) == ("u1", "alice")


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "profile-service-internal"},
        {"iss": "http://evil"},
        {"exp": int(time.time()) - 60},
        {"exp": None},
        {"iat": None},
        {"sub": None},
    ],
)
async def test_tokens_breaking_the_contract_are_rejected(key: SigningKey, overrides: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        await verifier(JwksTransport([key])).verify(mint(key, "u1", **overrides))


async def test_an_hs256_token_is_rejected_whatever_its_key(key: SigningKey) -> None:
    public_jwk = json.dumps(key.jwk())
    forged = jwt.encode(
        {"sub": "u1", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60, "iat": int(time.time())},
        public_jwk.encode() * 2,
        algorithm="HS256",
        headers={"kid": key.kid},
    )

    with pytest.raises(Unauthorized):
        await verifier(JwksTransport([key])).verify(forged)


async def test_a_token_from_another_key_is_rejected(key: SigningKey) -> None:
    other = SigningKey()
    other.kid = key.kid

    with pytest.raises(Unauthorized):
        await verifier(JwksTransport([key])).verify(mint(other, "u1"))


async def test_garbage_is_rejected(key: SigningKey) -> None:
    with pytest.raises(Unauthorized):
        await verifier(JwksTransport([key])).verify("not.a.token")


async def test_an_unknown_kid_refetches_the_jwks_at_a_bounded_rate(key: SigningKey) -> None:
    transport = JwksTransport([key])
    tokens = verifier(transport, min_refresh=60.0)
    await tokens.verify(mint(key, "u1"))
    stranger = SigningKey()

    for _ in range(5):
        with pytest.raises(Unauthorized):
            await tokens.verify(mint(stranger, "u1"))

    assert transport.calls == 1


async def test_a_rotated_key_is_picked_up_on_first_sight(key: SigningKey) -> None:
    transport = JwksTransport([key])
    tokens = verifier(transport, min_refresh=0.0)
    await tokens.verify(mint(key, "u1"))
    rotated = SigningKey()
    transport.keys.append(rotated)

    claims = await tokens.verify(mint(rotated, "u2"))

    assert claims.sub == "u2"


async def test_known_keys_keep_working_while_the_auth_service_is_down(key: SigningKey) -> None:
    transport = JwksTransport([key])
    tokens = verifier(transport, min_refresh=0.0, max_age=0.0)
    await tokens.verify(mint(key, "u1"))
    transport.down = True

    claims = await tokens.verify(mint(key, "u1"))

    assert claims.sub == "u1"
    assert transport.calls >= 2


async def test_a_verified_token_is_remembered_until_it_expires(key: SigningKey) -> None:
    transport = JwksTransport([key])
    tokens = verifier(transport, min_refresh=0)
    token = mint(key, "u1", "alice")
    await tokens.verify(token)
    transport.keys = []  # the key is withdrawn: only a cached verification can still accept the token
    await tokens._keys._refresh()

    claims = await tokens.verify(token)

    assert claims.sub == "u1"
    with pytest.raises(Unauthorized):  # a token never verified before is checked against the current keys
        await tokens.verify(mint(key, "u1", "alice"))


async def test_an_expired_token_is_rejected_even_if_it_verified_before(key: SigningKey) -> None:
    tokens = verifier(JwksTransport([key]))
    token = mint(key, "u1", "alice", exp=int(time.time()) + 1)
    await tokens.verify(token)
    deadline = time.monotonic() + 5

    while True:  # poll until the token's second has passed (no fixed sleep)
        try:
            await tokens.verify(token)
        except Unauthorized:
            break
        assert time.monotonic() < deadline, "an expired token was still accepted from the cache"


async def test_a_rejected_token_is_not_remembered(key: SigningKey) -> None:
    transport = JwksTransport([])
    tokens = verifier(transport, min_refresh=0)
    token = mint(key, "u1", "alice")
    with pytest.raises(Unauthorized):
        await tokens.verify(token)
    transport.keys = [key]  # the key is published (a rotation reached the JWKS)

    assert (await tokens.verify(token)).sub == "u1"


async def test_the_role_claim_defaults_to_user_and_only_a_user_token_can_be_admin(key: SigningKey) -> None:
    check = verifier(JwksTransport([key]))

    plain = await check.verify(mint(key, "u1", "alice"))
    admin = await check.verify(mint(key, "u2", "root", role="admin"))
    service = await check.verify(mint(key, "reporting", scope="profiles:read", role="admin"))

    assert (plain.role, plain.is_admin) == ("user", False)
    assert (admin.role, admin.is_admin) == ("admin", True)
    assert service.is_admin is False


async def test_a_role_claim_that_is_not_a_string_is_rejected(key: SigningKey) -> None:
    with pytest.raises(Unauthorized):
        await verifier(JwksTransport([key])).verify(mint(key, "u1", role=["admin"]))
