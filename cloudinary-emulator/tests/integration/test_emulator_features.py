"""Delivery, metadata stripping, HEIC, CORS, persistence and fault injection through the HTTP API."""

import io
import time
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from PIL import Image

from cloudinary_emulator.app import create_app
from tests.conftest import Receiver, make_settings
from tests.conftest_values import CLOUD_NAME
from tests.helpers import jpeg, signed, wait_until

UPLOAD = f"/v1_1/{CLOUD_NAME}/image/upload"
DESTROY = f"/v1_1/{CLOUD_NAME}/image/destroy"


def upload(client: TestClient, params: dict[str, Any], data: bytes, name: str = "photo.jpg") -> Any:  # type: ignore[type-arg]
    return client.post(UPLOAD, data=signed(params), files={"file": (name, data, "application/octet-stream")})


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_twelve_megapixel_phone_photo_is_oriented_and_stripped_on_delivery(client: TestClient) -> None:  # type: ignore[type-arg]
    photo = jpeg(4000, 3000, orientation=6, gps=True)

    body = upload(client, {"public_id": "phone", "eager": "c_thumb,g_face,h_256,w_256"}, photo).json()
    derived = client.get(path_of(body["eager"][0]["secure_url"]))
    original = client.get(path_of(body["secure_url"]))

    assert (body["width"], body["height"]) == (3000, 4000)  # as displayed
    assert Image.open(io.BytesIO(derived.content)).size == (256, 256)
    assert len(Image.open(io.BytesIO(derived.content)).getexif()) == 0
    assert original.content == photo  # the original is delivered as stored, metadata and all


def test_incoming_transformation_with_force_strip_removes_metadata_from_the_stored_original(client: TestClient) -> None:  # type: ignore[type-arg]
    photo = jpeg(2000, 1000, orientation=6, gps=True)

    body = upload(
        client, {"public_id": "stripped", "transformation": "c_limit,h_1024,w_1024/fl_force_strip"}, photo
    ).json()
    stored = Image.open(io.BytesIO(client.get(path_of(body["secure_url"])).content))

    assert (body["width"], body["height"]) == (512, 1024)
    assert stored.size == (512, 1024)
    assert len(stored.getexif()) == 0
    assert not {"exif", "xmp", "icc_profile"} & set(stored.info)


def test_incoming_transformation_without_force_strip_keeps_gps(client: TestClient) -> None:  # type: ignore[type-arg]
    body = upload(
        client, {"public_id": "kept_gps", "transformation": "c_limit,w_500"}, jpeg(1000, 500, gps=True)
    ).json()

    stored = Image.open(io.BytesIO(client.get(path_of(body["secure_url"])).content))

    assert stored.size == (500, 250)
    assert 0x8825 in stored.getexif()


def test_heic_upload_is_delivered_as_jpeg_and_webp(client: TestClient) -> None:  # type: ignore[type-arg]
    buffer = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").resize((400, 300)).save(buffer, "HEIF", quality=50)

    body = upload(
        client, {"public_id": "iphone", "eager": "c_fill,h_100,w_100"}, buffer.getvalue(), "IMG_0001.HEIC"
    ).json()
    webp = client.get(f"/{CLOUD_NAME}/image/upload/c_fill,h_50,w_50/iphone.webp")

    assert body["format"] == "heic"
    assert (body["eager"][0]["format"], body["eager"][0]["width"]) == ("jpg", 100)
    assert webp.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(webp.content)).size == (50, 50)


def test_delivery_caches_derivatives_and_answers_conditional_requests(client: TestClient) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "cached"}, jpeg(300, 300))
    url = f"/{CLOUD_NAME}/image/upload/w_100,c_fill,h_100/v1/cached.png"

    first = client.get(url)
    second = client.get(f"/{CLOUD_NAME}/image/upload/c_fill,h_100,w_100/cached.png")
    not_modified = client.get(url, headers={"If-None-Match": first.headers["etag"]})

    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert "max-age" in first.headers["cache-control"]
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert not_modified.status_code == 304


def test_delivery_of_unknown_asset_is_404_with_x_cld_error(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get(f"/{CLOUD_NAME}/image/upload/c_fill,w_10/avatars/missing.jpg")

    assert response.status_code == 404
    assert response.headers["x-cld-error"] == "Resource not found - avatars/missing"


def test_delivery_with_bad_transformation_is_400_with_x_cld_error(client: TestClient) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "bad_t"}, jpeg(30, 30))

    response = client.get(f"/{CLOUD_NAME}/image/upload/c_fill,w_abc/bad_t.jpg")

    assert response.status_code == 400
    assert response.headers["x-cld-error"] == "Invalid width in transformation: abc"


def test_cors_preflight_echoes_origin_and_never_allows_authorization(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.options(
        UPLOAD,
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-unique-upload-id, authorization, content-range",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "x-unique-upload-id, content-range"


def test_cross_origin_upload_and_error_responses_carry_cors_headers(client: TestClient) -> None:  # type: ignore[type-arg]
    ok = client.post(
        UPLOAD, data=signed({}), files={"file": ("a.jpg", jpeg(5, 5))}, headers={"Origin": "http://a.test"}
    )
    error = client.post(UPLOAD, data={}, headers={"Origin": "http://a.test"})

    assert ok.headers["access-control-allow-origin"] == "http://a.test"
    assert error.headers["access-control-allow-origin"] == "http://a.test"
    assert "X-Cld-Error" in error.headers["access-control-expose-headers"]


def test_storage_survives_an_app_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        body = upload(client, {"public_id": "durable", "eager": "c_fill,h_10,w_10"}, jpeg(50, 50)).json()

    with TestClient(create_app(settings)) as client:
        original = client.get(path_of(body["secure_url"]))
        derived = client.get(path_of(body["eager"][0]["secure_url"]))

    assert original.status_code == 200 and derived.status_code == 200
    assert Image.open(io.BytesIO(derived.content)).size == (10, 10)


def test_fault_next_uploads_fail_then_recover(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.put("/_emulator/faults", json={"upload_failures": 2, "failure_status": 503}).status_code == 200

    statuses = [upload(client, {}, jpeg(5, 5)).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert client.get("/_emulator/faults").json()["upload_failures"] == 0


def test_fault_destroy_failures_count_and_percentage(client: TestClient) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "d1"}, jpeg(5, 5))
    client.put("/_emulator/faults", json={"destroy_failures": 1})

    first = client.post(DESTROY, data=signed({"public_id": "d1"}))
    second = client.post(DESTROY, data=signed({"public_id": "d1"}))
    client.put("/_emulator/faults", json={"destroy_failure_percent": 100})
    third = client.post(DESTROY, data=signed({"public_id": "d1"}))

    assert (first.status_code, second.json(), third.status_code) == (500, {"result": "ok"}, 500)


def test_fault_slow_responses(client: TestClient) -> None:  # type: ignore[type-arg]
    client.put("/_emulator/faults", json={"response_delay_ms": 300})

    started = time.monotonic()
    upload(client, {}, jpeg(5, 5))

    assert time.monotonic() - started >= 0.3


def test_fault_switches_are_validated_and_reset(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.put("/_emulator/faults", json={"no_such_switch": 1}).status_code == 400
    client.put("/_emulator/faults", json={"upload_failures": 5})

    assert client.delete("/_emulator/faults").status_code == 204
    assert client.get("/_emulator/faults").json()["upload_failures"] == 0


def test_faults_from_the_environment_are_the_defaults(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, faults={"upload_failures": 1}))) as client:
        assert upload(client, {}, jpeg(5, 5)).status_code == 500
        assert upload(client, {}, jpeg(5, 5)).status_code == 200


def notifications(client: TestClient) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    result: list[dict[str, Any]] = client.get("/_emulator/notifications").json()
    return result


def test_fault_drop_and_duplicate_notifications(client: TestClient, receiver: Receiver) -> None:  # type: ignore[type-arg]
    client.put("/_emulator/faults", json={"notification_drop": 1, "notification_duplicate": 1})

    upload(client, {"public_id": "n1", "notification_url": receiver.url}, jpeg(5, 5))
    upload(client, {"public_id": "n2", "notification_url": receiver.url}, jpeg(5, 5))

    wait_until(lambda: len(receiver.received) == 2)
    assert [r.json()["public_id"] for r in receiver.received] == ["n2", "n2"]
    assert notifications(client)[0]["status"] == "dropped"


def test_fault_failing_notifications_run_the_whole_schedule(tmp_path: Path, receiver: Receiver) -> None:
    # Cloudinary's 180/360/540 s waits at 1/100: the log shows attempts at about 0, 1.8, 5.4 and 10.8 s.
    with TestClient(create_app(make_settings(tmp_path, notification_time_scale=0.01))) as client:
        client.put("/_emulator/faults", json={"notification_failures": 1})
        upload(client, {"public_id": "f1", "notification_url": receiver.url}, jpeg(5, 5))
        upload(client, {"public_id": "f2", "notification_url": receiver.url}, jpeg(5, 5))

        failed = wait_until(lambda: [n for n in notifications(client) if n["status"] == "failed"], timeout=20)

        assert [n["public_id"] for n in failed] == ["f1"]
        offsets = [a["offset_s"] for a in failed[0]["attempts"]]
        assert len(offsets) == 4
        for offset, expected in zip(offsets, [0.0, 1.8, 5.4, 10.8], strict=True):
            assert expected <= offset < expected + 0.5
        assert all("notification_failures" in a["error"] for a in failed[0]["attempts"])
        # The fault was used up by f1: f2 was delivered at once, and only f2 ever reached the receiver.
        assert [r.json()["public_id"] for r in receiver.received] == ["f2"]
        assert client.get("/_emulator/faults").json()["notification_failures"] == 0


def test_fault_reorder_notifications(client: TestClient, receiver: Receiver) -> None:  # type: ignore[type-arg]
    client.put("/_emulator/faults", json={"notification_reorder": True})

    upload(client, {"public_id": "r1", "notification_url": receiver.url}, jpeg(5, 5))
    upload(client, {"public_id": "r2", "notification_url": receiver.url}, jpeg(5, 5))

    wait_until(lambda: len(receiver.received) == 2)
    assert [r.json()["public_id"] for r in receiver.received] == ["r2", "r1"]


def test_fault_delayed_notification_still_arrives(client: TestClient, receiver: Receiver) -> None:  # type: ignore[type-arg]
    # Long enough that even a slow machine checks "nothing yet" well before the delay ends.
    client.put("/_emulator/faults", json={"notification_delay_ms": 1500})

    upload(client, {"public_id": "late", "notification_url": receiver.url}, jpeg(5, 5))

    assert receiver.received == []  # not before the delay
    wait_until(lambda: receiver.received)
    # The receiver has it before the emulator has read the answer and logged the delivery.
    wait_until(lambda: notifications(client)[0]["status"] == "delivered")


def test_fault_notification_percentages(client: TestClient, receiver: Receiver) -> None:  # type: ignore[type-arg]
    client.put("/_emulator/faults", json={"notification_drop_percent": 100})
    upload(client, {"public_id": "p1", "notification_url": receiver.url}, jpeg(5, 5))
    client.put("/_emulator/faults", json={"notification_drop_percent": 0, "notification_duplicate_percent": 100})
    upload(client, {"public_id": "p2", "notification_url": receiver.url}, jpeg(5, 5))
    client.put("/_emulator/faults", json={"notification_duplicate_percent": 0, "notification_reorder_percent": 100})
    upload(client, {"public_id": "p3", "notification_url": receiver.url}, jpeg(5, 5))
    client.put("/_emulator/faults", json={"notification_reorder_percent": 0})
    upload(client, {"public_id": "p4", "notification_url": receiver.url}, jpeg(5, 5))

    wait_until(lambda: len(receiver.received) == 4)
    # p1 dropped; p2 twice; p3 held back until p4 (drawn "no reorder") has gone out.
    assert [r.json()["public_id"] for r in receiver.received] == ["p2", "p2", "p4", "p3"]
    log = notifications(client)
    assert [(n["public_id"], n["status"] == "dropped", n["duplicate"]) for n in log][:3] == [
        ("p1", True, False),
        ("p2", False, False),
        ("p2", False, True),
    ]


def test_fault_notification_percentages_are_validated(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.put("/_emulator/faults", json={"notification_drop_percent": 101}).status_code == 400
    assert client.put("/_emulator/faults", json={"notification_reorder_percent": -1}).status_code == 400


def test_custom_coordinates_are_stored_at_upload_and_drive_g_custom(client: TestClient) -> None:  # type: ignore[type-arg]
    picture = Image.new("RGB", (800, 600), (200, 200, 200))
    picture.paste((255, 0, 0), (50, 450, 150, 550))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")

    params = {"public_id": "custom", "custom_coordinates": "50,450,100,100"}
    body = upload(client, params, buffer.getvalue(), "c.png").json()
    url = body["secure_url"].replace("/image/upload/", "/image/upload/c_thumb,g_custom,h_64,w_64/")
    thumbnail = Image.open(io.BytesIO(client.get(path_of(url)).content)).convert("RGB")

    assert thumbnail.size == (64, 64)
    assert thumbnail.getpixel((32, 32)) == (255, 0, 0)  # centred on the stored box, not the image centre


def test_malformed_custom_coordinates_are_a_400(client: TestClient) -> None:  # type: ignore[type-arg]
    response = upload(client, {"public_id": "bad", "custom_coordinates": "1,2,3"}, jpeg(100, 100))

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid custom_coordinates - 1,2,3"
