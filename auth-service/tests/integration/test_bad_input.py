"""Bad bodies get a 4xx problem-details answer, never a 500."""

import base64
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import CLIENT_ID, CLIENT_SECRET

MEGABYTE = "x" * 1_000_000
JSON_ENDPOINTS = ["/auth/register", "/auth/login"]


def _assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"login": "alice"},
        {"email": 3, "username": ["a"], "password": None},
        {"login": 3, "password": True},
        [],
        "just a string",
        {"login": "alice", "password": "x" * 20, "role": "admin"},
    ],
)
def test_malformed_json_bodies_are_400(client: TestClient, path: str, body: Any) -> None:  # type: ignore[type-arg]
    _assert_problem(client.post(path, json=body), 400)


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_invalid_json_is_400(client: TestClient, path: str) -> None:  # type: ignore[type-arg]
    _assert_problem(client.post(path, content=b'{"login": "a",', headers={"content-type": "application/json"}), 400)


@pytest.mark.parametrize("path", [*JSON_ENDPOINTS, "/auth/token"])
def test_a_megabyte_body_is_413(client: TestClient, path: str) -> None:  # type: ignore[type-arg]
    response = client.post(path, json={"login": MEGABYTE, "password": MEGABYTE})

    _assert_problem(response, 413)


def test_oversized_fields_under_the_body_limit_are_400(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post("/auth/login", json={"login": "a" * 30_000, "password": "p" * 30_000})

    _assert_problem(response, 400)


def test_token_with_an_unsupported_grant_is_400(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post("/auth/token", data={"grant_type": "password"})

    _assert_problem(response, 400)
    assert response.json()["error"] == "unsupported_grant_type"


def test_token_without_grant_type_is_400(client: TestClient) -> None:  # type: ignore[type-arg]
    _assert_problem(client.post("/auth/token", data={"client_id": CLIENT_ID}), 400)


def test_garbage_basic_credentials_are_401(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic %%%"}
    )

    _assert_problem(response, 401)


def test_basic_credentials_that_are_not_utf8_are_401(client: TestClient) -> None:  # type: ignore[type-arg]
    encoded = base64.b64encode(b"\xff\xfe:" + CLIENT_SECRET.encode()).decode()
    response = client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {encoded}"}
    )

    _assert_problem(response, 401)


def test_a_malformed_bearer_header_is_401(client: TestClient) -> None:  # type: ignore[type-arg]
    _assert_problem(client.get("/auth/me", headers={"Authorization": "Bearer not.a.jwt"}), 401)
    _assert_problem(client.get("/auth/me", headers={"Authorization": "Bearer"}), 401)
