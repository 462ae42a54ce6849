"""The new endpoints answer bad bodies with 400 problem details, never a 500."""

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import bearer, login, register

BODIES: list[Any] = [{}, [], "text", {"unexpected": 1}, {"code": 5, "token": None, "password": ["x"]}]
ENDPOINTS = [
    ("POST", "/auth/password"),
    ("POST", "/auth/password-reset"),
    ("POST", "/auth/password-reset/confirm"),
    ("POST", "/auth/email-change"),
    ("POST", "/auth/email-change/confirm"),
    ("POST", "/auth/mfa/totp/confirm"),
    ("POST", "/auth/login/mfa"),
    ("POST", "/auth/reauthenticate"),
    ("POST", "/auth/sessions/not-me"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_bad_bodies_are_400(client: TestClient, method: str, path: str) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)

    statuses = {client.request(method, path, json=body, headers=bearer(access)).status_code for body in BODIES}

    assert statuses == {400}


def test_an_email_that_is_not_one_is_400(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post("/auth/password-reset", json={"email": "not-an-address"})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
