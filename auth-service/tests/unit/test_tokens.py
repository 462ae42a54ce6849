"""The verified-token memory of `TokenService.verify_user`: it answers only what a full verification would."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt.api_jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auth_service import tokens as tokens_module
from auth_service.keys import KeySet, SigningKey
from auth_service.tokens import TokenService
from service_kit.clock import utc_now
from service_kit.errors import Unauthorized

AUDIENCE = "profile-service"


def _service() -> TokenService:
    keys = KeySet((SigningKey("k1", Ed25519PrivateKey.generate()),))
    return TokenService(keys, issuer="http://auth.test", ttl_seconds=60, clock=utc_now)


def _token(service: TokenService) -> str:
    return service.issue_user(
        user_id="u1",
        username="alice",
        session_id="s1",
        audience=AUDIENCE,
        auth_time=utc_now(),
        amr=["pwd"],
        role="user",
    ).access_token


def _an_hour_later(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both clocks move: the memory's (time.time) and PyJWT's own (datetime.now), as they do in production.
    later = time.time() + 3600

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> "Later":
            return cls.fromtimestamp(later, tz or UTC)

    monkeypatch.setattr("auth_service.tokens.time.time", lambda: later)
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    service = _service()
    token = _token(service)
    assert service.verify_user(token, audience=AUDIENCE).sub == "u1"

    _an_hour_later(monkeypatch)

    with pytest.raises(Unauthorized):
        service.verify_user(token, audience=AUDIENCE)


def test_a_token_remembered_for_one_audience_is_refused_for_another() -> None:
    service = _service()
    token = _token(service)
    service.verify_user(token, audience=AUDIENCE)

    with pytest.raises(Unauthorized):
        service.verify_user(token, audience="another-service")


def test_a_changed_copy_of_a_remembered_token_is_refused() -> None:
    service = _service()
    token = _token(service)
    service.verify_user(token, audience=AUDIENCE)
    header, payload, signature = token.split(".")
    forged = ".".join((header, payload, signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")))

    with pytest.raises(Unauthorized):
        service.verify_user(forged, audience=AUDIENCE)


def test_the_memory_keeps_at_most_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens_module, "VERIFIED_TOKENS", 2)
    service = _service()
    issued = [_token(service) for _ in range(3)]

    claims = [service.verify_user(token, audience=AUDIENCE) for token in issued + issued]

    assert len(service._verified) == 2
    assert len({c.jti for c in claims}) == 3
    assert all(c.exp > int((utc_now() + timedelta(seconds=30)).timestamp()) for c in claims)
