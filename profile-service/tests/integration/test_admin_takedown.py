"""`DELETE /admin/profiles/{user_id}/avatar`: a live picture taken down like an owner's deletion (a sequence
number, so nothing older comes back), its asset destroyed through the outbox, the owner told why, audited."""

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from profile_service.app import create_app
from profile_service.config import Settings
from profile_service.services import build
from tests.conftest import Client, TokenFactory, auth, wait_until_ready
from tests.fakes import FakeAssets
from tests.integration.helpers import post_notification, sign_upload, upload_notification


@pytest.fixture
def assets() -> FakeAssets:
    return FakeAssets()


@pytest.fixture
def client(settings: Settings, assets: FakeAssets) -> Iterator[Client]:
    with TestClient(create_app(services=build(settings, assets=assets))) as test_client:
        wait_until_ready(test_client)
        yield test_client


@pytest.fixture
def admin(token: TokenFactory) -> dict[str, str]:
    return auth(token("u-admin", "root", role="admin"))


def live_picture(client: Client, bearer: str) -> dict[str, Any]:
    ticket = sign_upload(client, bearer)
    applied = post_notification(client, upload_notification(ticket["public_id"]))
    assert applied.json()["intent_status"] == "applied", applied.text
    return ticket


def outbox_job(client: Client, public_id: str) -> dict[str, Any] | None:
    outbox = client.app.state.services.mongo.db["outbox"]

    async def read() -> dict[str, Any] | None:
        job: dict[str, Any] | None = await outbox.find_one({"_id": f"destroy:{public_id}"})
        return job

    with client.portal() as portal:
        found: dict[str, Any] | None = portal.call(read)
        return found


def test_a_take_down_hides_the_picture_destroys_it_and_tells_the_owner(
    client: Client, token: TokenFactory, admin: dict[str, str]
) -> None:
    bearer = token("u1", "alice")
    ticket = live_picture(client, bearer)
    assert client.get("/profiles/alice").json()["avatar"] is not None

    response = client.request("DELETE", "/admin/profiles/u1/avatar", json={"reason": "offensive"}, headers=admin)

    assert response.status_code == 204, response.text
    assert client.get("/profiles/alice").json()["avatar"] is None
    owner = client.get("/profiles/me", headers=auth(bearer)).json()
    assert owner["avatar"] is None
    notice = owner["moderation_notice"]
    assert (notice["kind"], notice["reason"], notice["upload_id"]) == ("taken_down", "offensive", ticket["upload_id"])
    assert "moderation_notice" not in client.get("/profiles/alice").json()
    job = outbox_job(client, ticket["public_id"])
    assert job is not None and job["user_id"] == "u1"
    entries = client.get("/admin/moderation/audit", headers=admin).json()["entries"]
    assert [(e["action"], e["actor_id"], e["target_user_id"], e["upload_id"], e["reason"]) for e in entries] == [
        ("avatar.taken_down", "u-admin", "u1", ticket["upload_id"], "offensive")
    ]


def test_a_notification_of_the_taken_down_upload_arriving_again_does_not_bring_it_back(
    client: Client, token: TokenFactory, admin: dict[str, str]
) -> None:
    ticket = live_picture(client, token("u1", "alice"))
    client.request("DELETE", "/admin/profiles/u1/avatar", json={"reason": "offensive"}, headers=admin)

    replay = post_notification(client, upload_notification(ticket["public_id"]))

    assert replay.status_code == 200
    assert client.get("/profiles/alice").json()["avatar"] is None


def test_a_newer_picture_clears_the_notice(client: Client, token: TokenFactory, admin: dict[str, str]) -> None:
    bearer = token("u1", "alice")
    live_picture(client, bearer)
    client.request("DELETE", "/admin/profiles/u1/avatar", json={"reason": "offensive"}, headers=admin)

    live_picture(client, bearer)

    owner = client.get("/profiles/me", headers=auth(bearer)).json()
    assert owner["avatar"] is not None
    assert owner["moderation_notice"] is None


@pytest.mark.parametrize("who", ["u1", "never-existed"])
def test_a_profile_without_a_picture_is_404(
    client: Client, token: TokenFactory, admin: dict[str, str], who: str
) -> None:
    client.get("/profiles/me", headers=auth(token("u1", "alice")))

    response = client.request("DELETE", f"/admin/profiles/{who}/avatar", json={"reason": "offensive"}, headers=admin)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/admin/moderation/audit", headers=admin).json()["entries"] == []


@pytest.mark.parametrize("body", [None, {}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "ok", "extra": 1}])
def test_a_take_down_needs_a_reason(
    client: Client, token: TokenFactory, admin: dict[str, str], body: dict[str, Any] | None
) -> None:
    live_picture(client, token("u1", "alice"))

    response = client.request("DELETE", "/admin/profiles/u1/avatar", json=body, headers=admin)

    assert response.status_code == 400, response.text
    assert client.get("/profiles/alice").json()["avatar"] is not None


def test_an_upload_signed_before_the_take_down_cannot_bring_a_picture_back(
    client: Client, token: TokenFactory, admin: dict[str, str]
) -> None:
    bearer = token("u1", "alice")
    earlier = sign_upload(client, bearer)  # signed before the take-down, lands after it
    live_picture(client, bearer)
    client.request("DELETE", "/admin/profiles/u1/avatar", json={"reason": "offensive"}, headers=admin)

    late = post_notification(client, upload_notification(earlier["public_id"]))

    assert late.json()["intent_status"] == "superseded"
    assert client.get("/profiles/alice").json()["avatar"] is None
    assert outbox_job(client, earlier["public_id"]) is not None
