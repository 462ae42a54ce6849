"""The moderation desk over the whole app (`PROFILE_MODERATION=manual`, Cloudinary as an in-memory fake): the
review queue, approve and reject (Cloudinary first, idempotent, the opposite decision 409), take-downs, and the
audit entry every admin action leaves."""

import logging
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from profile_service.app import create_app
from profile_service.avatars.cloudinary import Asset, CloudinaryUnavailable
from profile_service.avatars.schemas import Notification
from profile_service.avatars.webhook import process_moderation
from profile_service.config import Settings
from profile_service.services import build
from service_kit.clock import utc_now
from tests.conftest import Client, TokenFactory, auth, wait_until_ready
from tests.fakes import FakeAssets
from tests.integration.helpers import post_notification, sign_upload, upload_notification

PENDING = [{"kind": "manual", "status": "pending"}]


@pytest.fixture
def assets() -> FakeAssets:
    return FakeAssets()


@pytest.fixture
def moderated(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, moderation="manual")


@pytest.fixture
def client(moderated: Settings, assets: FakeAssets) -> Iterator[Client]:
    with TestClient(create_app(services=build(moderated, assets=assets))) as test_client:
        wait_until_ready(test_client)
        yield test_client


@pytest.fixture
def admin(token: TokenFactory) -> dict[str, str]:
    return auth(token("u-admin", "root", role="admin"))


def awaiting_upload(client: Client, assets: FakeAssets, bearer: str, version: int = 1700000000) -> dict[str, Any]:
    """An upload that Cloudinary holds pending manual moderation and the service holds in awaiting_moderation."""
    ticket = sign_upload(client, bearer)
    public_id = ticket["public_id"]
    body = upload_notification(public_id, version=version, moderation=PENDING)
    assets.assets[public_id] = Asset(
        public_id=public_id,
        version=version,
        secure_url=body["secure_url"],
        format="jpg",
        bytes=40_000,
        width=512,
        height=512,
        created_at=body["created_at"],
        moderation=[dict(entry) for entry in PENDING],
    )
    response = post_notification(client, body)
    assert response.json()["intent_status"] == "awaiting_moderation", response.text
    return ticket


def queue(client: Client, admin: dict[str, str], **params: str | int) -> dict[str, Any]:
    response = client.get("/admin/moderation", params=params, headers=admin)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def audit_actions(client: Client, admin: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    """(action, target_user_id, upload_id) of every audit entry, newest first."""
    entries = client.get("/admin/moderation/audit", params={"limit": 100}, headers=admin).json()["entries"]
    return [(e["action"], e["target_user_id"], e["upload_id"]) for e in entries if e["action"] != "queue.viewed"]


def me(client: Client, bearer: str) -> dict[str, Any]:
    response = client.get("/profiles/me", headers=auth(bearer))
    assert response.status_code == 200, response.text
    profile: dict[str, Any] = response.json()
    return profile


def test_the_queue_shows_pending_uploads_oldest_first_with_owner_thumbnail_and_time(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    first = awaiting_upload(client, assets, token("u1", "alice"))
    second = awaiting_upload(client, assets, token("u2", "bob"))

    page = queue(client, admin)

    assert [item["upload_id"] for item in page["items"]] == [first["upload_id"], second["upload_id"]]
    assert page["next_cursor"] is None
    item = page["items"][0]
    assert item == {
        "upload_id": first["upload_id"],
        "user_id": "u1",
        "username": "alice",
        "status": "pending",
        "thumbnail_url": (
            f"https://res.cloudinary.com/test-cloud/image/upload/c_fill,g_face,h_128,w_128/v1700000000/"
            f"{first['public_id']}.jpg"
        ),
        "secure_url": f"https://res.cloudinary.com/test-cloud/image/upload/v1700000000/{first['public_id']}.jpg",
        "uploaded_at": "2026-01-01T00:00:00Z",
        "decided_at": None,
        "decided_by": None,
        "reason": None,
    }
    entries = client.get("/admin/moderation/audit", headers=admin).json()["entries"]
    assert [(e["action"], e["actor_id"], e["target_user_id"]) for e in entries] == [("queue.viewed", "u-admin", None)]


def test_the_queue_pages_without_gaps_or_repeats(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    uploads = [awaiting_upload(client, assets, token(f"u{n}", f"user{n}"))["upload_id"] for n in range(5)]

    seen, cursor = [], None
    for _ in range(10):
        page = queue(client, admin, limit=2, **({} if cursor is None else {"cursor": cursor}))
        seen += [item["upload_id"] for item in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break

    assert seen == uploads


def test_the_queue_refuses_an_unknown_status_and_a_forged_cursor(client: Client, admin: dict[str, str]) -> None:
    assert client.get("/admin/moderation", params={"status": "everything"}, headers=admin).status_code == 400
    assert client.get("/admin/moderation", params={"cursor": "bm9wZQ"}, headers=admin).status_code == 400


def test_approval_tells_cloudinary_then_shows_the_picture_and_repeats_answer_the_same(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    bearer = token("u1", "alice")
    ticket = awaiting_upload(client, assets, bearer)
    assert client.get("/profiles/alice").json()["avatar"] is None

    first = client.post(f"/admin/moderation/{ticket['upload_id']}/approve", headers=admin)
    again = client.post(f"/admin/moderation/{ticket['upload_id']}/approve", headers=admin)

    decision = {"upload_id": ticket["upload_id"], "status": "applied", "moderation_status": "approved"}
    assert (first.status_code, first.json()) == (200, decision)
    assert (again.status_code, again.json()) == (200, decision)
    assert assets.moderated == [(ticket["public_id"], "approved")]
    public = client.get("/profiles/alice").json()["avatar"]
    assert public["secure_url"] == assets.assets[ticket["public_id"]].secure_url
    assert me(client, bearer)["pending_avatar"] is None
    approved = queue(client, admin, status="approved")["items"]
    assert [(i["upload_id"], i["status"], i["decided_by"]) for i in approved] == [
        (ticket["upload_id"], "approved", "u-admin")
    ]
    assert queue(client, admin)["items"] == []
    assert audit_actions(client, admin) == [("upload.approved", "u1", ticket["upload_id"])] * 2


def test_rejection_destroys_the_asset_and_tells_the_owner_why(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    bearer = token("u1", "alice")
    ticket = awaiting_upload(client, assets, bearer)

    first = client.post(f"/admin/moderation/{ticket['upload_id']}/reject", json={"reason": "not a face"}, headers=admin)
    again = client.post(f"/admin/moderation/{ticket['upload_id']}/reject", json={"reason": "still no"}, headers=admin)

    decision = {"upload_id": ticket["upload_id"], "status": "rejected", "moderation_status": "rejected"}
    assert (first.status_code, first.json()) == (200, decision)
    assert (again.status_code, again.json()) == (200, decision)
    assert assets.moderated == [(ticket["public_id"], "rejected")]
    status = client.get(ticket["status_url"], headers=auth(bearer)).json()
    assert (status["status"], status["reason"]) == ("rejected", "not a face")
    notice = me(client, bearer)["moderation_notice"]
    assert (notice["kind"], notice["reason"], notice["upload_id"]) == ("rejected", "not a face", ticket["upload_id"])
    assert client.get("/profiles/alice").json()["avatar"] is None
    assert "moderation_notice" not in client.get("/profiles/alice").json()
    assert outbox_job(client, ticket["public_id"]) is not None
    rejected = queue(client, admin, status="rejected")["items"]
    assert [(i["upload_id"], i["reason"]) for i in rejected] == [(ticket["upload_id"], "not a face")]


def test_the_opposite_decision_is_409_and_cloudinary_is_not_told(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    approved = awaiting_upload(client, assets, token("u1", "alice"))
    rejected = awaiting_upload(client, assets, token("u2", "bob"))
    client.post(f"/admin/moderation/{approved['upload_id']}/approve", headers=admin)
    client.post(f"/admin/moderation/{rejected['upload_id']}/reject", json={"reason": "no"}, headers=admin)

    flip_reject = client.post(f"/admin/moderation/{approved['upload_id']}/reject", json={"reason": "x"}, headers=admin)
    flip_approve = client.post(f"/admin/moderation/{rejected['upload_id']}/approve", headers=admin)

    assert (flip_reject.status_code, flip_approve.status_code) == (409, 409)
    assert flip_reject.headers["content-type"] == "application/problem+json"
    assert len(assets.moderated) == 2
    assert client.get("/profiles/alice").json()["avatar"] is not None
    assert client.get("/profiles/bob").json()["avatar"] is None


def test_a_decision_the_notification_made_first_is_repeated_by_the_route_without_asking_cloudinary(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    ticket = awaiting_upload(client, assets, token("u1", "alice"))
    note = upload_notification(ticket["public_id"])
    notified = post_notification(
        client,
        {
            "notification_type": "moderation",
            "moderation_status": "approved",
            "moderation_kind": "manual",
            "moderation_updated_at": "2026-01-01T00:01:00Z",
            "public_id": ticket["public_id"],
            "version": note["version"],
            "secure_url": note["secure_url"],
        },
    )
    assert notified.status_code == 200, notified.text

    route = client.post(f"/admin/moderation/{ticket['upload_id']}/approve", headers=admin)
    opposite = client.post(f"/admin/moderation/{ticket['upload_id']}/reject", json={"reason": "x"}, headers=admin)

    assert (route.status_code, route.json()["status"]) == (200, "applied")
    assert opposite.status_code == 409
    assert assets.moderated == []


def test_the_reviewers_reason_survives_the_notification_of_its_own_decision(
    moderated: Settings, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    # Cloudinary notifies a decision as soon as it is told: here its notification is carried out (as the webhook
    # does) before the route gets to its own local decision, the order a busy machine produces now and then.
    services = build(moderated, assets=assets)
    told = assets.set_moderation

    async def notify_first(public_id: str, status: str) -> Asset | None:
        asset = await told(public_id, status)
        intent = await services.intents.by_public_id(public_id)
        assert intent is not None
        note = Notification(
            notification_type="moderation", public_id=public_id, moderation_status=status, moderation_kind="manual"
        )
        await process_moderation(note, intent, services.intents, services.moderation, services.metrics)
        return asset

    assets.set_moderation = notify_first  # type: ignore[method-assign]
    with TestClient(create_app(services=services)) as client:
        wait_until_ready(client)
        bearer = token("u1", "alice")
        ticket = awaiting_upload(client, assets, bearer)

        route = client.post(f"/admin/moderation/{ticket['upload_id']}/reject", json={"reason": "a logo"}, headers=admin)

        assert (route.status_code, route.json()["status"]) == (200, "rejected"), route.text
        status = client.get(ticket["status_url"], headers=auth(bearer)).json()
        assert (status["status"], status["reason"]) == ("rejected", "a logo")
        assert me(client, bearer)["moderation_notice"]["reason"] == "a logo"
        decided = queue(client, admin, status="rejected")["items"]
        assert [(i["reason"], i["decided_by"]) for i in decided] == [("a logo", "u-admin")]


def test_an_approval_signed_before_a_newer_applied_picture_ends_superseded(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    bearer = token("u1", "alice")
    older = awaiting_upload(client, assets, bearer, version=1700000001)
    newer = awaiting_upload(client, assets, bearer, version=1700000002)
    client.post(f"/admin/moderation/{newer['upload_id']}/approve", headers=admin)

    response = client.post(f"/admin/moderation/{older['upload_id']}/approve", headers=admin)

    assert response.json() == {"upload_id": older["upload_id"], "status": "superseded", "moderation_status": "approved"}
    assert me(client, bearer)["avatar"]["public_id"] == newer["public_id"]


@pytest.mark.parametrize("upload_id", ["0123456789abcdef01234567", "not-an-upload-id"])
def test_an_unknown_upload_is_404(client: Client, admin: dict[str, str], upload_id: str) -> None:
    assert client.post(f"/admin/moderation/{upload_id}/approve", headers=admin).status_code == 404
    assert client.post(f"/admin/moderation/{upload_id}/reject", json={"reason": "x"}, headers=admin).status_code == 404


def test_an_upload_not_under_moderation_is_409(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    signed_only = sign_upload(client, token("u1", "alice"))  # Cloudinary never received it
    unmoderated = sign_upload(client, token("u2", "bob"))
    set_intent(client, unmoderated["upload_id"], {"$unset": {"moderation": ""}})

    assert client.post(f"/admin/moderation/{signed_only['upload_id']}/approve", headers=admin).status_code == 409
    assert client.post(f"/admin/moderation/{unmoderated['upload_id']}/approve", headers=admin).status_code == 409
    assert client.get("/profiles/alice").json()["avatar"] is None


def test_a_decision_while_cloudinary_is_down_is_503_and_changes_nothing(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    ticket = awaiting_upload(client, assets, token("u1", "alice"))
    real = assets.set_moderation

    async def down(public_id: str, status: str) -> Asset | None:
        raise CloudinaryUnavailable("timeout")

    assets.set_moderation = down  # type: ignore[method-assign]
    failed = client.post(f"/admin/moderation/{ticket['upload_id']}/approve", headers=admin)
    assets.set_moderation = real  # type: ignore[method-assign]

    assert failed.status_code == 503
    assert failed.headers["content-type"] == "application/problem+json"
    assert [item["upload_id"] for item in queue(client, admin)["items"]] == [ticket["upload_id"]]
    assert client.get("/profiles/alice").json()["avatar"] is None
    assert audit_actions(client, admin) == []
    assert client.post(f"/admin/moderation/{ticket['upload_id']}/approve", headers=admin).status_code == 200


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": "a\u0000"}])
def test_a_rejection_needs_a_reason(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str], body: dict[str, str]
) -> None:
    ticket = awaiting_upload(client, assets, token("u1", "alice"))

    response = client.post(f"/admin/moderation/{ticket['upload_id']}/reject", json=body, headers=admin)

    assert response.status_code == 400
    assert assets.moderated == []


def test_every_admin_action_is_logged_with_the_admins_id(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    ticket = awaiting_upload(client, assets, token("u1", "alice"))

    with caplog.at_level(logging.INFO, logger="profile_service.admin.audit"):
        client.post(f"/admin/moderation/{ticket['upload_id']}/approve", headers=admin)

    logged = [r for r in caplog.records if r.name == "profile_service.admin.audit"]
    assert [(r.getMessage(), getattr(r, "admin_id", None)) for r in logged] == [
        ("admin action: upload.approved", "u-admin")
    ]


def set_intent(client: Client, upload_id: str, update: dict[str, Any]) -> None:
    intents = client.app.state.services.mongo.db["upload_intents"]

    async def write() -> None:
        await intents.update_one({"_id": upload_id}, update)

    with client.portal() as portal:
        portal.call(write)


def outbox_job(client: Client, public_id: str) -> dict[str, Any] | None:
    outbox = client.app.state.services.mongo.db["outbox"]

    async def read() -> dict[str, Any] | None:
        job: dict[str, Any] | None = await outbox.find_one({"_id": f"destroy:{public_id}"})
        return job

    with client.portal() as portal:
        found: dict[str, Any] | None = portal.call(read)
        return found


def test_uploads_waiting_since_the_same_millisecond_page_without_gaps_or_repeats(
    moderated: Settings, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    frozen = utc_now()  # every upload starts waiting at this very millisecond: the cursor's ties path
    with TestClient(create_app(services=build(moderated, assets=assets, clock=lambda: frozen))) as client:
        wait_until_ready(client)
        uploads = sorted(awaiting_upload(client, assets, token(f"u{n}", f"user{n}"))["upload_id"] for n in range(5))

        seen, cursor = [], None
        for _ in range(10):
            page = queue(client, admin, limit=2, **({} if cursor is None else {"cursor": cursor}))
            seen += [item["upload_id"] for item in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                break

    assert seen == uploads


def test_decided_uploads_page_newest_decision_first(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    uploads = [awaiting_upload(client, assets, token(f"u{n}", f"user{n}"))["upload_id"] for n in range(3)]
    for upload_id in uploads:
        assert client.post(f"/admin/moderation/{upload_id}/approve", headers=admin).status_code == 200

    first = queue(client, admin, status="approved", limit=2)
    second = queue(client, admin, status="approved", limit=2, cursor=first["next_cursor"])

    assert [item["upload_id"] for item in first["items"] + second["items"]] == uploads[::-1]
    assert second["next_cursor"] is None
    assert queue(client, admin, status="rejected")["items"] == []


def test_rejecting_an_upload_cloudinary_no_longer_holds_still_takes_it_off_the_queue(
    client: Client, assets: FakeAssets, token: TokenFactory, admin: dict[str, str]
) -> None:
    gone = awaiting_upload(client, assets, token("u1", "alice"))
    del assets.assets[gone["public_id"]]  # destroyed in Cloudinary's console, say

    approve = client.post(f"/admin/moderation/{gone['upload_id']}/approve", headers=admin)
    reject = client.post(f"/admin/moderation/{gone['upload_id']}/reject", json={"reason": "gone"}, headers=admin)

    assert approve.status_code == 409
    assert (reject.status_code, reject.json()["status"]) == (200, "rejected")
    assert queue(client, admin)["items"] == []
