import dataclasses
from collections.abc import Iterator

import pytest
from litestar.datastructures import State
from litestar.di import Provide
from litestar.testing import create_test_client

from profile_service.auth import Claims
from profile_service.profiles.controller import ProfileController
from profile_service.services import build
from service_kit.errors import EXCEPTION_HANDLERS
from tests.conftest import Client, make_settings
from tests.fakes import FakeProfileRepository


@pytest.fixture
def repository() -> FakeProfileRepository:
    return FakeProfileRepository()


@pytest.fixture
def client(repository: FakeProfileRepository) -> Iterator[Client]:
    async def caller() -> Claims:
        return Claims(sub="u1", username="alice")

    with create_test_client(
        ProfileController,
        dependencies={"caller": Provide(caller), "profiles": Provide(lambda: repository, sync_to_thread=False)},
        # The hot reads take the app's repository from state (see ProfileController).
        state=State({"services": dataclasses.replace(build(make_settings()), profiles=repository)}),
        exception_handlers=EXCEPTION_HANDLERS,
        debug=False,
    ) as test_client:
        yield test_client


def test_get_me_creates_the_profile_on_first_access(client: Client, repository: FakeProfileRepository) -> None:
    response = client.get("/profiles/me")

    assert response.status_code == 200
    assert response.json()["user_id"] == "u1"
    assert response.json()["username"] == "alice"
    assert "u1" in repository.profiles


def test_patch_me_changes_display_name_and_bio(client: Client) -> None:
    response = client.patch("/profiles/me", json={"display_name": "Alice A.", "bio": "Hi\nthere"})

    assert response.status_code == 200
    assert response.json()["display_name"] == "Alice A."
    assert response.json()["bio"] == "Hi\nthere"


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": ""},
        {"display_name": "   "},
        {"display_name": "x" * 81},
        {"display_name": "bad\u0000name"},
        {"bio": "y" * 501},
        {"avatar": {"secure_url": "https://evil"}},
        {"display_name": 3},
        [],
        {"location": "z" * 201},
        {"location": "bad\u0007bell"},
        {"website": "javascript:alert(1)"},
        {"website": "https://" + "a" * 200 + ".com"},
        {"visibility": "friends"},
        {"visibility": None},
        {"preferences": {"theme": "blue"}},
        {"preferences": {"font": "big"}},
        {"preferences": {"notifications": {"email": "yes"}}},
        {"preferences": {"notifications": {"push": True}}},
        {"preferences": []},
    ],
)
def test_patch_me_rejects_bad_input_with_problem_details(client: Client, body: object) -> None:
    response = client.patch("/profiles/me", json=body)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_patch_me_changes_location_website_and_visibility(client: Client) -> None:
    response = client.patch(
        "/profiles/me",
        json={"location": "12 Rue X\nParis", "website": "https://alice.example", "visibility": "private"},
    )

    assert response.status_code == 200
    assert response.json()["location"] == "12 Rue X\nParis"
    assert response.json()["website"] == "https://alice.example"
    assert response.json()["visibility"] == "private"


def test_public_profile_by_username(client: Client) -> None:
    client.patch("/profiles/me", json={"display_name": "Alice"})

    response = client.get("/profiles/alice")

    assert response.status_code == 200
    assert response.json() == {
        "username": "alice",
        "display_name": "Alice",
        "bio": "",
        "avatar": None,
        "location": "",
        "website": None,
    }


def test_unknown_username_is_a_404_problem(client: Client) -> None:
    response = client.get("/profiles/nobody")

    assert response.status_code == 404
    assert response.json()["status"] == 404
