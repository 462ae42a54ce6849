"""Moderated uploads (PROFILE_MODERATION=manual) against the MongoDB stand-in, with Cloudinary replaced by the
in-memory AssetStore (the Admin API lookups and destroys are observable): an upload under review never reaches
the public profile, the owner sees it as `pending_avatar`, and approvals and rejections from the notification,
the decision path the admin routes call and reconciliation land the same way in any order, any number of times."""

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from profile_service.app import create_app
from profile_service.avatars.cloudinary import Asset
from profile_service.avatars.intents import Intent, IntentStatus
from profile_service.avatars.moderation import Outcome
from profile_service.avatars.signing import response_signature
from profile_service.config import Settings
from profile_service.reconcile import ReconcileReport
from profile_service.services import Services, build
from service_kit.errors import Conflict
from tests.conftest import API_SECRET, Client, TokenFactory, auth, wait_until_ready
from tests.fakes import FakeAssets
from tests.integration.helpers import post_notification, sign_upload, upload_notification

PENDING = [{"kind": "manual", "status": "pending"}]


@pytest.fixture
def assets() -> FakeAssets:
    return FakeAssets()


@pytest.fixture
def moderated(settings: Settings) -> Settings:
    """The test's settings with manual moderation, and awaiting uploads reconciled at every pass."""
    return msgspec.structs.replace(settings, moderation="manual", moderation_reconcile_seconds=0)


@pytest.fixture
def client(moderated: Settings, assets: FakeAssets) -> Iterator[Client]:
    with TestClient(create_app(services=build(moderated, assets=assets))) as test_client:
        wait_until_ready(test_client)
        yield test_client


def services(client: Client) -> Services:
    built: Services = client.app.state.services
    return built


def run(client: Client, call: Callable[[], Any]) -> Any:
    with client.portal() as portal:
        return portal.call(call)


def intent(client: Client, upload_id: str) -> Intent:
    found = run(client, lambda: services(client).intents.get(upload_id))
    assert isinstance(found, Intent)
    return found


def url(public_id: str, version: int = 1700000000) -> str:
    return f"https://res.cloudinary.com/test-cloud/image/upload/v{version}/{public_id}.jpg"


def uploaded(client: Client, assets: FakeAssets, ticket: dict[str, Any], version: int = 1700000000) -> Any:
    """Cloudinary stores the moderated upload (pending) and notifies: what the webhook answered."""
    body = upload_notification(ticket["public_id"], version=version, moderation=PENDING)
    assets.assets[ticket["public_id"]] = msgspec_asset(body)
    return post_notification(client, body)


def msgspec_asset(body: dict[str, Any]) -> Asset:
    keys = ("public_id", "version", "secure_url", "format", "bytes", "width", "height", "created_at")
    return Asset(**{k: body[k] for k in keys}, moderation=[dict(m) for m in body.get("moderation") or []])


def decision(public_id: str, status: str, version: int = 1700000000) -> dict[str, Any]:
    """A `moderation` notification as the emulator (and, per its docs, Cloudinary) sends it."""
    return {
        "notification_type": "moderation",
        "moderation_status": status,
        "moderation_kind": "manual",
        "moderation_updated_at": "2026-01-01T00:01:00Z",
        "public_id": public_id,
        "asset_id": "a" * 32,
        "version": version,
        "secure_url": url(public_id, version),
        "url": url(public_id, version).replace("https:", "http:"),
        "resource_type": "image",
        "type": "upload",
        "uploaded_at": "2026-01-01T00:00:00Z",
    }


def decide_at_cloudinary(client: Client, assets: FakeAssets, public_id: str, status: str) -> Any:
    """A reviewer decides in Cloudinary's console: the asset's array changes and the notification follows."""
    if public_id in assets.assets:  # (a rejected asset may already be destroyed by the app's outbox worker)
        assets.assets[public_id].moderation = [{"kind": "manual", "status": status}]
    return post_notification(client, decision(public_id, status))


def me(client: Client, bearer: str) -> dict[str, Any]:
    response = client.get("/profiles/me", headers=auth(bearer))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def public_text(client: Client, username: str) -> str:
    response = client.get(f"/profiles/{username}")
    assert response.status_code == 200
    return response.text


def status_of(client: Client, bearer: str, ticket: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = client.get(ticket["status_url"], headers=auth(bearer)).json()
    return body


def outbox_ids(client: Client) -> set[str]:
    async def read() -> set[str]:
        return {doc["public_id"] async for doc in services(client).mongo.db["outbox"].find({})}

    found: set[str] = run(client, read)
    return found


def test_signing_signs_moderation_and_records_it(client: Client, token: TokenFactory) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)

    assert ticket["fields"]["moderation"] == "manual"
    stored = intent(client, ticket["upload_id"])
    assert (stored.moderation, stored.username) == ("manual", "alice")
    assert client.get("/profiles/me/avatar/policy", headers=auth(bearer)).json()["moderation"] == "manual"


def test_an_upload_under_review_never_reaches_the_public_profile(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    first = sign_upload(client, bearer)
    uploaded(client, assets, first)
    decide_at_cloudinary(client, assets, first["public_id"], "approved")
    live_before = me(client, bearer)["avatar"]
    second = sign_upload(client, bearer)

    answer = uploaded(client, assets, second, version=1700000001)

    assert answer.json() == {"status": "processed", "intent_status": "awaiting_moderation"}
    mine = me(client, bearer)
    assert mine["avatar"] == live_before
    assert mine["pending_avatar"]["upload_id"] == second["upload_id"]
    assert mine["pending_avatar"]["status"] == "pending"
    assert mine["pending_avatar"]["secure_url"] == url(second["public_id"], 1700000001)
    assert set(mine["pending_avatar"]["variants"]) == {"64", "128", "256", "512"}
    public = public_text(client, "alice")
    assert first["upload_id"] in public
    assert second["upload_id"] not in public and "pending" not in public and "moderation" not in public
    assert status_of(client, bearer, second)["status"] == "awaiting_moderation"
    stored = intent(client, second["upload_id"])
    assert stored.asset is not None and stored.asset["version"] == 1700000001 and stored.awaiting_ms is not None
    # The browser is done: the upload no longer counts as open (its grant stays in the hourly budget).
    profile = run(client, lambda: services(client).mongo.db["profiles"].find_one({"_id": "u1"}))
    assert second["upload_id"] not in (profile.get("open_uploads") or {})
    assert len(profile["upload_grants"]) == 2


def test_approval_by_notification_applies_the_picture(client: Client, token: TokenFactory, assets: FakeAssets) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)
    uploaded(client, assets, ticket)

    answer = decide_at_cloudinary(client, assets, ticket["public_id"], "approved")

    assert answer.json() == {"status": "processed", "intent_status": "applied"}
    mine = me(client, bearer)
    assert mine["avatar"]["public_id"] == ticket["public_id"]
    assert mine["pending_avatar"] is None
    assert url(ticket["public_id"]) in public_text(client, "alice")
    assert status_of(client, bearer, ticket)["status"] == "applied"
    stored = intent(client, ticket["upload_id"])
    assert (stored.moderation_status, stored.decided_by) == ("approved", "cloudinary")


def test_rejection_destroys_the_asset_and_tells_the_owner(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)
    uploaded(client, assets, ticket)

    answer = decide_at_cloudinary(client, assets, ticket["public_id"], "rejected")

    assert answer.json() == {"status": "processed", "intent_status": "rejected"}
    assert ticket["public_id"] in outbox_ids(client)
    mine = me(client, bearer)
    assert mine["avatar"] is None and mine["pending_avatar"] is None
    assert mine["moderation_notice"]["kind"] == "rejected"
    assert mine["moderation_notice"]["reason"] == "manual"
    assert mine["moderation_notice"]["upload_id"] == ticket["upload_id"]
    assert status_of(client, bearer, ticket) | {"expires_at": None} == {
        "upload_id": ticket["upload_id"],
        "public_id": ticket["public_id"],
        "status": "rejected",
        "reason": "manual",
        "expires_at": None,
        "avatar": None,
    }
    assert ticket["upload_id"] not in public_text(client, "alice")
    deadline = time.monotonic() + 10
    while ticket["public_id"] in assets.assets:  # the app's outbox worker destroys it
        assert time.monotonic() < deadline, "the rejected asset was never destroyed"
        time.sleep(0.02)
    # A newer picture, once approved, clears the notice.
    newer = sign_upload(client, bearer)
    uploaded(client, assets, newer)
    assert me(client, bearer)["moderation_notice"] is not None
    decide_at_cloudinary(client, assets, newer["public_id"], "approved")
    assert me(client, bearer)["moderation_notice"] is None


@pytest.mark.parametrize("outcome", ["approved", "rejected"])
def test_a_decision_arriving_before_the_upload_notification_lands_the_same(
    client: Client, token: TokenFactory, assets: FakeAssets, outcome: str
) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)
    body = upload_notification(ticket["public_id"], moderation=PENDING)
    assets.assets[ticket["public_id"]] = msgspec_asset(body)
    assets.assets[ticket["public_id"]].moderation = [{"kind": "manual", "status": outcome}]

    first = post_notification(client, decision(ticket["public_id"], outcome))
    late = post_notification(client, body)  # the upload notification, delayed, still says pending

    expected = "applied" if outcome == "approved" else "rejected"
    assert first.json()["intent_status"] == expected
    assert late.json()["intent_status"] == expected
    mine = me(client, bearer)
    assert (mine["avatar"] is not None) is (outcome == "approved")
    assert mine["pending_avatar"] is None


def test_an_approval_before_cloudinary_holds_the_asset_is_kept_for_the_upload(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)

    early = post_notification(client, decision(ticket["public_id"], "approved"))  # Admin API: no such asset yet
    assert early.json()["intent_status"] == "pending"
    answer = uploaded(client, assets, ticket)

    assert answer.json()["intent_status"] == "applied"
    assert me(client, bearer)["avatar"]["public_id"] == ticket["public_id"]


def test_duplicated_decisions_change_nothing_and_the_opposite_one_is_ignored(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)
    uploaded(client, assets, ticket)
    decide_at_cloudinary(client, assets, ticket["public_id"], "approved")
    before = me(client, bearer)

    again = post_notification(client, decision(ticket["public_id"], "approved"))
    opposite = post_notification(client, decision(ticket["public_id"], "rejected"))
    replayed_upload = post_notification(client, upload_notification(ticket["public_id"], moderation=PENDING))

    assert again.json() == {"status": "processed", "intent_status": "applied"}
    assert opposite.status_code == 200 and opposite.json() == {"status": "ignored", "intent_status": "applied"}
    assert replayed_upload.json()["intent_status"] == "applied"
    assert me(client, bearer) == before
    assert ticket["public_id"] not in outbox_ids(client)


def test_an_approved_upload_signed_before_a_newer_applied_one_ends_superseded(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    older, newer = sign_upload(client, bearer), sign_upload(client, bearer)
    uploaded(client, assets, newer, version=2)
    uploaded(client, assets, older, version=1)  # reordered: the older upload's notification comes last
    assert me(client, bearer)["pending_avatar"]["upload_id"] == newer["upload_id"]  # the newest under review wins
    decide_at_cloudinary(client, assets, newer["public_id"], "approved")

    late = decide_at_cloudinary(client, assets, older["public_id"], "approved")

    assert late.json()["intent_status"] == "superseded"
    mine = me(client, bearer)
    assert mine["avatar"]["public_id"] == newer["public_id"]
    assert mine["pending_avatar"] is None
    assert older["public_id"] in outbox_ids(client)
    assert older["upload_id"] not in public_text(client, "alice")


def test_rejecting_the_newest_upload_under_review_shows_the_next_one(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    older, newer = sign_upload(client, bearer), sign_upload(client, bearer)
    uploaded(client, assets, older, version=1)
    uploaded(client, assets, newer, version=2)

    decide_at_cloudinary(client, assets, newer["public_id"], "rejected")

    assert me(client, bearer)["pending_avatar"]["upload_id"] == older["upload_id"]
    decide_at_cloudinary(client, assets, older["public_id"], "approved")
    mine = me(client, bearer)
    assert mine["avatar"]["public_id"] == older["public_id"] and mine["pending_avatar"] is None


def test_the_decision_path_the_admin_routes_call(client: Client, token: TokenFactory, assets: FakeAssets) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)
    uploaded(client, assets, ticket)
    decider = services(client).moderation

    def decide(outcome: Outcome, reason: str | None = None) -> Any:
        current = intent(client, ticket["upload_id"])
        return run(client, lambda: decider.decide(current, outcome, reason=reason, by="admin-1", source="admin"))

    assert decide("rejected", "not a face") is IntentStatus.REJECTED
    assert decide("rejected", "said twice") is IntentStatus.REJECTED
    with pytest.raises(Conflict):
        decide("approved")
    stored = intent(client, ticket["upload_id"])
    assert (stored.reason, stored.decided_by, stored.moderation_status) == ("not a face", "admin-1", "rejected")
    assert me(client, bearer)["moderation_notice"]["reason"] == "not a face"
    # Cloudinary's notification of the same decision (the admin route set it there first) changes nothing.
    assert decide_at_cloudinary(client, assets, ticket["public_id"], "rejected").json()["intent_status"] == "rejected"
    assert intent(client, ticket["upload_id"]).reason == "not a face"


def test_an_upload_that_is_not_moderated_cannot_be_decided(settings: Settings, token: TokenFactory) -> None:
    with TestClient(create_app(services=build(settings, assets=FakeAssets()))) as client:
        wait_until_ready(client)
        ticket = sign_upload(client, token("u1"))
        assert "moderation" not in ticket["fields"]
        stored = intent(client, ticket["upload_id"])
        with pytest.raises(Conflict):
            run(
                client,
                lambda: services(client).moderation.decide(
                    stored, "approved", reason=None, by="admin-1", source="admin"
                ),
            )
        # Without moderation an upload is applied as before.
        assert post_notification(client, upload_notification(ticket["public_id"])).json()["intent_status"] == "applied"


def test_policy_violations_still_reject_a_moderated_upload(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)

    answer = post_notification(client, upload_notification(ticket["public_id"], format="gif", moderation=PENDING))

    assert answer.json()["intent_status"] == "rejected"
    assert me(client, bearer)["pending_avatar"] is None


def test_reconciliation_decides_awaiting_uploads_from_the_admin_api(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    approved, rejected, undecided = (sign_upload(client, bearer) for _ in range(3))
    for number, ticket in enumerate((approved, rejected, undecided), start=1):
        uploaded(client, assets, ticket, version=number)
    # Decided in Cloudinary's console; both notifications lost.
    assets.assets[approved["public_id"]].moderation = [{"kind": "manual", "status": "approved"}]
    assets.assets[rejected["public_id"]].moderation = [{"kind": "manual", "status": "rejected"}]

    report: ReconcileReport = run(client, services(client).reconciler.reconcile_overdue)

    assert report.awaiting_checked == 3
    assert report.awaiting_outcomes == {"applied": 1, "rejected": 1, "awaiting_moderation": 1}
    mine = me(client, bearer)
    assert mine["avatar"]["public_id"] == approved["public_id"]
    assert mine["pending_avatar"]["upload_id"] == undecided["upload_id"]
    assert status_of(client, bearer, rejected)["status"] == "rejected"
    # Asked about once per period: nothing is asked again straight away (the period is 0 here, so the clock decides).
    assert intent(client, undecided["upload_id"]).checked_ms is not None


def test_an_approved_upload_shown_then_replaced_while_its_status_write_was_lost_ends_superseded(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    older, newer = sign_upload(client, bearer), sign_upload(client, bearer)
    uploaded(client, assets, older)
    uploaded(client, assets, newer)
    assert decide_at_cloudinary(client, assets, older["public_id"], "approved").status_code == 200
    # MongoDB went away between the profile write and the intent's: shown, yet the intent still awaits review.
    run(
        client,
        lambda: (
            services(client)
            .mongo.db["upload_intents"]
            .update_one({"_id": older["upload_id"]}, {"$set": {"status": "awaiting_moderation"}})
        ),
    )
    assert decide_at_cloudinary(client, assets, newer["public_id"], "approved").status_code == 200
    assets.assets.pop(older["public_id"], None)  # replaced: destroyed by the outbox

    report: ReconcileReport = run(client, services(client).reconciler.reconcile_overdue)

    assert report.awaiting_outcomes == {"superseded": 1}
    assert status_of(client, bearer, older)["status"] == "superseded"
    assert me(client, bearer)["avatar"]["public_id"] == newer["public_id"]


def test_an_overdue_upload_found_pending_at_cloudinary_waits_for_review(
    moderated: Settings, token: TokenFactory, assets: FakeAssets
) -> None:
    # Parameters that lapse at once and no grace: reconciliation takes the upload at its next pass.
    quick = msgspec.structs.replace(moderated, upload_ttl_seconds=5, upload_grace_seconds=0)
    now = [time.time()]

    def clock() -> datetime:
        return datetime.fromtimestamp(now[0], UTC)

    with TestClient(create_app(services=build(quick, assets=assets, clock=clock))) as client:
        wait_until_ready(client)
        bearer = token("u1", "alice")
        ticket = sign_upload(client, bearer)
        body = upload_notification(ticket["public_id"], moderation=PENDING)
        assets.assets[ticket["public_id"]] = msgspec_asset(body)  # uploaded; the notification never came
        now[0] += 6

        report: ReconcileReport = run(client, services(client).reconciler.reconcile_overdue)

        assert report.outcomes == {"awaiting_moderation": 1}
        mine = me(client, bearer)
        assert mine["avatar"] is None and mine["pending_avatar"]["upload_id"] == ticket["upload_id"]


def test_a_moderation_notification_for_an_unknown_upload_is_ignored(client: Client) -> None:
    answer = post_notification(client, decision("profiles/u9/never-signed", "approved"))

    assert answer.status_code == 200 and answer.json()["status"] == "ignored"


def test_an_undecided_moderation_notification_is_noted(client: Client, token: TokenFactory, assets: FakeAssets) -> None:
    ticket = sign_upload(client, token("u1", "alice"))
    uploaded(client, assets, ticket)

    answer = post_notification(client, decision(ticket["public_id"], "pending"))

    assert answer.json() == {"status": "noted", "intent_status": "awaiting_moderation"}


def test_take_down_removes_the_live_picture_and_tells_the_owner(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)
    uploaded(client, assets, ticket)
    decide_at_cloudinary(client, assets, ticket["public_id"], "approved")
    decider = services(client).moderation

    removed = run(client, lambda: decider.take_down("u1", reason="impersonation", by="admin-1"))
    none_left = run(client, lambda: decider.take_down("u1", reason="again", by="admin-1"))

    assert (removed, none_left) == (ticket["public_id"], None)
    mine = me(client, bearer)
    assert mine["avatar"] is None
    assert mine["moderation_notice"]["kind"] == "taken_down"
    assert mine["moderation_notice"]["reason"] == "impersonation"
    assert ticket["public_id"] in outbox_ids(client)
    assert json.loads(public_text(client, "alice"))["avatar"] is None


def test_a_confirmed_upload_under_review_waits_too(client: Client, token: TokenFactory, assets: FakeAssets) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)
    body = upload_notification(ticket["public_id"], moderation=PENDING)
    assets.assets[ticket["public_id"]] = msgspec_asset(body)  # uploaded; no notification reaches the service
    signature = response_signature(ticket["public_id"], body["version"], API_SECRET)

    confirmed = client.post(
        f"{ticket['status_url']}/confirm",
        json={"version": body["version"], "signature": signature},
        headers=auth(bearer),
    )

    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "awaiting_moderation" and confirmed.json()["avatar"] is None
    assert me(client, bearer)["pending_avatar"]["upload_id"] == ticket["upload_id"]
    assert ticket["upload_id"] not in public_text(client, "alice")


def test_an_upload_rejected_by_policy_is_no_longer_under_moderation(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(client, bearer)
    post_notification(client, upload_notification(ticket["public_id"], width=10, height=10, moderation=PENDING))
    stored = intent(client, ticket["upload_id"])

    with pytest.raises(Conflict):
        run(client, lambda: services(client).moderation.decide(stored, "approved", reason=None, by="a", source="admin"))
    late = post_notification(client, decision(ticket["public_id"], "approved"))

    assert late.json() == {"status": "ignored", "intent_status": "rejected"}
    assert intent(client, ticket["upload_id"]).moderation_status is None


def test_an_asset_moderated_without_our_asking_is_held_all_the_same(settings: Settings, token: TokenFactory) -> None:
    # Moderation switched off since signing (or added by an upload preset): Cloudinary's array is what counts.
    assets = FakeAssets()
    with TestClient(create_app(services=build(settings, assets=assets))) as client:
        wait_until_ready(client)
        bearer = token("u1", "alice")
        ticket = sign_upload(client, bearer)

        answer = uploaded(client, assets, ticket)

        assert answer.json()["intent_status"] == "awaiting_moderation"
        assert intent(client, ticket["upload_id"]).moderation == "manual"
        assert me(client, bearer)["avatar"] is None
        assert (
            decide_at_cloudinary(client, assets, ticket["public_id"], "approved").json()["intent_status"] == "applied"
        )


def test_a_notification_racing_the_opposite_decision_reports_where_the_upload_is(
    client: Client, token: TokenFactory, assets: FakeAssets
) -> None:
    ticket = sign_upload(client, token("u1", "alice"))
    stale = intent(client, ticket["upload_id"])  # read before an admin's approval lands
    body = upload_notification(ticket["public_id"], moderation=[{"kind": "manual", "status": "rejected"}])
    asset = msgspec_asset(body)
    assert run(client, lambda: services(client).intents.claim_decision(stale.id, "approved", by="admin-1"))

    status = run(client, lambda: services(client).applier.apply(stale, asset, "webhook"))

    assert status is IntentStatus.PENDING
    assert intent(client, ticket["upload_id"]).moderation_status == "approved"
    assert ticket["public_id"] not in outbox_ids(client)
