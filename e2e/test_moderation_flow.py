"""Moderated uploads through real processes (MongoDB stand-in, emulator, auth-service, profile-service with
PROFILE_MODERATION=manual) and real HTTP: the emulator's upload response, its moderation array, its Admin API
update and the signed `moderation` notification it sends, as profile-service reads them. Decisions here are made
the way a reviewer in Cloudinary's console makes them (the Admin API update), not through the admin routes
(e2e/test_moderation.py covers those): so a lost notification must be found by reconciliation."""

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devstack.mongo import MongoServer
from e2e.conftest import running_stack
from e2e.pipeline import (
    User,
    exists,
    faults,
    image_bytes,
    notifications,
    profile,
    register,
    reset_emulator,
    sign,
    upload,
    wait_for,
    wait_for_eager_notification,
    wait_for_status,
)
from e2e.stack import API_KEY, CLOUD_NAME, Stack
from profile_service.avatars.cloudinary import CloudinaryAccount, CloudinaryAssets, configure_sdk

MODERATED = {
    "profile": {
        "PROFILE_MODERATION": "manual",
        "PROFILE_OUTBOX_POLL_SECONDS": "0.2",
        "PROFILE_OUTBOX_BACKOFF_SECONDS": "0.2",
        # Reconciliation every half second; an upload under review is asked about after a second.
        "PROFILE_RECONCILE_INTERVAL_SECONDS": "0.5",
        "PROFILE_MODERATION_RECONCILE_SECONDS": "1",
    },
    "emulator": {"EMULATOR_NOTIFICATION_TIME_SCALE": "0.002"},
}


@pytest.fixture(scope="module")
def moderated(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(mongo_server, tmp_path_factory, **MODERATED) as running:
        yield running


@pytest.fixture(autouse=True)
def clean_emulator(moderated: Stack) -> None:
    reset_emulator(moderated)


@pytest.fixture
def user(moderated: Stack) -> User:
    return register(moderated)


def review(stack: Stack, public_id: str, status: str) -> dict[str, Any]:
    """Decide like a reviewer: the Admin API resource update, form-encoded as the Python SDK's `api.update` sends."""
    response = httpx.post(
        stack.url("emulator", f"/v1_1/{CLOUD_NAME}/resources/image/upload/{public_id}"),
        data={"moderation_status": status},
        auth=(API_KEY, stack.api_secret),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    resource: dict[str, Any] = response.json()
    return resource


def public(stack: Stack, user: User) -> str:
    response = httpx.get(stack.url("profile", f"/profiles/{user.username}"), timeout=30)
    assert response.status_code == 200, response.text
    return response.text


def under_review(stack: Stack, user: User, seed: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sign and upload a picture and wait until it awaits moderation; (ticket, Cloudinary's upload response)."""
    ticket = sign(stack, user)
    assert ticket["fields"]["moderation"] == "manual"
    response = upload(ticket, image_bytes(seed=seed))
    assert response.status_code == 200, response.text
    cloudinary: dict[str, Any] = response.json()
    assert cloudinary["moderation"] == [{"kind": "manual", "status": "pending"}]
    wait_for_status(stack, user, ticket, "awaiting_moderation")
    wait_for_eager_notification(stack, ticket["public_id"])  # before a test switches a notification fault on
    return ticket, cloudinary


def test_a_picture_under_review_is_public_only_once_approved(moderated: Stack, user: User) -> None:
    ticket, cloudinary = under_review(moderated, user)

    mine = profile(moderated, user)
    assert mine["avatar"] is None
    assert mine["pending_avatar"]["secure_url"] == cloudinary["secure_url"]
    assert cloudinary["public_id"] not in public(moderated, user)

    review(moderated, ticket["public_id"], "approved")

    wait_for_status(moderated, user, ticket, "applied")
    assert cloudinary["secure_url"] in public(moderated, user)
    assert profile(moderated, user)["pending_avatar"] is None
    [note] = [n for n in notifications(moderated, ticket["public_id"]) if n["notification_type"] == "moderation"]
    assert note["status"] == "delivered"


def test_a_rejected_picture_is_destroyed_and_the_owner_told(moderated: Stack, user: User) -> None:
    ticket, cloudinary = under_review(moderated, user)

    review(moderated, ticket["public_id"], "rejected")

    rejected = wait_for_status(moderated, user, ticket, "rejected")
    assert rejected["reason"] == "manual"
    wait_for("the rejected asset to be destroyed", lambda: not exists(moderated, ticket["public_id"]) or None)
    mine = profile(moderated, user)
    assert mine["avatar"] is None and mine["pending_avatar"] is None
    assert mine["moderation_notice"]["kind"] == "rejected"
    assert cloudinary["public_id"] not in public(moderated, user)


def test_a_lost_moderation_notification_is_found_by_reconciliation(moderated: Stack, user: User) -> None:
    ticket, cloudinary = under_review(moderated, user)
    faults(moderated, notification_drop=1)

    review(moderated, ticket["public_id"], "approved")

    wait_for(
        "the moderation notification to be dropped",
        lambda: [n for n in notifications(moderated, ticket["public_id"]) if n["status"] == "dropped"] or None,
    )
    wait_for_status(moderated, user, ticket, "applied")
    assert cloudinary["secure_url"] in public(moderated, user)


def test_duplicated_and_reordered_decisions_land_once(moderated: Stack, user: User) -> None:
    older, _ = under_review(moderated, user, seed=1)
    newer, newer_cloudinary = under_review(moderated, user, seed=2)
    faults(moderated, notification_duplicate=2, notification_reorder=True)

    review(moderated, newer["public_id"], "approved")
    review(moderated, older["public_id"], "approved")  # signed first, decided last: superseded, never shown

    wait_for_status(moderated, user, newer, "applied")
    wait_for_status(moderated, user, older, "superseded")
    wait_for("the superseded asset to be destroyed", lambda: not exists(moderated, older["public_id"]) or None)
    mine = profile(moderated, user)
    assert mine["avatar"]["secure_url"] == newer_cloudinary["secure_url"]
    assert older["public_id"] not in public(moderated, user)


def test_the_admin_api_calls_of_the_asset_store(moderated: Stack, user: User) -> None:
    ticket, _ = under_review(moderated, user)
    # An asset under review that no intent knows: our service leaves it alone, so the rejected listing below
    # cannot race its outbox (a rejected upload of ours is destroyed as soon as the service hears of it).
    stray = httpx.post(
        moderated.url("emulator", f"/v1_1/{CLOUD_NAME}/image/upload"),
        data={"public_id": f"elsewhere/{uuid.uuid4().hex}", "moderation": "manual"},
        files={"file": ("s.png", image_bytes(seed=5), "image/png")},
        auth=(API_KEY, moderated.api_secret),
        timeout=30,
    )
    assert stray.status_code == 200, stray.text
    stray_id = stray.json()["public_id"]
    configure_sdk(CloudinaryAccount.from_url(moderated.cloudinary_url))
    store = CloudinaryAssets()

    async def calls() -> tuple[list[str], Any, list[str], Any, Any]:
        pending, _ = await store.by_moderation("manual", "pending")
        updated = await store.set_moderation(stray_id, "rejected")
        rejected, _ = await store.by_moderation("manual", "rejected")
        missing = await store.set_moderation("profiles/nobody/never-uploaded", "approved")
        ours = await store.set_moderation(ticket["public_id"], "rejected")
        return pending, updated, rejected, missing, ours

    pending, updated, rejected, missing, ours = asyncio.run(calls())

    assert ticket["public_id"] in pending and stray_id in pending
    assert updated is not None
    assert [(m["kind"], m["status"]) for m in updated.moderation or []] == [("manual", "rejected")]
    assert stray_id in rejected and ticket["public_id"] not in rejected
    assert missing is None
    assert ours is not None
    # Our own upload, rejected at Cloudinary: the service hears of it and carries the rejection out.
    wait_for_status(moderated, user, ticket, "rejected")
