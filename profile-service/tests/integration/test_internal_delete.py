"""`DELETE /internal/users/{id}`: service tokens only, the profile gone for good, every asset of the user
scheduled for destruction, and no pending upload of theirs ever applied afterwards."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from pymongo.asynchronous.collection import AsyncCollection

from profile_service.app import create_app
from profile_service.avatars.cloudinary import Asset
from profile_service.config import Settings
from profile_service.services import build
from service_kit.clock import from_ms
from tests.conftest import Client, TokenFactory, auth, wait_until_ready
from tests.fakes import FakeAssets
from tests.integration.helpers import post_notification, sign_upload, upload_notification

INTERNAL = "profile-service-internal"


@pytest.fixture
def assets() -> FakeAssets:
    return FakeAssets()


@pytest.fixture
def client(settings: Settings, assets: FakeAssets) -> Iterator[Client]:
    """The app with Cloudinary replaced by an in-memory store (listing and destroys are observable)."""
    with TestClient(create_app(services=build(settings, assets=assets))) as test_client:
        wait_until_ready(test_client)
        yield test_client


def service_token(token: TokenFactory, audience: str = INTERNAL, scope: str | None = "profiles:delete") -> str:
    return token("auth-service", aud=audience, scope=scope, username=None)


def hold(assets: FakeAssets, public_id: str) -> None:
    assets.assets[public_id] = Asset(
        public_id=public_id,
        version=1,
        secure_url=f"https://x/{public_id}.jpg",
        format="jpg",
        bytes=1,
        width=64,
        height=64,
    )


def outbox_ids(client: Client) -> set[str]:
    """Every public_id with a destroy job (pending or already done by the app's worker)."""
    db = client.app.state.services.mongo.db

    async def read() -> set[str]:
        return {doc["public_id"] async for doc in db["outbox"].find({})}

    with client.portal() as portal:
        return portal.call(read)


def outbox_job(client: Client, public_id: str) -> dict[str, Any] | None:
    """The destroy job for `public_id`, as stored."""
    outbox: AsyncCollection[dict[str, Any]] = client.app.state.services.mongo.db["outbox"]

    async def read() -> dict[str, Any] | None:
        return await outbox.find_one({"_id": f"destroy:{public_id}"})

    with client.portal() as portal:
        job: dict[str, Any] | None = portal.call(read)
        return job


def wait_until(what: str, probe: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.parametrize(
    "how",
    ["user token", "other audience", "no scope", "other scope", "no token", "garbage"],
)
def test_only_a_service_token_with_the_delete_scope_may_delete(client: Client, token: TokenFactory, how: str) -> None:
    client.get("/profiles/me", headers=auth(token("u1", "alice")))
    headers = {
        "user token": auth(token("u1", "alice")),
        "other audience": auth(service_token(token, audience="some-other-service")),
        "no scope": auth(service_token(token, scope=None)),
        "other scope": auth(service_token(token, scope="profiles:read")),
        "no token": {},
        "garbage": auth("not-a-jwt"),
    }[how]

    response = client.delete("/internal/users/u1", headers=headers)

    # A valid token that is not the right kind of service token is a credential, just not for this: 403.
    assert response.status_code == (401 if how in ("no token", "garbage") else 403)
    assert response.headers["content-type"] == "application/problem+json"
    if response.status_code == 403:
        assert response.json()["type"] == "urn:profile-pictures:problem:scope-required"
    assert client.get("/profiles/alice").status_code == 200


def test_a_service_token_is_refused_on_user_routes(client: Client, token: TokenFactory) -> None:
    assert client.get("/profiles/me", headers=auth(service_token(token))).status_code == 401


def test_delete_removes_the_profile_and_schedules_every_asset_of_the_user(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    applied, pending = sign_upload(client, bearer), sign_upload(client, bearer)
    post_notification(client, upload_notification(applied["public_id"]))
    hold(assets, applied["public_id"])
    hold(assets, "profiles/u1/stray-upload")
    hold(assets, "profiles/u10/someone-else")
    other = sign_upload(client, token("u2", "bob"))

    response = client.delete("/internal/users/u1", headers=auth(service_token(token)))

    assert response.status_code == 204
    assert client.get("/profiles/alice").status_code == 404
    assert outbox_ids(client) == {applied["public_id"], pending["public_id"], "profiles/u1/stray-upload"}
    wait_until(
        "the worker to destroy u1's assets", lambda: not [p for p in assets.assets if p.startswith("profiles/u1/")]
    )
    assert "profiles/u10/someone-else" in assets.assets
    assert client.get(other["status_url"], headers=auth(token("u2", "bob"))).json()["status"] == "pending"


def test_delete_is_idempotent_and_204_when_there_is_no_profile(client: Client, token: TokenFactory) -> None:
    client.get("/profiles/me", headers=auth(token("u1", "alice")))

    first = client.delete("/internal/users/u1", headers=auth(service_token(token)))
    again = client.delete("/internal/users/u1", headers=auth(service_token(token)))
    never = client.delete("/internal/users/never-existed", headers=auth(service_token(token)))

    assert (first.status_code, again.status_code, never.status_code) == (204, 204, 204)


def test_a_pending_upload_landing_after_deletion_is_destroyed_and_never_applied(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)
    client.delete("/internal/users/u1", headers=auth(service_token(token)))
    wait_until(
        "the destroy of the never-uploaded asset",
        lambda: (outbox_job(client, ticket["public_id"]) or {}).get("destroyed_ms", 0) > 0,
    )
    assert ticket["public_id"] in assets.destroyed
    hold(assets, ticket["public_id"])  # the browser's upload lands after the destroy ran
    # Cloudinary reports creation times in whole seconds: the first second wholly after the destroy.
    destroyed_ms = (outbox_job(client, ticket["public_id"]) or {})["destroyed_ms"]
    created_at = from_ms((destroyed_ms // 1000 + 1) * 1000).strftime("%Y-%m-%dT%H:%M:%SZ")

    late = post_notification(client, upload_notification(ticket["public_id"], created_at=created_at))
    recreated = client.get("/profiles/me", headers=auth(bearer))  # the access token outlives the account

    assert late.status_code == 200
    assert late.json()["intent_status"] == "superseded"
    assert recreated.status_code == 404
    assert client.post("/profiles/me/avatar/uploads", headers=auth(bearer)).status_code == 404
    wait_until("the late asset to be destroyed too", lambda: ticket["public_id"] not in assets.assets)


def test_a_deletion_while_cloudinary_cannot_list_is_503_and_a_retry_completes(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    client.get("/profiles/me", headers=auth(token("u1", "alice")))
    hold(assets, "profiles/u1/stray")
    real_list = assets.list_public_ids

    async def down(prefix: str) -> list[tuple[str, str | None]]:
        from profile_service.avatars.cloudinary import CloudinaryUnavailable

        raise CloudinaryUnavailable("listing failed")

    assets.list_public_ids = down  # type: ignore[method-assign]
    failed = client.delete("/internal/users/u1", headers=auth(service_token(token)))
    assets.list_public_ids = real_list  # type: ignore[method-assign]
    retried = client.delete("/internal/users/u1", headers=auth(service_token(token)))

    assert failed.status_code == 503
    assert failed.headers["content-type"] == "application/problem+json"
    assert client.get("/profiles/alice").status_code == 404
    assert retried.status_code == 204
    assert "profiles/u1/stray" in outbox_ids(client)
