"""Every access token /auth/me must refuse (RFC 8725), one test each; none reaches the user lookup."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from auth_service.config import Settings
from auth_service.keys import KeySet, SigningKey
from auth_service.tokens import TokenService
from service_kit.clock import utc_now
from tests.conftest import ISSUER, KID, FakeClock, bearer, login, pem, register, running, wait_until_ready


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(utc_now().timestamp())
    claims = {
        "iss": ISSUER,
        "aud": "profile-service",
        "sub": "user-1",
        "sid": "family-1",
        "username": "alice",
        "jti": "j-1",
        "iat": now,
        "nbf": now,
        "exp": now + 900,
    }
    return claims | overrides


def _signed(key: Ed25519PrivateKey, claims: dict[str, Any], kid: str = KID) -> str:
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid, "typ": "at+jwt"})


def _assert_rejected(client: TestClient, token: str) -> None:  # type: ignore[type-arg]
    response = client.get("/auth/me", headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_well_formed_token_is_accepted_by_the_same_checks(client: TestClient) -> None:  # type: ignore[type-arg]
    user = register(client)
    access_token, _ = login(client)

    assert client.get("/auth/me", headers=bearer(access_token)).json()["id"] == user["id"]


def test_alg_none_is_rejected(client: TestClient) -> None:  # type: ignore[type-arg]
    header = _b64(json.dumps({"alg": "none", "typ": "at+jwt", "kid": KID}).encode())
    payload = _b64(json.dumps(_claims()).encode())

    _assert_rejected(client, f"{header}.{payload}.")


def test_hs256_signed_with_the_public_key_as_secret_is_rejected(
    client: TestClient,  # type: ignore[type-arg]
    signing_key: Ed25519PrivateKey,
) -> None:
    public_pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": KID}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    signature = _b64(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())

    _assert_rejected(client, f"{header}.{payload}.{signature}")


def test_expired_token_is_rejected(client: TestClient, signing_key: Ed25519PrivateKey) -> None:  # type: ignore[type-arg]
    past = int(utc_now().timestamp()) - 3600

    _assert_rejected(client, _signed(signing_key, _claims(iat=past - 900, nbf=past - 900, exp=past)))


def test_token_not_yet_valid_is_rejected(client: TestClient, signing_key: Ed25519PrivateKey) -> None:  # type: ignore[type-arg]
    future = int(utc_now().timestamp()) + 3600

    _assert_rejected(client, _signed(signing_key, _claims(nbf=future, exp=future + 900)))


def test_wrong_audience_is_rejected(client: TestClient, signing_key: Ed25519PrivateKey) -> None:  # type: ignore[type-arg]
    _assert_rejected(client, _signed(signing_key, _claims(aud="some-other-api")))


def test_wrong_issuer_is_rejected(client: TestClient, signing_key: Ed25519PrivateKey) -> None:  # type: ignore[type-arg]
    _assert_rejected(client, _signed(signing_key, _claims(iss="http://evil.example")))


def test_token_without_exp_is_rejected(client: TestClient, signing_key: Ed25519PrivateKey) -> None:  # type: ignore[type-arg]
    claims = _claims()
    del claims["exp"]

    _assert_rejected(client, _signed(signing_key, claims))


def test_unknown_kid_is_rejected(client: TestClient, signing_key: Ed25519PrivateKey) -> None:  # type: ignore[type-arg]
    # Signed by the real key: only the kid is wrong, so this proves the kid selects the key (no "try them all").
    _assert_rejected(client, _signed(signing_key, _claims(), kid="no-such-key"))


def test_payload_tampered_after_signing_is_rejected(client: TestClient, signing_key: Ed25519PrivateKey) -> None:  # type: ignore[type-arg]
    header, _, signature = _signed(signing_key, _claims(sub="user-1")).split(".")
    forged_payload = _b64(json.dumps(_claims(sub="admin")).encode())

    _assert_rejected(client, f"{header}.{forged_payload}.{signature}")


def test_token_of_a_key_no_longer_published_is_rejected(
    settings: Settings, keys_dir: Path, clock: FakeClock, signing_key: Ed25519PrivateKey
) -> None:
    # Rotation: a newer key is added (it signs from now on) while the old one is still published...
    (keys_dir / "20990101-next.pem").write_text(pem(Ed25519PrivateKey.generate()))
    old_signer = TokenService(KeySet((SigningKey(KID, signing_key),)), issuer=ISSUER, ttl_seconds=900, clock=utc_now)
    with running(settings, clock) as client:
        wait_until_ready(client)
        user = register(client)
        old_key_token = old_signer.issue_user(
            user_id=user["id"],
            username="alice",
            session_id="s",
            audience="profile-service",
            auth_time=utc_now(),
            amr=["pwd"],
            role="user",
        ).access_token
        assert client.get("/auth/me", headers=bearer(old_key_token)).status_code == 200
        new_token, _ = login(client)
        assert jwt.get_unverified_header(new_token)["kid"] == "20990101-next"
    # ...then the old key is retired: its tokens must die with it.
    (keys_dir / f"{KID}.pem").unlink()
    with running(settings, clock) as client:
        wait_until_ready(client)
        response = client.get("/auth/me", headers=bearer(old_key_token))
        assert response.status_code == 401
        assert response.json()["detail"] == "The access token is invalid or expired."


def test_service_token_is_not_a_user_token(client: TestClient, signing_key: Ed25519PrivateKey) -> None:  # type: ignore[type-arg]
    claims = _claims(scope="profiles:read")
    del claims["sid"], claims["username"]

    _assert_rejected(client, _signed(signing_key, claims))


def test_expired_token_issued_by_the_service_itself_is_rejected(
    client: TestClient,  # type: ignore[type-arg]
    clock: FakeClock,
) -> None:
    register(client)
    clock.advance(-timedelta(minutes=16).total_seconds())
    access_token, _ = login(client)

    _assert_rejected(client, access_token)
