"""Pins the README's access-token contract table; profile-service pins the same table from its side."""

import base64

import jwt
from litestar.testing import TestClient

from tests.conftest import CLIENT_ID, CLIENT_SECRET, ISSUER, KID, bearer, login, register


def _verify_like_profile_service(client: TestClient, token: str, audience: str) -> dict[str, object]:  # type: ignore[type-arg]
    jwks = jwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").json())
    key = next(k for k in jwks.keys if k.key_id == jwt.get_unverified_header(token)["kid"])
    claims: dict[str, object] = jwt.decode(
        token,
        key,
        algorithms=["EdDSA"],
        audience=audience,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )
    return claims


def test_user_access_token_matches_the_readme_table(client: TestClient) -> None:  # type: ignore[type-arg]
    user = register(client)
    access_token, _ = login(client)

    header = jwt.get_unverified_header(access_token)
    claims = _verify_like_profile_service(client, access_token, "profile-service")

    assert header == {"alg": "EdDSA", "typ": "at+jwt", "kid": KID}
    assert set(claims) == {
        "iss",
        "aud",
        "sub",
        "exp",
        "iat",
        "nbf",
        "jti",
        "sid",
        "username",
        "auth_time",
        "amr",
        "role",
    }
    assert claims["iss"] == ISSUER
    assert claims["aud"] == "profile-service"
    assert claims["sub"] == user["id"]
    assert claims["username"] == "alice"
    assert isinstance(claims["sid"], str)
    assert claims["exp"] == claims["iat"] + 900  # type: ignore[operator]
    assert claims["nbf"] == claims["iat"]
    assert claims["auth_time"] == claims["iat"]  # signed in just now
    assert claims["amr"] == ["pwd"]
    assert claims["role"] == "user"


def test_service_token_matches_the_readme_table(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    token = response.json()["access_token"]

    header = jwt.get_unverified_header(token)
    claims = _verify_like_profile_service(client, token, "profile-service-internal")

    assert header == {"alg": "EdDSA", "typ": "at+jwt", "kid": KID}
    assert set(claims) == {"iss", "aud", "sub", "exp", "iat", "nbf", "jti", "scope"}
    assert claims["sub"] == CLIENT_ID
    assert claims["scope"] == "profiles:read profiles:write"


def test_jwks_publishes_the_keys_with_cache_control(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert set(response.headers["cache-control"].split(", ")) == {"public", "max-age=300"}
    [key] = response.json()["keys"]
    assert set(key) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (key["kty"], key["crv"], key["kid"], key["use"], key["alg"]) == ("OKP", "Ed25519", KID, "sig", "EdDSA")
    assert len(base64.urlsafe_b64decode(key["x"] + "=")) == 32


def test_access_token_verifies_with_the_published_key_only(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access_token, _ = login(client)

    response = client.get("/auth/me", headers=bearer(access_token))

    assert response.status_code == 200
