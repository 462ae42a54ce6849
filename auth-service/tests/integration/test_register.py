import asyncio
import time

import pytest
from litestar.testing import AsyncTestClient, TestClient

from auth_service.app import create_app
from auth_service.config import Settings
from tests.conftest import PASSWORD, register


def test_register_answers_the_public_user(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/auth/register", json={"email": "  Alice@Example.COM ", "username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "username", "role", "created_at", "mfa_enabled", "recovery_codes_left"}
    assert body["email"] == "alice@example.com"
    assert body["role"] == "user"


@pytest.mark.parametrize(
    ("second", "field"),
    [
        ({"email": "ALICE@example.com", "username": "alice2"}, "email"),
        ({"email": "other@example.com", "username": "alice"}, "username"),
    ],
)
def test_duplicate_registration_is_409_naming_the_field(
    client: TestClient,  # type: ignore[type-arg]
    second: dict[str, str],
    field: str,
) -> None:
    register(client, email="alice@example.com", username="alice")

    response = client.post("/auth/register", json={**second, "password": PASSWORD})

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"email": "not-an-address", "username": "alice", "password": PASSWORD}, None),
        ({"email": "a@example.com", "username": "Alice", "password": PASSWORD}, "username"),
        ({"email": "a@example.com", "username": "al", "password": PASSWORD}, "username"),
        ({"email": "a@example.com", "username": "a" * 31, "password": PASSWORD}, "username"),
        ({"email": "a@example.com", "username": "alice", "password": "short"}, "password"),
        ({"email": "a@example.com", "username": "alice", "password": "x" * 129}, "password"),
    ],
)
def test_register_validates_its_fields(client: TestClient, body: dict[str, str], key: str | None) -> None:  # type: ignore[type-arg]
    response = client.post("/auth/register", json=body)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    if key is not None:
        assert response.json()["errors"][0]["key"] == key


async def test_twenty_concurrent_registrations_of_one_email_create_one_account(settings: Settings) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 10
        while (await client.get("/ready")).status_code != 200:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)  # polling for readiness, not waiting for a race to settle
        responses = await asyncio.gather(
            *(
                client.post(
                    "/auth/register",
                    json={"email": "same@example.com", "username": f"user{i}", "password": PASSWORD},
                )
                for i in range(20)
            )
        )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19
    assert {r.json()["field"] for r in responses if r.status_code == 409} == {"email"}
