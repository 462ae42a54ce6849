"""The official `cloudinary` SDK against a live emulator, configured only through upload_prefix."""

import io
import itertools
import re
from pathlib import Path

import cloudinary
import cloudinary.api
import cloudinary.exceptions
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
from PIL import Image

from tests.conftest import LiveEmulator, Receiver
from tests.conftest_values import CLOUD_NAME
from tests.helpers import jpeg, wait_until

AVATAR_EAGER = [
    {"crop": "thumb", "gravity": "face", "width": 200, "height": 200},
    {"crop": "fill", "width": 64, "height": 64, "format": "webp"},
]


def test_signed_upload_with_eager_and_notification(sdk: LiveEmulator, receiver: Receiver) -> None:
    result = cloudinary.uploader.upload(
        jpeg(1200, 900),
        public_id="user_1",
        folder="avatars",
        eager=AVATAR_EAGER,
        notification_url=receiver.url + "/hooks/cloudinary",
        tags=["avatar", "user_1"],
        overwrite=True,
    )

    assert result["public_id"] == "avatars/user_1"
    assert (result["width"], result["height"], result["format"]) == (1200, 900, "jpg")
    assert result["tags"] == ["avatar", "user_1"]
    assert re.fullmatch(r"[0-9a-f]{32}", result["asset_id"]) and re.fullmatch(r"[0-9a-f]{32}", result["etag"])
    assert result["secure_url"] == f"{sdk.base_url}/{CLOUD_NAME}/image/upload/v{result['version']}/avatars/user_1.jpg"
    assert [(e["transformation"], e["width"], e["height"], e["format"]) for e in result["eager"]] == [
        ("c_thumb,g_face,h_200,w_200", 200, 200, "jpg"),
        ("c_fill,h_64,w_64", 64, 64, "webp"),
    ]
    assert cloudinary.utils.verify_api_response_signature(result["public_id"], result["version"], result["signature"])


def test_upload_notification_is_signed_so_the_sdk_verifies_it(sdk: LiveEmulator, receiver: Receiver) -> None:
    result = cloudinary.uploader.upload(jpeg(300, 200), public_id="notified_1", notification_url=receiver.url + "/hook")

    [request] = wait_until(lambda: receiver.received, timeout=10)

    assert request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert cloudinary.utils.verify_notification_signature(
        request.body.decode(), request.headers["x-cld-timestamp"], request.headers["x-cld-signature"]
    )
    payload = request.json()
    assert payload["notification_type"] == "upload"
    assert (payload["public_id"], payload["version"], payload["asset_id"]) == (
        "notified_1",
        result["version"],
        result["asset_id"],
    )
    assert payload["secure_url"] == result["secure_url"]


def test_a_tampered_notification_fails_the_sdk_check(sdk: LiveEmulator, receiver: Receiver) -> None:
    cloudinary.uploader.upload(jpeg(100, 100), public_id="notified_2", notification_url=receiver.url)
    [request] = wait_until(lambda: receiver.received, timeout=10)

    tampered = request.body.decode().replace("notified_2", "notified_3")

    assert not cloudinary.utils.verify_notification_signature(
        tampered, request.headers["x-cld-timestamp"], request.headers["x-cld-signature"]
    )


def test_async_eager_sends_an_eager_notification(sdk: LiveEmulator, receiver: Receiver) -> None:
    result = cloudinary.uploader.upload(
        jpeg(800, 600),
        public_id="async_1",
        eager=AVATAR_EAGER,
        eager_async=True,
        eager_notification_url=receiver.url + "/eager",
    )
    assert [item["status"] for item in result["eager"]] == ["processing", "processing"]

    [request] = wait_until(lambda: [r for r in receiver.received if r.path == "/eager"], timeout=10)

    payload = request.json()
    assert payload["notification_type"] == "eager"
    assert payload["public_id"] == "async_1"
    assert [(e["width"], e["height"]) for e in payload["eager"]] == [(200, 200), (64, 64)]
    assert cloudinary.utils.verify_notification_signature(
        request.body.decode(), request.headers["x-cld-timestamp"], request.headers["x-cld-signature"]
    )


def test_failed_notifications_are_retried_on_cloudinarys_schedule(sdk: LiveEmulator, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    cloudinary.uploader.upload(jpeg(100, 100), public_id="retried_1", notification_url=receiver.url)

    wait_until(lambda: len(receiver.received) == 3, timeout=10)
    log = wait_until(
        lambda: [n for n in httpx.get(sdk.base_url + "/_emulator/notifications").json() if n["status"] == "delivered"]
    )

    assert [a["status_code"] for a in log[0]["attempts"]] == [500, 503, 200]
    assert len({r.body for r in receiver.received}) == 1


def test_notifications_that_keep_failing_are_given_up(sdk: LiveEmulator) -> None:
    unreachable = "http://127.0.0.1:9/hook"  # discard port: connection refused
    cloudinary.uploader.upload(jpeg(100, 100), public_id="given_up_1", notification_url=unreachable)

    log = wait_until(
        lambda: [n for n in httpx.get(sdk.base_url + "/_emulator/notifications").json() if n["status"] == "failed"]
    )

    attempts = log[0]["attempts"]
    assert len(attempts) == 4  # Cloudinary: the first attempt and three further ones
    assert all(attempt["error"] for attempt in attempts)
    # 3, 6 and 9 minutes apart at the tests' time scale of 1/2000: 0.09, 0.18, 0.27 s (plus each attempt's time).
    offsets = [attempt["offset_s"] for attempt in attempts]
    gaps = [later - earlier for earlier, later in itertools.pairwise(offsets)]
    assert offsets[0] == 0
    assert all(expected <= gap < expected + 1.0 for gap, expected in zip(gaps, [0.09, 0.18, 0.27], strict=True))


def test_only_200_counts_as_delivered(sdk: LiveEmulator, receiver: Receiver) -> None:
    # Cloudinary retries any answer but 200, a 204 or 202 included (README "Notification retries").
    receiver.statuses = [204, 202]
    cloudinary.uploader.upload(jpeg(100, 100), public_id="non_200", notification_url=receiver.url)

    log = wait_until(
        lambda: [n for n in httpx.get(sdk.base_url + "/_emulator/notifications").json() if n["status"] == "delivered"]
    )

    assert [a["status_code"] for a in log[0]["attempts"]] == [204, 202, 200]


def test_destroy_then_destroy_again(sdk: LiveEmulator) -> None:
    result = cloudinary.uploader.upload(jpeg(100, 100), public_id="doomed_1", eager=AVATAR_EAGER)
    derived_url = result["eager"][0]["secure_url"]
    assert httpx.get(derived_url).status_code == 200

    assert cloudinary.uploader.destroy("doomed_1", invalidate=True)["result"] == "ok"
    assert cloudinary.uploader.destroy("doomed_1")["result"] == "not found"
    assert httpx.get(result["secure_url"]).status_code == 404
    assert httpx.get(derived_url).status_code == 404


def test_admin_resource_reports_the_asset_and_its_derivatives(sdk: LiveEmulator) -> None:
    uploaded = cloudinary.uploader.upload(jpeg(640, 480), public_id="admin_1", folder="avatars", eager=AVATAR_EAGER)

    resource = cloudinary.api.resource("avatars/admin_1")

    assert resource["asset_id"] == uploaded["asset_id"]
    assert (resource["version"], resource["width"], resource["height"], resource["bytes"]) == (
        uploaded["version"],
        640,
        480,
        uploaded["bytes"],
    )
    assert sorted(d["transformation"] for d in resource["derived"]) == [
        "c_fill,h_64,w_64",
        "c_thumb,g_face,h_200,w_200",
    ]


def test_admin_resource_not_found(sdk: LiveEmulator) -> None:
    with pytest.raises(cloudinary.exceptions.NotFound, match="Resource not found - avatars/nobody"):
        cloudinary.api.resource("avatars/nobody")


def test_admin_resources_by_prefix_pages_with_next_cursor(sdk: LiveEmulator) -> None:
    for index in range(3):
        cloudinary.uploader.upload(jpeg(50, 50), public_id=f"orphans/o{index}")
    cloudinary.uploader.upload(jpeg(50, 50), public_id="other/o9")

    first = cloudinary.api.resources(type="upload", prefix="orphans/", max_results=2)
    second = cloudinary.api.resources(type="upload", prefix="orphans/", max_results=2, next_cursor=first["next_cursor"])

    assert [r["public_id"] for r in first["resources"]] == ["orphans/o0", "orphans/o1"]
    assert [r["public_id"] for r in second["resources"]] == ["orphans/o2"]
    assert "next_cursor" not in second


def test_admin_api_refuses_a_wrong_secret(sdk: LiveEmulator) -> None:
    with pytest.raises(cloudinary.exceptions.AuthorizationRequired, match="api_secret mismatch"):
        cloudinary.api.resource("anything", api_secret="wrong-secret")


def test_sdk_delivery_url_path_is_served(sdk: LiveEmulator) -> None:
    uploaded = cloudinary.uploader.upload(jpeg(1000, 800), public_id="delivered_1", folder="avatars")
    sdk_url, _ = cloudinary.utils.cloudinary_url(
        "avatars/delivered_1",
        version=uploaded["version"],
        format="jpg",
        transformation=[
            {"crop": "thumb", "gravity": "face", "width": 200, "height": 200, "radius": "max"},
            {"fetch_format": "auto", "quality": "auto"},
        ],
        secure=True,
    )
    path = sdk_url.split("res.cloudinary.com", 1)[1]

    response = httpx.get(sdk.base_url + path, headers={"Accept": "image/webp,image/*"})

    transformation = "c_thumb,g_face,h_200,r_max,w_200/f_auto,q_auto"
    assert path == f"/{CLOUD_NAME}/image/upload/{transformation}/v{uploaded['version']}/avatars/delivered_1.jpg"
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(response.content)).size == (200, 200)


def test_signed_delivery_url_from_the_sdk_is_accepted_and_a_forged_one_refused(sdk: LiveEmulator) -> None:
    cloudinary.uploader.upload(jpeg(400, 300), public_id="signed_url_1")
    sdk_url, _ = cloudinary.utils.cloudinary_url("signed_url_1", format="jpg", sign_url=True, width=100, crop="scale")
    path = sdk_url.split("res.cloudinary.com", 1)[1]
    forged = re.sub(r"s--[^/]+--", "s--AAAAAAAA--", path)

    assert httpx.get(sdk.base_url + path).status_code == 200
    assert httpx.get(sdk.base_url + forged).status_code == 401


def test_sdk_moderation_flow_upload_queue_update_and_notification(sdk: LiveEmulator, receiver: Receiver) -> None:
    uploaded = cloudinary.uploader.upload(
        jpeg(200, 200), public_id="moderated_1", moderation="manual", notification_url=receiver.url + "/moderation"
    )
    queued = cloudinary.api.resources_by_moderation("manual", "pending", max_results=500)

    # api.update sends JSON (cloudinary 1.46's call_json_api); the emulator takes that and form fields alike.
    updated = cloudinary.api.update("moderated_1", moderation_status="approved")
    [request] = wait_until(
        lambda: [r for r in receiver.received if r.json()["notification_type"] == "moderation"], timeout=10
    )
    approved = cloudinary.api.resources_by_moderation("manual", "approved", max_results=500, moderations=True)

    assert uploaded["moderation"] == [{"kind": "manual", "status": "pending"}]
    assert "moderated_1" in [r["public_id"] for r in queued["resources"]]
    assert updated["moderation_status"] == "approved"
    assert updated["moderation"][0]["status"] == "approved"
    assert cloudinary.utils.verify_notification_signature(
        request.body.decode(), request.headers["x-cld-timestamp"], request.headers["x-cld-signature"]
    )
    assert (request.json()["public_id"], request.json()["moderation_status"]) == ("moderated_1", "approved")
    [listed] = [r for r in approved["resources"] if r["public_id"] == "moderated_1"]
    assert listed["moderation_status"] == "approved"


def test_sdk_sees_cloudinarys_moderation_refusals(sdk: LiveEmulator) -> None:
    cloudinary.uploader.upload(jpeg(50, 50), public_id="moderated_2", moderation="manual")

    with pytest.raises(cloudinary.exceptions.Error, match="Moderation kind not supported"):
        cloudinary.uploader.upload(jpeg(50, 50), public_id="moderated_3", moderation="aws_rek")
    with pytest.raises(cloudinary.exceptions.BadRequest, match="Illegal moderation status: pending"):
        cloudinary.api.update("moderated_2", moderation_status="pending")
    with pytest.raises(cloudinary.exceptions.NotFound, match="Resource not found - moderated_3"):
        cloudinary.api.update("moderated_3", moderation_status="approved")


def test_upload_large_assembles_every_chunk(sdk: LiveEmulator, tmp_path: Path) -> None:
    data = jpeg(800, 600, quality=95)
    path = tmp_path / "large.jpg"
    path.write_bytes(data)

    result = cloudinary.uploader.upload_large(
        str(path), resource_type="image", chunk_size=len(data) // 5 + 1, public_id="large/photo", tags=["big"]
    )

    assert result["done"] is True
    assert (result["public_id"], result["bytes"], result["width"], result["height"]) == (
        "large/photo",
        len(data),
        800,
        600,
    )
    assert result["tags"] == ["big"]
    assert httpx.get(result["secure_url"]).content == data
    assert cloudinary.utils.verify_api_response_signature(result["public_id"], result["version"], result["signature"])


def test_upload_large_without_a_public_id(sdk: LiveEmulator, tmp_path: Path) -> None:
    data = jpeg(400, 300, quality=95)
    path = tmp_path / "anon.jpg"
    path.write_bytes(data)

    result = cloudinary.uploader.upload_large(str(path), resource_type="image", chunk_size=len(data) // 3 + 1)

    assert re.fullmatch(r"[a-z0-9]{20}", result["public_id"])
    assert httpx.get(result["secure_url"]).content == data


def test_unsupported_upload_parameter_is_refused_to_the_sdk(sdk: LiveEmulator) -> None:
    with pytest.raises(cloudinary.exceptions.BadRequest, match="background_removal is not supported by the emulator"):
        cloudinary.uploader.upload(jpeg(10, 10), background_removal="cloudinary_ai")
