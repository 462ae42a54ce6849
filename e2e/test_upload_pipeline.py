"""The upload pipeline end to end: real processes (MongoDB stand-in, emulator, auth-service, profile-service)
and real HTTP: sign -> multipart POST to the emulator -> signed notification -> profile."""

import functools
import hashlib
import io
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from devstack.mongo import MongoServer
from e2e.conftest import running_stack
from e2e.pipeline import (
    User,
    exists,
    faults,
    image_bytes,
    notifications,
    post_webhook,
    profile,
    register,
    reset_emulator,
    resources,
    sign,
    status,
    upload,
    wait_for,
    wait_for_status,
)
from e2e.stack import Stack

FAST = {
    "profile": {"PROFILE_OUTBOX_POLL_SECONDS": "0.2", "PROFILE_OUTBOX_BACKOFF_SECONDS": "0.2"},
    "emulator": {"EMULATOR_NOTIFICATION_TIME_SCALE": "0.002"},
}


@pytest.fixture(scope="module")
def pipeline(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack with a brisk outbox and brisk notification retries."""
    with running_stack(mongo_server, tmp_path_factory, **FAST) as running:
        yield running


@pytest.fixture(autouse=True)
def clean_emulator(pipeline: Stack) -> None:
    """Each test starts with faults off and an empty notification log."""
    reset_emulator(pipeline)


@pytest.fixture
def user(pipeline: Stack) -> User:
    """A freshly registered user."""
    return register(pipeline)


def sign_digest(body: bytes, timestamp: str, secret: str) -> str:
    return hashlib.sha1(body + timestamp.encode() + secret.encode()).hexdigest()  # noqa: S324 - Cloudinary's scheme


def uploaded(pipeline: Stack, user: User, seed: int = 0) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """Sign and upload one picture; returns (ticket, Cloudinary's upload response)."""
    ticket = sign(pipeline, user)
    response = upload(ticket, image_bytes(seed=seed))
    assert response.status_code == 200, response.text
    return ticket, response.json()


def test_happy_path_sets_every_avatar_size(pipeline: Stack, user: User) -> None:
    ticket, cloudinary = uploaded(pipeline, user)

    wait_for_status(pipeline, user, ticket, "applied")

    avatar = profile(pipeline, user)["avatar"]
    assert avatar["public_id"] == ticket["public_id"] == cloudinary["public_id"]
    assert avatar["version"] == cloudinary["version"]
    assert avatar["secure_url"] == cloudinary["secure_url"]
    assert set(avatar["variants"]) == {"64", "128", "256", "512"}
    for size, url in avatar["variants"].items():
        served = wait_for(f"{url} to be served", functools.partial(served_image, url))
        assert served.size == (int(size), int(size))
    original = httpx.get(avatar["secure_url"], timeout=30)
    assert Image.open(io.BytesIO(original.content)).size == (320, 240)
    public = httpx.get(pipeline.url("profile", f"/profiles/{user.username}"), timeout=30).json()
    assert public["avatar"]["secure_url"] == avatar["secure_url"]


def served_image(url: str) -> Image.Image | None:
    """The image at `url`, once it is served."""
    response = httpx.get(url, timeout=30)
    return Image.open(io.BytesIO(response.content)) if response.status_code == 200 else None


def delivered(pipeline: Stack, public_id: str, kind: str = "upload") -> dict:  # type: ignore[type-arg]
    """The emulator's log entry of a delivered notification."""
    return wait_for(
        f"{kind} notification for {public_id} delivered",
        lambda: next(
            (
                n
                for n in notifications(pipeline, public_id)
                if n["notification_type"] == kind and n["status"] == "delivered"
            ),
            None,
        ),
    )


def test_a_forged_notification_is_401_and_changes_nothing(pipeline: Stack, user: User) -> None:
    faults(pipeline, notification_drop=2)
    ticket, cloudinary = uploaded(pipeline, user)
    body = json.dumps({"notification_type": "upload", **cloudinary}).encode()
    now = str(int(time.time()))

    response = post_webhook(pipeline, body, now, sign_digest(body, now, "not-the-secret"))

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert status(pipeline, user, ticket)["status"] == "pending"
    assert profile(pipeline, user)["avatar"] is None


def test_a_stale_notification_is_401_and_changes_nothing(pipeline: Stack, user: User) -> None:
    faults(pipeline, notification_drop=2)
    ticket, cloudinary = uploaded(pipeline, user)
    body = json.dumps({"notification_type": "upload", **cloudinary}).encode()
    stale = str(int(time.time()) - 2 * 3600)

    response = post_webhook(pipeline, body, stale, sign_digest(body, stale, pipeline.api_secret))

    assert response.status_code == 401
    assert status(pipeline, user, ticket)["status"] == "pending"
    assert profile(pipeline, user)["avatar"] is None


def test_a_notification_altered_after_signing_is_401(pipeline: Stack, user: User) -> None:
    faults(pipeline, notification_drop=2)
    ticket, _ = uploaded(pipeline, user)
    dropped = wait_for("the dropped notification", lambda: notifications(pipeline, ticket["public_id"]))[0]
    altered = dropped["body"].replace('"width":', '"width":9', 1).encode()

    response = post_webhook(pipeline, altered, str(dropped["timestamp"]), dropped["signature"])

    assert response.status_code == 401
    assert status(pipeline, user, ticket)["status"] == "pending"


def test_a_replayed_notification_changes_nothing(pipeline: Stack, user: User) -> None:
    ticket, _ = uploaded(pipeline, user)
    wait_for_status(pipeline, user, ticket, "applied")
    first = delivered(pipeline, ticket["public_id"])
    before = profile(pipeline, user)

    replay = post_webhook(pipeline, first["body"].encode(), str(first["timestamp"]), first["signature"])

    assert replay.status_code == 200
    assert profile(pipeline, user) == before


def test_a_duplicated_notification_is_harmless(pipeline: Stack, user: User) -> None:
    faults(pipeline, notification_duplicate=2)
    ticket, _ = uploaded(pipeline, user)

    wait_for_status(pipeline, user, ticket, "applied")
    wait_for("a duplicate delivery", lambda: any(n["duplicate"] for n in notifications(pipeline, ticket["public_id"])))

    assert profile(pipeline, user)["avatar"]["public_id"] == ticket["public_id"]
    assert resources(pipeline, f"profiles/{user.id}/") == [ticket["public_id"]]


def test_an_older_upload_notified_after_a_newer_one_is_ignored_and_destroyed(pipeline: Stack, user: User) -> None:
    faults(pipeline, notification_drop=4)
    older, _ = uploaded(pipeline, user, seed=1)
    newer, _ = uploaded(pipeline, user, seed=2)
    logged = wait_for("four dropped notifications", lambda: n if len(n := notifications(pipeline)) >= 4 else None)
    by_id = {n["public_id"]: n for n in logged if n["notification_type"] == "upload"}

    for ticket in (newer, older):  # deliver the newer upload's notification first
        note = by_id[ticket["public_id"]]
        assert (
            post_webhook(pipeline, note["body"].encode(), str(note["timestamp"]), note["signature"]).status_code == 200
        )

    assert profile(pipeline, user)["avatar"]["public_id"] == newer["public_id"]
    assert status(pipeline, user, older)["status"] == "superseded"
    wait_for("the older asset to be destroyed", lambda: not exists(pipeline, older["public_id"]))
    assert exists(pipeline, newer["public_id"])


def test_a_notification_for_a_public_id_we_never_signed_is_acknowledged(pipeline: Stack, user: User) -> None:
    body = json.dumps({"notification_type": "upload", "public_id": f"profiles/{user.id}/never", "version": 1}).encode()
    now = str(int(time.time()))

    response = post_webhook(pipeline, body, now, sign_digest(body, now, pipeline.api_secret))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert profile(pipeline, user)["avatar"] is None


def test_a_file_breaking_policy_is_rejected_and_destroyed(pipeline: Stack, user: User) -> None:
    ticket = sign(pipeline, user)
    response = upload(ticket, image_bytes(32, 32))  # Cloudinary accepts it; our minimum is 64 px a side
    assert response.status_code == 200, response.text

    rejected = wait_for_status(pipeline, user, ticket, "rejected")

    assert "smaller than 64" in rejected["reason"]
    assert profile(pipeline, user)["avatar"] is None
    wait_for("the rejected asset to be destroyed", lambda: not exists(pipeline, ticket["public_id"]))


def test_a_dropped_notification_is_recovered_by_confirm(pipeline: Stack, user: User) -> None:
    faults(pipeline, notification_drop=2)  # the upload and the eager notification
    ticket, cloudinary = uploaded(pipeline, user)
    wait_for("both notifications dropped", lambda: len(notifications(pipeline, ticket["public_id"])) >= 2)
    assert status(pipeline, user, ticket)["status"] == "pending"

    confirmed = httpx.post(
        pipeline.url("profile", ticket["status_url"] + "/confirm"),
        json={"version": cloudinary["version"], "signature": cloudinary["signature"]},
        headers=user.headers,
        timeout=30,
    )

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "applied"
    assert profile(pipeline, user)["avatar"]["version"] == cloudinary["version"]


def test_confirm_with_a_forged_response_signature_is_refused(pipeline: Stack, user: User) -> None:
    faults(pipeline, notification_drop=2)
    ticket, cloudinary = uploaded(pipeline, user)

    confirmed = httpx.post(
        pipeline.url("profile", ticket["status_url"] + "/confirm"),
        json={"version": cloudinary["version"], "signature": "0" * 40},
        headers=user.headers,
        timeout=30,
    )

    assert confirmed.status_code == 400
    assert status(pipeline, user, ticket)["status"] == "pending"


def test_another_user_cannot_confirm_my_upload(pipeline: Stack, user: User) -> None:
    faults(pipeline, notification_drop=2)
    ticket, cloudinary = uploaded(pipeline, user)
    intruder = register(pipeline)

    confirmed = httpx.post(
        pipeline.url("profile", ticket["status_url"] + "/confirm"),
        json={"version": cloudinary["version"], "signature": cloudinary["signature"]},
        headers=intruder.headers,
        timeout=30,
    )

    assert confirmed.status_code == 404
    assert profile(pipeline, intruder)["avatar"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("public_id", "profiles/someone-else/mine"),
        ("eager", "c_fill,g_face,h_2000,w_2000"),
        ("notification_url", "http://127.0.0.1:9/evil"),
        ("folder", "elsewhere"),
        ("overwrite", "true"),
        ("timestamp", str(int(time.time()))),
    ],
    # Ids by field: the timestamp's value changes between collections (xdist's workers must collect alike).
    ids=["public_id", "eager", "notification_url", "folder", "overwrite", "timestamp"],
)
def test_tampering_with_any_signed_field_fails_at_the_emulator(
    pipeline: Stack, user: User, field: str, value: str
) -> None:
    ticket = sign(pipeline, user)

    response = upload(ticket, image_bytes(), fields={**ticket["fields"], field: value})

    assert response.status_code == 401, response.text
    assert "Invalid Signature" in response.json()["error"]["message"]
    assert resources(pipeline, f"profiles/{user.id}/") == []
