import base64

import jwt
import pytest
from litestar.testing import TestClient

from tests.conftest import CLIENT_ID, CLIENT_SECRET, bearer


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_client_credentials_in_the_body_get_a_service_token(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "profiles:read profiles:write"
    assert response.headers["cache-control"] == "no-store"


def test_http_basic_client_authentication_works(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers=_basic(CLIENT_ID, CLIENT_SECRET)
    )

    assert response.status_code == 200


def test_a_requested_subset_of_scopes_is_granted(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "scope": "profiles:read"},
        headers=_basic(CLIENT_ID, CLIENT_SECRET),
    )

    assert response.json()["scope"] == "profiles:read"
    assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["scope"] == "profiles:read"


def test_a_scope_beyond_the_clients_is_400_invalid_scope(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "scope": "profiles:read admin"},
        headers=_basic(CLIENT_ID, CLIENT_SECRET),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(("client_id", "secret"), [(CLIENT_ID, "wrong-secret"), ("nobody", CLIENT_SECRET), ("", "")])
def test_bad_client_credentials_are_401_invalid_client(client: TestClient, client_id: str, secret: str) -> None:  # type: ignore[type-arg]
    response = client.post("/auth/token", data={"grant_type": "client_credentials"}, headers=_basic(client_id, secret))

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == "Basic"


def test_a_service_token_is_not_accepted_as_a_user_token(client: TestClient) -> None:  # type: ignore[type-arg]
    token = client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers=_basic(CLIENT_ID, CLIENT_SECRET)
    ).json()["access_token"]

    assert client.get("/auth/me", headers=bearer(token)).status_code == 401


def test_http_basic_with_non_ascii_text_is_invalid_client_not_a_crash(client: TestClient) -> None:  # type: ignore[type-arg]
    # base64.b64decode raises ValueError (not binascii.Error) for non-ASCII text: it was a 500.
    response = client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers={b"Authorization": b"Basic \xe9"}
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
