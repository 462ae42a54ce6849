import asyncio
from datetime import timedelta
from typing import Any

import msgspec
from litestar.testing import TestClient
from pymongo import AsyncMongoClient

from auth_service.config import Settings
from tests.conftest import PASSWORD, FakeClock, bearer, login, refresh, register, running, wait_until_ready


def test_register_login_me_refresh_logout_round_trip(client: TestClient) -> None:  # type: ignore[type-arg]
    user = register(client)
    access_token, refresh_token = login(client)

    me = client.get("/auth/me", headers=bearer(access_token))
    refreshed = refresh(client, refresh_token)
    me_again = client.get("/auth/me", headers=bearer(refreshed.json()["access_token"]))
    logout = client.post("/auth/logout", headers={"Cookie": f"refresh_token={refreshed.cookies['refresh_token']}"})
    after_logout = refresh(client, refreshed.cookies["refresh_token"])

    assert me.status_code == 200
    assert me.json() == user
    assert refreshed.status_code == 200
    assert me_again.json() == user
    assert logout.status_code == 204
    assert after_logout.status_code == 401


def test_login_answers_a_bearer_token_and_no_store(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)

    response = client.post("/auth/login", json={"login": "alice", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert response.headers["cache-control"] == "no-store"


def test_login_accepts_the_email_in_any_case(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client, email="Alice@Example.COM")

    response = client.post("/auth/login", json={"login": " ALICE@example.com ", "password": PASSWORD})

    assert response.status_code == 200


def test_refresh_cookie_is_httponly_strict_secure_and_scoped_to_auth(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)

    response = client.post("/auth/login", json={"login": "alice", "password": PASSWORD})

    cookie = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith("refresh_token=")
    assert {"httponly", "secure", "samesite", "path", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "Path=/auth" in cookie
    assert "Max-Age=2592000" in cookie


def test_refresh_token_is_256_bits_of_randomness(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)

    _, refresh_token = login(client)

    assert len(refresh_token) >= 43  # 32 bytes in base64url


def test_refresh_rotates_and_the_old_token_stops_working(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    _, first = login(client)

    rotated = refresh(client, first)
    second = rotated.cookies["refresh_token"]
    replayed = refresh(client, first)

    assert rotated.status_code == 200
    assert second != first
    assert replayed.status_code == 401
    assert replayed.headers["content-type"] == "application/problem+json"


def test_reusing_a_rotated_token_revokes_the_whole_family(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    _, first = login(client)
    second = refresh(client, first).cookies["refresh_token"]

    assert refresh(client, first).status_code == 401
    still_valid_until_now = refresh(client, second)

    assert still_valid_until_now.status_code == 401


def test_reuse_revokes_only_that_family_not_other_sign_ins(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    _, stolen = login(client)
    _, other_device = login(client)
    refresh(client, stolen)

    refresh(client, stolen)

    assert refresh(client, other_device).status_code == 200


def test_refresh_without_a_cookie_is_204_with_no_body_and_no_cookie(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post("/auth/refresh")

    assert response.status_code == 204
    assert response.content == b""
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"


def test_refresh_with_an_empty_cookie_is_401(client: TestClient) -> None:  # type: ignore[type-arg]
    response = refresh(client, "")

    assert response.status_code == 401
    assert response.json()["detail"] == "The refresh token is invalid, expired or revoked; sign in again."


def test_refresh_with_an_unknown_cookie_is_401(client: TestClient) -> None:  # type: ignore[type-arg]
    response = refresh(client, "not-a-token-we-issued")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_refused_refresh_clears_the_cookie_so_the_next_visit_is_204(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    _, first = login(client)
    refresh(client, first)

    replayed = refresh(client, first)

    assert replayed.status_code == 401
    cookie = replayed.headers["set-cookie"]
    assert cookie.startswith("refresh_token=")
    assert "Max-Age=0" in cookie
    assert "Path=/auth" in cookie
    assert "HttpOnly" in cookie


def test_refresh_after_logout_is_401_not_204(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    _, refresh_token = login(client)
    client.post("/auth/logout", headers={"Cookie": f"refresh_token={refresh_token}"})

    assert refresh(client, refresh_token).status_code == 401


def test_refresh_token_expires_with_the_sign_in(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    _, refresh_token = login(client)

    clock.advance(timedelta(days=30).total_seconds() + 1)

    assert refresh(client, refresh_token).status_code == 401


def test_logout_revokes_the_family_and_clears_the_cookie(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    _, first = login(client)
    second = refresh(client, first).cookies["refresh_token"]

    response = client.post("/auth/logout", headers={"Cookie": f"refresh_token={second}"})

    assert response.status_code == 204
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert "Path=/auth" in response.headers["set-cookie"]
    assert refresh(client, second).status_code == 401


def test_logout_without_a_cookie_is_still_204(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.post("/auth/logout").status_code == 204


def test_unknown_user_and_wrong_password_get_the_same_401(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)

    wrong_password = client.post("/auth/login", json={"login": "alice", "password": "not the password"})
    unknown_user = client.post("/auth/login", json={"login": "mallory", "password": "not the password"})

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()


def test_me_without_a_token_is_401_with_a_bearer_challenge(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/auth/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


def test_login_upgrades_a_hash_made_with_older_parameters(settings: Settings, clock: FakeClock) -> None:
    with running(settings, clock) as client:
        wait_until_ready(client)
        register(client)
    stronger = msgspec.structs.replace(settings, argon2_time_cost=2, argon2_memory_kib=16)
    with running(stronger, clock) as client:
        wait_until_ready(client)
        login(client)
        user = asyncio.run(_stored_hash(settings))
        # The same password still works after the upgrade.
        login(client)

    assert "$m=16,t=2,p=1$" in user


async def _stored_hash(settings: Settings) -> str:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_uri)
    try:
        doc = await client[settings.database]["users"].find_one({"username": "alice"})
    finally:
        await client.close()
    assert doc is not None
    return str(doc["password_hash"])
