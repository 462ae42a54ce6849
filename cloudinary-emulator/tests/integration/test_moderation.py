"""Manual moderation over HTTP: the upload parameter, the queues, decisions by Admin API update, notifications."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.utils
import pytest
from litestar.testing import TestClient

from cloudinary_emulator.app import create_app
from tests.conftest import PRESETS, Received, Receiver, make_settings
from tests.conftest_values import API_KEY, API_SECRET, CLOUD_NAME
from tests.helpers import jpeg, signed, wait_until

UPLOAD = f"/v1_1/{CLOUD_NAME}/image/upload"
DESTROY = f"/v1_1/{CLOUD_NAME}/image/destroy"
RESOURCES = f"/v1_1/{CLOUD_NAME}/resources/image"
QUEUE = f"{RESOURCES}/moderations/manual"
ADMIN = (API_KEY, API_SECRET)


def upload(client: TestClient, params: dict[str, Any]) -> Any:  # type: ignore[type-arg]
    return client.post(UPLOAD, data=signed(params), files={"file": ("photo.jpg", jpeg(40, 30), "image/jpeg")})


def decide(client: TestClient, public_id: str, status: str, **extra: str) -> Any:  # type: ignore[type-arg]
    """A decision as form fields (what older SDKs and Node send)."""
    return client.post(f"{RESOURCES}/upload/{public_id}", data={"moderation_status": status, **extra}, auth=ADMIN)


def queue(client: TestClient, status: str, **query: str) -> Any:  # type: ignore[type-arg]
    return client.get(f"{QUEUE}/{status}", params=query, auth=ADMIN)


def moderation_notifications(receiver: Receiver) -> list[Received]:
    return [r for r in receiver.received if r.json()["notification_type"] == "moderation"]


def notification_log(client: TestClient) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    log: list[dict[str, Any]] = client.get("/_emulator/notifications").json()
    return [entry for entry in log if entry["notification_type"] == "moderation"]


def settled_log(client: TestClient) -> list[dict[str, Any]] | None:  # type: ignore[type-arg]
    """The moderation log once no entry is pending any more (a status is set after the receiver answered)."""
    log = notification_log(client)
    return log if log and all(entry["status"] != "pending" for entry in log) else None


@pytest.fixture
def sdk_secret() -> Iterator[None]:
    """The SDK's notification check reads the secret from its configuration."""
    cloudinary.reset_config()
    cloudinary.config(cloud_name=CLOUD_NAME, api_key=API_KEY, api_secret=API_SECRET)
    yield
    cloudinary.reset_config()


def test_manual_moderation_upload_is_pending_and_still_delivered(client: TestClient) -> None:  # type: ignore[type-arg]
    response = upload(client, {"public_id": "mod/pending", "moderation": "manual"})
    body = response.json()

    assert response.status_code == 200
    assert body["moderation"] == [{"kind": "manual", "status": "pending"}]
    assert "moderation_status" not in body  # the upload response carries only the array
    # A pending asset is deliverable by default: the application has to gate it.
    assert client.get("/" + body["secure_url"].split("/", 3)[3]).status_code == 200


def test_an_upload_without_moderation_has_no_moderation_fields(client: TestClient) -> None:  # type: ignore[type-arg]
    body = upload(client, {"public_id": "mod/plain"}).json()
    resource = client.get(f"{RESOURCES}/upload/mod/plain", auth=ADMIN).json()

    assert "moderation" not in body
    assert "moderation" not in resource and "moderation_status" not in resource


def test_the_moderation_parameter_is_covered_by_the_signature(client: TestClient) -> None:  # type: ignore[type-arg]
    fields = signed({"public_id": "mod/forged"})
    fields["moderation"] = "manual"  # added after signing

    response = client.post(UPLOAD, data=fields, files={"file": ("a.jpg", jpeg(5, 5))})

    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("Invalid Signature")


@pytest.mark.parametrize(
    "value",
    ["aws_rek", "webpurify", "perception_point", "duplicate:0.5", "google_video_moderation:possible", "aws_rek|manual"],
)
def test_ai_moderators_are_refused_like_an_account_without_the_add_on(client: TestClient, value: str) -> None:  # type: ignore[type-arg]
    response = upload(client, {"public_id": "mod/ai", "moderation": value})

    assert response.status_code == 400
    assert response.json() == {"error": {"message": "Moderation kind not supported"}}
    assert response.headers["x-cld-error"] == "Moderation kind not supported"
    assert client.get(f"{RESOURCES}/upload/mod/ai", auth=ADMIN).status_code == 404  # nothing stored


@pytest.mark.parametrize(
    "value", ["nudity", "Manual", "manual|aws_rek", "manual|manual", "|manual", "duplicate:2", "duplicate", "manual:x"]
)
def test_malformed_moderation_values_are_refused(client: TestClient, value: str) -> None:  # type: ignore[type-arg]
    response = upload(client, {"public_id": "mod/bad", "moderation": value})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == f"Moderation {value} moderation is not valid"


def test_unsigned_uploads_take_moderation_only_from_their_preset(tmp_path: Path) -> None:
    presets = PRESETS | {"moderated": {"unsigned": True, "folder": "ugc", "moderation": "manual"}}
    with TestClient(create_app(make_settings(tmp_path, upload_presets=presets))) as client:
        from_preset = client.post(UPLOAD, data={"upload_preset": "moderated"}, files={"file": ("a.jpg", jpeg(5, 5))})
        from_browser = client.post(
            UPLOAD,
            data={"upload_preset": "avatars_unsigned", "moderation": "manual"},
            files={"file": ("a.jpg", jpeg(5, 5))},
        )

    assert from_preset.json()["moderation"] == [{"kind": "manual", "status": "pending"}]
    assert from_browser.status_code == 400
    assert from_browser.json()["error"]["message"].startswith("moderation parameter is not allowed")


def test_the_admin_resource_shows_the_array_and_the_flat_status(client: TestClient) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "mod/resource", "moderation": "manual"})

    resource = client.get(f"{RESOURCES}/upload/mod/resource", auth=ADMIN).json()

    assert resource["moderation"] == [{"kind": "manual", "status": "pending"}]
    assert resource["moderation_status"] == "pending"


def test_the_queue_pages_with_next_cursor_and_follows_decisions(client: TestClient) -> None:  # type: ignore[type-arg]
    for name in ("q1", "q2", "q3"):
        upload(client, {"public_id": f"queue/{name}", "moderation": "manual"})
    upload(client, {"public_id": "queue/unmoderated"})

    first = queue(client, "pending", max_results="2").json()
    second = queue(client, "pending", max_results="2", next_cursor=first["next_cursor"]).json()
    decide(client, "queue/q2", "approved")
    decide(client, "queue/q3", "rejected")

    assert [r["public_id"] for r in first["resources"]] == ["queue/q1", "queue/q2"]
    assert [r["public_id"] for r in second["resources"]] == ["queue/q3"]
    assert "next_cursor" not in second
    assert [r["public_id"] for r in queue(client, "pending").json()["resources"]] == ["queue/q1"]
    assert [r["public_id"] for r in queue(client, "approved").json()["resources"]] == ["queue/q2"]
    assert [r["public_id"] for r in queue(client, "rejected").json()["resources"]] == ["queue/q3"]


def test_listings_show_moderation_only_when_asked(client: TestClient) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "listed/m", "moderation": "manual"})

    plain = queue(client, "pending").json()["resources"][0]
    asked = queue(client, "pending", moderations="true").json()["resources"][0]
    by_prefix = client.get(f"{RESOURCES}/upload", params={"prefix": "listed/", "moderations": "1"}, auth=ADMIN).json()

    assert "moderation" not in plain and "moderation_status" not in plain
    assert asked["moderation"] == [{"kind": "manual", "status": "pending"}]
    assert asked["moderation_status"] == "pending"
    assert by_prefix["resources"][0]["moderation_status"] == "pending"


def test_queue_listing_refusals(client: TestClient) -> None:  # type: ignore[type-arg]
    unknown_kind = client.get(f"{RESOURCES}/moderations/nudity/pending", auth=ADMIN)
    unknown_status = queue(client, "waiting")
    bad_max = queue(client, "pending", max_results="0")
    add_on = client.get(f"{RESOURCES}/moderations/aws_rek/pending", auth=ADMIN)
    anonymous = client.get(f"{QUEUE}/pending")

    assert (unknown_kind.status_code, unknown_kind.json()["error"]["message"]) == (
        400,
        "Illegal moderation kind: nudity",
    )
    assert (unknown_status.status_code, unknown_status.json()["error"]["message"]) == (
        400,
        "Illegal moderation status: waiting",
    )
    assert bad_max.status_code == 400
    assert (add_on.status_code, add_on.json()) == (200, {"resources": []})  # a known kind nothing went through
    assert (anonymous.status_code, anonymous.json()["error"]["message"]) == (401, "Must supply api_key")


def test_a_form_encoded_decision_answers_the_updated_resource(client: TestClient) -> None:  # type: ignore[type-arg]
    uploaded = upload(client, {"public_id": "mod/form", "moderation": "manual", "eager": "c_fill,h_10,w_10"}).json()

    response = decide(client, "mod/form", "approved")
    body = response.json()

    assert response.status_code == 200
    assert body["moderation_status"] == "approved"
    [entry] = body["moderation"]
    assert (entry["kind"], entry["status"]) == ("manual", "approved")
    assert entry["updated_at"].endswith("Z")
    assert (body["public_id"], body["version"], body["secure_url"]) == (
        "mod/form",
        uploaded["version"],  # a decision is not a new version: URLs stay the same
        uploaded["secure_url"],
    )
    assert [d["transformation"] for d in body["derived"]] == ["c_fill,h_10,w_10"]
    assert response.headers["x-featureratelimit-limit"] == "500"


def test_a_json_decision_is_accepted_as_the_python_sdk_sends_it(client: TestClient) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "mod/json", "moderation": "manual"})

    response = client.post(f"{RESOURCES}/upload/mod/json", json={"moderation_status": "rejected"}, auth=ADMIN)

    assert response.status_code == 200
    assert response.json()["moderation"][0]["status"] == "rejected"


def test_a_decision_can_be_reversed_and_repeated(client: TestClient, receiver: Receiver) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "mod/again", "moderation": "manual", "notification_url": receiver.url})

    statuses = [decide(client, "mod/again", status).json()["moderation_status"] for status in ("approved", "approved")]
    reversed_ = decide(client, "mod/again", "rejected").json()

    assert statuses == ["approved", "approved"]
    assert reversed_["moderation_status"] == "rejected"
    wait_until(lambda: len(moderation_notifications(receiver)) == 3)  # every decision is notified
    assert [r.json()["moderation_status"] for r in moderation_notifications(receiver)] == [
        "approved",
        "approved",
        "rejected",
    ]


def test_update_refusals(client: TestClient) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "mod/refusals", "moderation": "manual"})
    upload(client, {"public_id": "mod/unmoderated"})

    pending = decide(client, "mod/refusals", "pending")
    unmoderated = decide(client, "mod/unmoderated", "approved")
    missing = decide(client, "mod/nobody", "approved")
    tags = client.post(f"{RESOURCES}/upload/mod/refusals", data={"tags": "a,b"}, auth=ADMIN)
    broken_json = client.post(
        f"{RESOURCES}/upload/mod/refusals",
        content=b"{not json",
        headers={"content-type": "application/json"},
        auth=ADMIN,
    )
    anonymous = client.post(f"{RESOURCES}/upload/mod/refusals", data={"moderation_status": "approved"})
    wrong_secret = client.post(
        f"{RESOURCES}/upload/mod/refusals", data={"moderation_status": "approved"}, auth=(API_KEY, "wrong")
    )

    def answer(response: Any) -> tuple[int, str]:
        return response.status_code, response.json()["error"]["message"]

    assert answer(pending) == (400, "Illegal moderation status: pending")
    assert answer(unmoderated) == (400, "Resource is not in the manual moderation queue - mod/unmoderated")
    assert answer(missing) == (404, "Resource not found - mod/nobody")
    assert answer(tags)[0] == 400
    assert answer(broken_json)[0] == 400
    assert answer(anonymous) == (401, "Must supply api_key")
    assert answer(wrong_secret) == (401, "api_secret mismatch")
    # None of them changed anything.
    assert client.get(f"{RESOURCES}/upload/mod/refusals", auth=ADMIN).json()["moderation_status"] == "pending"


def test_an_update_without_a_decision_answers_the_resource_and_notifies_nothing(
    client: TestClient,  # type: ignore[type-arg]
    receiver: Receiver,
) -> None:
    upload(client, {"public_id": "mod/nothing", "moderation": "manual", "notification_url": receiver.url})
    wait_until(lambda: receiver.received)  # the upload notification

    response = client.post(f"{RESOURCES}/upload/mod/nothing", data={"invalidate": "true"}, auth=ADMIN)

    assert response.json()["moderation_status"] == "pending"
    assert notification_log(client) == []


def test_the_decision_is_notified_signed_to_the_uploads_notification_url(
    client: TestClient,  # type: ignore[type-arg]
    receiver: Receiver,
    sdk_secret: None,
) -> None:
    uploaded = upload(
        client, {"public_id": "mod/notified", "moderation": "manual", "notification_url": receiver.url + "/hook"}
    ).json()
    [upload_notification] = wait_until(lambda: receiver.received)
    decided = decide(client, "mod/notified", "approved").json()

    [request] = wait_until(lambda: moderation_notifications(receiver))

    assert upload_notification.json()["moderation"] == [{"kind": "manual", "status": "pending"}]
    assert request.path == "/hook"
    assert cloudinary.utils.verify_notification_signature(
        request.body.decode(), request.headers["x-cld-timestamp"], request.headers["x-cld-signature"]
    )
    payload = request.json()
    assert {key: payload[key] for key in ("notification_type", "moderation_status", "moderation_kind")} == {
        "notification_type": "moderation",
        "moderation_status": "approved",
        "moderation_kind": "manual",
    }
    assert payload["moderation_updated_at"] == decided["moderation"][0]["updated_at"]
    assert (payload["public_id"], payload["asset_id"], payload["version"]) == (
        "mod/notified",
        uploaded["asset_id"],
        uploaded["version"],
    )
    assert payload["secure_url"] == payload["url"] == uploaded["secure_url"]
    assert (payload["resource_type"], payload["type"], payload["uploaded_at"]) == (
        "image",
        "upload",
        uploaded["created_at"],
    )
    assert payload["signature_key"] == API_KEY
    assert payload["notification_context"]["triggered_by"] == {"source": "api", "id": API_KEY}
    # The test hook log shows the same signed bytes (marked delivered once the receiver's answer is read).
    [logged] = wait_until(lambda: [n for n in notification_log(client) if n["status"] == "delivered"])
    assert (logged["body"], logged["public_id"]) == (request.body.decode(), "mod/notified")


def test_a_tampered_moderation_notification_fails_the_sdk_check(
    client: TestClient,  # type: ignore[type-arg]
    receiver: Receiver,
    sdk_secret: None,
) -> None:
    upload(client, {"public_id": "mod/tamper", "moderation": "manual", "notification_url": receiver.url})
    decide(client, "mod/tamper", "rejected")
    [request] = wait_until(lambda: moderation_notifications(receiver))

    tampered = request.body.decode().replace('"rejected"', '"approved"')

    assert not cloudinary.utils.verify_notification_signature(
        tampered, request.headers["x-cld-timestamp"], request.headers["x-cld-signature"]
    )


def test_the_updates_notification_url_replaces_the_uploads_and_the_global_url_hears_it(tmp_path: Path) -> None:
    upload_receiver, update_receiver, global_receiver = Receiver(), Receiver(), Receiver()
    try:
        settings = make_settings(tmp_path, notification_url=global_receiver.url)
        with TestClient(create_app(settings)) as client:
            upload(client, {"public_id": "mod/urls", "moderation": "manual", "notification_url": upload_receiver.url})
            decide(client, "mod/urls", "approved", notification_url=update_receiver.url)

            wait_until(lambda: moderation_notifications(update_receiver) and moderation_notifications(global_receiver))
            assert len(notification_log(client)) == 2
        assert moderation_notifications(upload_receiver) == []
    finally:
        for receiver in (upload_receiver, update_receiver, global_receiver):
            receiver.close()


def test_faults_drop_and_duplicate_moderation_notifications(client: TestClient, receiver: Receiver) -> None:  # type: ignore[type-arg]
    for name in ("f1", "f2"):
        upload(client, {"public_id": f"mod/{name}", "moderation": "manual", "notification_url": receiver.url})
    wait_until(lambda: len(receiver.received) == 2)  # the upload notifications, before the faults are set
    client.put("/_emulator/faults", json={"notification_drop": 1, "notification_duplicate": 1})

    decide(client, "mod/f1", "approved")
    decide(client, "mod/f2", "rejected")

    wait_until(lambda: len(moderation_notifications(receiver)) == 2)
    assert [r.json()["public_id"] for r in moderation_notifications(receiver)] == ["mod/f2", "mod/f2"]
    log = wait_until(lambda: settled_log(client))
    assert [(n["public_id"], n["status"], n["duplicate"]) for n in log] == [
        ("mod/f1", "dropped", False),
        ("mod/f2", "delivered", False),
        ("mod/f2", "delivered", True),
    ]


def test_faults_reorder_moderation_notifications(client: TestClient, receiver: Receiver) -> None:  # type: ignore[type-arg]
    for name in ("r1", "r2"):
        upload(client, {"public_id": f"mod/{name}", "moderation": "manual", "notification_url": receiver.url})
    wait_until(lambda: len(receiver.received) == 2)
    client.put("/_emulator/faults", json={"notification_reorder": True})

    decide(client, "mod/r1", "approved")
    client.put("/_emulator/faults", json={"notification_reorder": False})
    decide(client, "mod/r2", "approved")

    wait_until(lambda: len(moderation_notifications(receiver)) == 2)
    assert [r.json()["public_id"] for r in moderation_notifications(receiver)] == ["mod/r2", "mod/r1"]


def test_a_failing_receiver_gets_the_moderation_notification_retried(client: TestClient, receiver: Receiver) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "mod/retry", "moderation": "manual", "notification_url": receiver.url})
    wait_until(lambda: receiver.received)
    receiver.statuses = [503]

    decide(client, "mod/retry", "approved")

    [logged] = wait_until(lambda: [n for n in notification_log(client) if n["status"] == "delivered"])
    assert [a["status_code"] for a in logged["attempts"]] == [503, 200]
    assert len({r.body for r in moderation_notifications(receiver)}) == 1  # the same signed body both times


def test_overwriting_without_moderation_and_destroying_leave_the_queue(client: TestClient) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "mod/replaced", "moderation": "manual"})
    upload(client, {"public_id": "mod/destroyed", "moderation": "manual"})
    upload(client, {"public_id": "mod/remoderated", "moderation": "manual"})
    decide(client, "mod/remoderated", "approved")

    replaced = upload(client, {"public_id": "mod/replaced"}).json()
    client.post(DESTROY, data=signed({"public_id": "mod/destroyed"}))
    remoderated = upload(client, {"public_id": "mod/remoderated", "moderation": "manual"}).json()

    assert "moderation" not in replaced
    assert remoderated["moderation"] == [{"kind": "manual", "status": "pending"}]  # a new version starts again
    assert [r["public_id"] for r in queue(client, "pending").json()["resources"]] == ["mod/remoderated"]
    assert queue(client, "approved").json()["resources"] == []


def test_moderation_state_survives_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        upload(client, {"public_id": "mod/durable", "moderation": "manual"})
        decide(client, "mod/durable", "rejected")

    with TestClient(create_app(settings)) as client:
        rejected = queue(client, "rejected").json()["resources"]
        resource = client.get(f"{RESOURCES}/upload/mod/durable", auth=ADMIN).json()

    assert [r["public_id"] for r in rejected] == ["mod/durable"]
    assert resource["moderation_status"] == "rejected"


def test_fault_admin_failures_fail_the_next_admin_api_calls_then_recover(client: TestClient) -> None:  # type: ignore[type-arg]
    upload(client, {"public_id": "mod/unavailable", "moderation": "manual"})
    client.put("/_emulator/faults", json={"admin_failures": 2, "failure_status": 503})

    failed_update = decide(client, "mod/unavailable", "approved")
    failed_listing = queue(client, "pending")
    pending = client.get(f"{RESOURCES}/upload/mod/unavailable", auth=ADMIN).json()
    approved = decide(client, "mod/unavailable", "approved")

    assert (failed_update.status_code, failed_update.json()) == (503, {"error": {"message": "General Error"}})
    assert failed_listing.status_code == 503
    assert pending["moderation_status"] == "pending"  # the failed update changed nothing
    assert approved.json()["moderation_status"] == "approved"
    assert client.get("/_emulator/faults").json()["admin_failures"] == 0
