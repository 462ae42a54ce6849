"""Moderated profile pictures through the real processes (`PROFILE_MODERATION=manual`): a pending upload stays
out of every public answer (its Cloudinary URL included, since Cloudinary delivers pending assets) until it is
approved; a rejection destroys the asset and tells the owner why; the `moderation` notification and the admin
route decide in either order, duplicated and reordered, with the same outcome; an approved upload signed before a
newer applied one ends superseded; an admin takes a live picture down; a suspended user can neither sign in nor
refresh; and every admin route of both services refuses everyone but an admin."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devstack.mongo import MongoServer
from e2e.admin import (
    SERVICE_CLIENT,
    SERVICE_CLIENTS_ENV,
    USER_AUDIENCE_CLIENT,
    bearer,
    forged_admin_token,
    make_admin,
    self_signed_admin_token,
    service_token,
)
from e2e.conftest import running_stack
from e2e.evidence import server_errors
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
    status,
    upload,
    wait_for,
    wait_for_eager_notification,
    wait_for_status,
)
from e2e.stack import API_KEY, CLOUD_NAME, Stack
from service_kit.errors import problem_type

MODERATED_ENV = {
    "profile": {
        "PROFILE_MODERATION": "manual",
        "PROFILE_OUTBOX_POLL_SECONDS": "0.2",
        "PROFILE_OUTBOX_BACKOFF_SECONDS": "0.2",
    },
    "auth": SERVICE_CLIENTS_ENV,
    "emulator": {"EMULATOR_NOTIFICATION_TIME_SCALE": "0.003"},
}


@pytest.fixture(scope="module")
def stack(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One moderated stack for the module (every test uses accounts of its own)."""
    with running_stack(mongo_server, tmp_path_factory, **MODERATED_ENV) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack: Stack) -> User:
    """An administrator, made by auth-service's CLI."""
    return make_admin(stack)


@pytest.fixture(autouse=True)
def no_faults(stack: Stack) -> Iterator[None]:
    """Each test starts, and leaves the next one, with the emulator's faults off."""
    reset_emulator(stack)
    yield
    reset_emulator(stack)


# --- helpers -----------------------------------------------------------------------------------------------------


def pending_upload(stack: Stack, user: User, seed: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sign and upload; wait until the intent awaits moderation. The ticket and Cloudinary's upload response."""
    ticket = sign(stack, user)
    assert ticket["fields"]["moderation"] == "manual", ticket["fields"]
    response = upload(ticket, image_bytes(120, 120, seed=seed))
    assert response.status_code == 200, response.text
    asset: dict[str, Any] = response.json()
    assert asset["moderation"] == [{"kind": "manual", "status": "pending"}], asset
    wait_for_status(stack, user, ticket, "awaiting_moderation")
    wait_for_eager_notification(stack, ticket["public_id"])  # before a test switches a notification fault on
    return ticket, asset


def decide(stack: Stack, admin: User, upload_id: str, decision: str, reason: str | None = None) -> httpx.Response:
    """The admin route: approve, or reject with a reason."""
    return httpx.post(
        stack.url("profile", f"/admin/moderation/{upload_id}/{decision}"),
        headers=admin.headers,
        json={"reason": reason} if decision == "reject" else None,
        timeout=30,
    )


def decide_at_cloudinary(stack: Stack, public_id: str, moderation_status: str) -> dict[str, Any]:
    """Decide as a reviewer in Cloudinary's console would: the Admin API resource update, bypassing our route,
    so the `moderation` notification is the first our service hears of it."""
    response = httpx.post(
        stack.url("emulator", f"/v1_1/{CLOUD_NAME}/resources/image/upload/{public_id}"),
        data={"moderation_status": moderation_status},
        auth=(API_KEY, stack.api_secret),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    resource: dict[str, Any] = response.json()
    assert resource["moderation"][0]["status"] == moderation_status, resource
    return resource


def moderation_notifications(stack: Stack, public_id: str) -> list[dict[str, Any]]:
    """The emulator's `moderation` notifications for one asset (duplicates included)."""
    return [n for n in notifications(stack, public_id) if n["notification_type"] == "moderation"]


def delivered(stack: Stack, public_id: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait until `count` moderation notifications for the asset were answered 2xx by the webhook."""

    def enough() -> list[dict[str, Any]] | None:
        done = [n for n in moderation_notifications(stack, public_id) if n["status"] == "delivered"]
        return done if len(done) >= count else None

    return wait_for(f"{count} delivered moderation notification(s) for {public_id}", enough)


def public_answers(stack: Stack, user: User, viewer: User) -> list[str]:
    """Every public view of the user's profile, as raw text: anonymous and as another signed-in user."""
    texts = []
    for headers in ({}, viewer.headers):
        response = httpx.get(stack.url("profile", f"/profiles/{user.username}"), headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        assert "pending_avatar" not in response.json() and "moderation_notice" not in response.json()
        texts.append(response.text)
    return texts


def public_url(stack: Stack, user: User) -> str | None:
    """The picture URL the public view shows, or None."""
    response = httpx.get(stack.url("profile", f"/profiles/{user.username}"), timeout=30)
    assert response.status_code == 200, response.text
    avatar = response.json()["avatar"]
    return None if avatar is None else str(avatar["secure_url"])


def assert_never_public(stack: Stack, user: User, viewer: User, asset: dict[str, Any]) -> None:
    """Neither the asset's URL nor its public id appears in any public answer."""
    for text in public_answers(stack, user, viewer):
        assert asset["secure_url"] not in text and asset["url"] not in text, text
        assert asset["public_id"] not in text, text


def approved_live(stack: Stack, admin: User, user: User, seed: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    """A picture uploaded, approved through the route and live."""
    ticket, asset = pending_upload(stack, user, seed)
    response = decide(stack, admin, ticket["upload_id"], "approve")
    assert response.status_code == 200, response.text
    wait_for_status(stack, user, ticket, "applied")
    return ticket, asset


# --- pending, approved, rejected ---------------------------------------------------------------------------------


def test_a_pending_upload_stays_out_of_public_view_until_approved(stack: Stack, admin: User) -> None:
    owner, viewer = register(stack), register(stack)
    _, first = approved_live(stack, admin, owner, seed=1)
    assert profile(stack, owner)["avatar"]["public_id"] == first["public_id"]

    ticket, pending = pending_upload(stack, owner, seed=2)

    # Cloudinary (and the emulator) deliver a pending asset: our service is the only gate.
    assert httpx.get(pending["secure_url"], timeout=30).status_code == 200
    assert_never_public(stack, owner, viewer, pending)
    assert first["secure_url"] in public_answers(stack, owner, viewer)[0]
    mine = profile(stack, owner)
    assert mine["avatar"]["public_id"] == first["public_id"]
    assert mine["pending_avatar"]["upload_id"] == ticket["upload_id"]
    assert mine["pending_avatar"]["status"] == "pending"
    assert mine["pending_avatar"]["secure_url"] == pending["secure_url"]
    assert mine["moderation_notice"] is None

    response = decide(stack, admin, ticket["upload_id"], "approve")

    assert response.status_code == 200, response.text
    assert response.json() == {"upload_id": ticket["upload_id"], "status": "applied", "moderation_status": "approved"}
    assert pending["secure_url"] in public_answers(stack, owner, viewer)[0]
    mine = profile(stack, owner)
    assert mine["avatar"]["public_id"] == pending["public_id"] and mine["pending_avatar"] is None
    assert status(stack, owner, ticket)["status"] == "applied"
    # The replaced picture goes through the outbox, as any replaced picture does.
    wait_for("the replaced picture destroyed", lambda: not exists(stack, first["public_id"]))


def test_a_rejected_upload_is_destroyed_and_the_owner_told_why(stack: Stack, admin: User) -> None:
    owner, viewer = register(stack), register(stack)
    ticket, pending = pending_upload(stack, owner, seed=3)

    response = decide(stack, admin, ticket["upload_id"], "reject", "Not a picture of a person")

    assert response.status_code == 200, response.text
    assert response.json() == {"upload_id": ticket["upload_id"], "status": "rejected", "moderation_status": "rejected"}
    wait_for("the rejected asset destroyed at the emulator", lambda: not exists(stack, pending["public_id"]))
    current = status(stack, owner, ticket)
    assert (current["status"], current["reason"]) == ("rejected", "Not a picture of a person")
    mine = profile(stack, owner)
    assert mine["avatar"] is None and mine["pending_avatar"] is None
    notice = mine["moderation_notice"]
    assert (notice["kind"], notice["reason"], notice["upload_id"]) == (
        "rejected",
        "Not a picture of a person",
        ticket["upload_id"],
    )
    assert_never_public(stack, owner, viewer, pending)


def test_the_reviewers_reason_survives_the_notification_of_its_own_decision(stack: Stack, admin: User) -> None:
    # The route tells Cloudinary first, and Cloudinary's `moderation` notification (reason: only the kind) races
    # the route's own local decision; the reviewer's reason must win whichever lands first.
    owner = register(stack)
    tickets = [pending_upload(stack, owner, seed=40 + n)[0] for n in range(5)]

    for n, ticket in enumerate(tickets):
        assert decide(stack, admin, ticket["upload_id"], "reject", f"Reason {n}").status_code == 200

    for n, ticket in enumerate(tickets):
        delivered(stack, ticket["public_id"])
        assert status(stack, owner, ticket)["reason"] == f"Reason {n}"
    assert profile(stack, owner)["moderation_notice"]["reason"] == "Reason 4"


def test_a_newer_applied_picture_clears_the_rejection_notice(stack: Stack, admin: User) -> None:
    owner = register(stack)
    rejected, _ = pending_upload(stack, owner, seed=4)
    assert decide(stack, admin, rejected["upload_id"], "reject", "Blurry").status_code == 200
    assert profile(stack, owner)["moderation_notice"]["kind"] == "rejected"

    approved_live(stack, admin, owner, seed=5)

    assert profile(stack, owner)["moderation_notice"] is None


# --- the notification and the route, in both orders, duplicated, reordered ---------------------------------------


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_notification_first_then_the_same_decision_through_the_route(
    stack: Stack, admin: User, decision: str
) -> None:
    owner, viewer = register(stack), register(stack)
    ticket, pending = pending_upload(stack, owner, seed=6)
    outcome = "applied" if decision == "approve" else "rejected"

    decide_at_cloudinary(stack, pending["public_id"], "approved" if decision == "approve" else "rejected")
    delivered(stack, pending["public_id"])
    wait_for_status(stack, owner, ticket, outcome)
    again = decide(stack, admin, ticket["upload_id"], decision, "Reviewed at Cloudinary")
    opposite = decide(stack, admin, ticket["upload_id"], "reject" if decision == "approve" else "approve", "Too late")

    assert again.status_code == 200, again.text
    assert again.json()["status"] == outcome
    assert opposite.status_code == 409, opposite.text
    assert status(stack, owner, ticket)["status"] == outcome
    if decision == "approve":
        assert public_url(stack, owner) == pending["secure_url"]
    else:
        wait_for("the rejected asset destroyed", lambda: not exists(stack, pending["public_id"]))
        assert profile(stack, owner)["moderation_notice"]["kind"] == "rejected"
        assert_never_public(stack, owner, viewer, pending)


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_route_first_then_its_notification_duplicated(stack: Stack, admin: User, decision: str) -> None:
    owner, viewer = register(stack), register(stack)
    ticket, pending = pending_upload(stack, owner, seed=7)
    faults(stack, notification_duplicate=1)

    response = decide(stack, admin, ticket["upload_id"], decision, "Not allowed here")

    assert response.status_code == 200, response.text
    sent = delivered(stack, pending["public_id"], count=2)
    assert any(n["duplicate"] for n in sent), sent
    body = json.loads(sent[0]["body"])
    assert body["notification_type"] == "moderation"
    assert body["moderation_status"] == ("approved" if decision == "approve" else "rejected")
    outcome = "applied" if decision == "approve" else "rejected"
    assert status(stack, owner, ticket)["status"] == outcome
    repeated = decide(stack, admin, ticket["upload_id"], decision, "Not allowed here")
    assert (repeated.status_code, repeated.json()) == (200, response.json())
    if decision == "reject":
        wait_for("the rejected asset destroyed", lambda: not exists(stack, pending["public_id"]))
        assert_never_public(stack, owner, viewer, pending)
    else:
        assert profile(stack, owner)["avatar"]["public_id"] == pending["public_id"]


def test_reordered_moderation_notifications_leave_the_newest_approved_upload_live(stack: Stack) -> None:
    owner, viewer = register(stack), register(stack)
    older_ticket, older = pending_upload(stack, owner, seed=8)
    newer_ticket, newer = pending_upload(stack, owner, seed=9)
    # The first notification is held until the second has been sent: the older upload's approval lands last.
    faults(stack, notification_reorder=True)

    decide_at_cloudinary(stack, older["public_id"], "approved")
    decide_at_cloudinary(stack, newer["public_id"], "approved")
    delivered(stack, older["public_id"])
    delivered(stack, newer["public_id"])

    wait_for_status(stack, owner, newer_ticket, "applied")
    wait_for_status(stack, owner, older_ticket, "superseded")
    assert profile(stack, owner)["avatar"]["public_id"] == newer["public_id"]
    assert_never_public(stack, owner, viewer, older)
    wait_for("the superseded asset destroyed", lambda: not exists(stack, older["public_id"]))


def test_an_approved_upload_signed_before_a_newer_applied_one_ends_superseded(stack: Stack, admin: User) -> None:
    owner, viewer = register(stack), register(stack)
    older_ticket, older = pending_upload(stack, owner, seed=10)
    newer_ticket, newer = pending_upload(stack, owner, seed=11)
    assert decide(stack, admin, newer_ticket["upload_id"], "approve").status_code == 200

    response = decide(stack, admin, older_ticket["upload_id"], "approve")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "upload_id": older_ticket["upload_id"],
        "status": "superseded",
        "moderation_status": "approved",
    }
    assert status(stack, owner, older_ticket)["status"] == "superseded"
    assert profile(stack, owner)["avatar"]["public_id"] == newer["public_id"]
    assert_never_public(stack, owner, viewer, older)
    wait_for("the superseded asset destroyed", lambda: not exists(stack, older["public_id"]))


def test_the_queue_lists_pending_uploads_oldest_first_and_drops_decided_ones(stack: Stack, admin: User) -> None:
    owner = register(stack)
    first, _ = pending_upload(stack, owner, seed=12)
    second, _ = pending_upload(stack, owner, seed=13)

    def queued() -> list[str]:
        ids: list[str] = []
        cursor: str | None = None
        while True:
            params = {"status": "pending", "limit": "100", **({"cursor": cursor} if cursor else {})}
            response = httpx.get(stack.url("profile", "/admin/moderation"), params=params, headers=admin.headers)
            assert response.status_code == 200, response.text
            page = response.json()
            ids += [item["upload_id"] for item in page["items"] if item["user_id"] == owner.id]
            cursor = page["next_cursor"]
            if not cursor:
                return ids

    assert queued() == [first["upload_id"], second["upload_id"]]
    assert decide(stack, admin, first["upload_id"], "reject", "No").status_code == 200
    assert queued() == [second["upload_id"]]


# --- take-down ---------------------------------------------------------------------------------------------------


def test_an_admin_takes_a_live_picture_down(stack: Stack, admin: User) -> None:
    owner, viewer = register(stack), register(stack)
    _, live = approved_live(stack, admin, owner, seed=14)
    url = stack.url("profile", f"/admin/profiles/{owner.id}/avatar")

    response = httpx.request("DELETE", url, json={"reason": "Impersonation"}, headers=admin.headers, timeout=30)

    assert response.status_code == 204, response.text
    assert_never_public(stack, owner, viewer, live)
    mine = profile(stack, owner)
    assert mine["avatar"] is None
    assert (mine["moderation_notice"]["kind"], mine["moderation_notice"]["reason"]) == ("taken_down", "Impersonation")
    wait_for("the taken-down asset destroyed", lambda: not exists(stack, live["public_id"]))
    again = httpx.request("DELETE", url, json={"reason": "Impersonation"}, headers=admin.headers, timeout=30)
    assert again.status_code == 404, again.text


def test_every_admin_action_is_in_the_audit_logs_with_the_admin(stack: Stack, admin: User) -> None:
    owner = register(stack)
    ticket, _ = pending_upload(stack, owner, seed=15)
    assert decide(stack, admin, ticket["upload_id"], "reject", "Audited").status_code == 200

    moderation = httpx.get(stack.url("profile", "/admin/moderation/audit"), headers=admin.headers, timeout=30)
    users = httpx.get(stack.url("auth", "/admin/audit"), headers=admin.headers, timeout=30)

    assert moderation.status_code == 200, moderation.text
    entry = next(e for e in moderation.json()["entries"] if e["upload_id"] == ticket["upload_id"])
    assert (entry["action"], entry["actor_id"], entry["target_user_id"], entry["reason"]) == (
        "upload.rejected",
        admin.id,
        owner.id,
        "Audited",
    )
    assert users.status_code == 200, users.text
    granted = [e for e in users.json()["entries"] if e["action"] == "role.granted" and e["target_id"] == admin.id]
    assert granted and granted[0]["actor_id"] == "cli", users.json()


# --- suspension --------------------------------------------------------------------------------------------------


def test_a_suspended_user_can_neither_sign_in_nor_refresh_until_unsuspended(stack: Stack, admin: User) -> None:
    user = register(stack)
    with httpx.Client(timeout=30) as browser:
        signed_in = browser.post(
            stack.url("auth", "/auth/login"), json={"login": user.username, "password": user.password}
        )
        assert signed_in.status_code == 200, signed_in.text
        assert browser.post(stack.url("auth", "/auth/refresh")).status_code == 200

        suspended = httpx.post(
            stack.url("auth", f"/admin/users/{user.id}/suspend"),
            json={"reason": "Spam"},
            headers=admin.headers,
            timeout=30,
        )
        login = httpx.post(
            stack.url("auth", "/auth/login"), json={"login": user.username, "password": user.password}, timeout=30
        )
        refresh = browser.post(stack.url("auth", "/auth/refresh"))

        assert suspended.status_code == 200, suspended.text
        assert suspended.json()["suspended"]["reason"] == "Spam"
        assert suspended.json()["suspended"]["by"] == admin.id
        for answer in (login, refresh):
            assert answer.status_code == 403, answer.text
            problem = answer.json()
            assert problem["type"] == problem_type("account-suspended"), problem
            assert problem["detail"] == "This account is suspended: Spam"
            assert problem["reason"] == "Spam"

        unsuspended = httpx.post(
            stack.url("auth", f"/admin/users/{user.id}/unsuspend"), headers=admin.headers, timeout=30
        )
        assert unsuspended.status_code == 200, unsuspended.text
        assert unsuspended.json()["suspended"] is None
        again = httpx.post(
            stack.url("auth", "/auth/login"), json={"login": user.username, "password": user.password}, timeout=30
        )
        assert again.status_code == 200, again.text
        # The sessions the suspension revoked stay revoked.
        assert browser.post(stack.url("auth", "/auth/refresh")).status_code in (401, 403)


# --- who may call the admin routes -------------------------------------------------------------------------------

UNKNOWN = "00000000-0000-4000-8000-000000000000"
ADMIN_ROUTES = [
    ("auth", "GET", "/admin/users", None),
    ("auth", "GET", f"/admin/users/{UNKNOWN}", None),
    ("auth", "POST", f"/admin/users/{UNKNOWN}/suspend", {"reason": "x"}),
    ("auth", "POST", f"/admin/users/{UNKNOWN}/unsuspend", None),
    ("auth", "GET", "/admin/audit", None),
    ("profile", "GET", "/admin/moderation?status=pending", None),
    ("profile", "POST", f"/admin/moderation/{UNKNOWN}/approve", None),
    ("profile", "POST", f"/admin/moderation/{UNKNOWN}/reject", {"reason": "x"}),
    ("profile", "DELETE", f"/admin/profiles/{UNKNOWN}/avatar", {"reason": "x"}),
    ("profile", "GET", "/admin/moderation/audit", None),
]


def call(stack: Stack, route: tuple[str, str, str, Any], headers: dict[str, str]) -> httpx.Response:
    service, method, path, body = route
    return httpx.request(method, stack.url(service, path), json=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def callers(stack: Stack) -> dict[str, dict[str, str]]:
    """Authorization headers of everyone who is not an admin: a user; the user's token with a forged `role`, its
    signature kept or re-signed with a key of our own under the real `kid`; service tokens for the internal
    audience and for the user tokens' own audience; and nobody at all."""
    user = register(stack)
    return {
        "anonymous": {},
        "user": user.headers,
        "forged": bearer(forged_admin_token(user)),
        "self_signed": bearer(self_signed_admin_token(user)),
        "service_internal": bearer(service_token(stack, SERVICE_CLIENT)),
        "service_same_audience": bearer(service_token(stack, USER_AUDIENCE_CLIENT)),
    }


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda r: f"{r[0]} {r[1]} {r[2].split('?')[0]}")
def test_an_admin_route_refuses_everyone_but_an_admin(
    stack: Stack, admin: User, callers: dict[str, dict[str, str]], route: tuple[str, str, str, Any]
) -> None:
    answers = {who: call(stack, route, headers) for who, headers in callers.items()}
    as_admin = call(stack, route, admin.headers)

    assert answers["anonymous"].status_code == 401, answers["anonymous"].text
    assert answers["user"].status_code == 403, answers["user"].text
    assert answers["user"].json()["type"] == problem_type("admin-required"), answers["user"].json()
    assert answers["forged"].status_code == 401, answers["forged"].text
    assert answers["self_signed"].status_code == 401, answers["self_signed"].text
    # A token for another audience does not verify at all (401); one for ours carries no role (403).
    assert answers["service_internal"].status_code in (401, 403), answers["service_internal"].text
    assert answers["service_same_audience"].status_code == 403, answers["service_same_audience"].text
    assert answers["service_same_audience"].json()["type"] == problem_type("admin-required")
    # The admin gets past the check: an answer about the (unknown) target, never a refusal.
    assert as_admin.status_code in (200, 404), as_admin.text


def test_the_module_left_no_server_error_in_the_logs(stack: Stack) -> None:
    assert server_errors(stack) == []
