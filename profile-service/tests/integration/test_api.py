import re
import time
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from profile_service.app import create_app
from profile_service.config import Settings
from tests.conftest import Client, TokenFactory, auth, wait_until_ready
from tests.integration.commands import COMMANDS
from tests.integration.helpers import post_notification, sign_upload, upload_notification

# Routes anyone may call: probes, metrics, the schema, Cloudinary's webhook (signed), public profiles.
PUBLIC = re.compile(r"^(/health|/ready|/metrics|/schema.*|/webhooks/cloudinary|/profiles/\{username:str\})$")


def test_every_route_outside_the_allow_list_needs_a_token(settings: Settings) -> None:
    app = create_app(settings)
    checked = 0
    with TestClient(app) as client:
        wait_until_ready(client)
        for route in app.routes:
            if PUBLIC.match(route.path):
                continue
            path = re.sub(r"\{[^}]+\}", "0123456789abcdef01234567", route.path)
            for method in sorted(getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}):
                response = client.request(method, path, headers={"Authorization": "Bearer nope"})
                bare = client.request(method, path)
                assert response.status_code == 401, (method, path, response.text)
                assert bare.status_code == 401, (method, path)
                assert bare.headers["content-type"] == "application/problem+json"
                checked += 1
    assert checked >= 7


def test_get_me_creates_the_profile_and_records_the_username(client: Client, token: TokenFactory) -> None:
    response = client.get("/profiles/me", headers=auth(token("u1", "alice")))

    assert response.status_code == 200
    assert response.json()["user_id"] == "u1"
    assert response.json()["username"] == "alice"
    assert response.json()["avatar"] is None
    assert client.get("/profiles/alice").json()["username"] == "alice"


def test_patch_me_persists_and_the_public_view_shows_it(client: Client, token: TokenFactory) -> None:
    bearer = token("u1", "alice")

    patched = client.patch("/profiles/me", json={"display_name": "Alice", "bio": "hello"}, headers=auth(bearer))

    assert patched.status_code == 200
    assert client.get("/profiles/me", headers=auth(bearer)).json()["display_name"] == "Alice"
    assert client.get("/profiles/alice").json() == {
        "username": "alice",
        "display_name": "Alice",
        "bio": "hello",
        "avatar": None,
        "location": "",
        "website": None,
    }


def test_get_me_is_not_shadowed_by_the_username_route(client: Client) -> None:
    assert client.get("/profiles/me").status_code == 401


def test_signing_returns_everything_the_browser_posts(client: Client, token: TokenFactory, settings: Settings) -> None:
    ticket = sign_upload(client, token("u1"))

    assert re.fullmatch(r"profiles/u1/[0-9a-f]{24}", ticket["public_id"])
    assert ticket["upload_url"] == "http://127.0.0.1:9/v1_1/test-cloud/image/upload"
    assert ticket["status_url"] == f"/profiles/me/avatar/uploads/{ticket['upload_id']}"
    assert set(ticket["fields"]) == {
        "allowed_formats",
        "api_key",
        "context",
        "eager",
        "eager_async",
        "notification_url",
        "overwrite",
        "public_id",
        "signature",
        "timestamp",
        "transformation",
    }
    assert ticket["fields"]["notification_url"] == settings.public_webhook_url
    status = client.get(ticket["status_url"], headers=auth(token("u1")))
    assert status.json()["status"] == "pending"


def test_signing_ignores_anything_the_client_sends(client: Client, token: TokenFactory) -> None:
    response = client.post(
        "/profiles/me/avatar/uploads", json={"public_id": "profiles/u2/mine", "folder": "x"}, headers=auth(token("u1"))
    )

    assert response.status_code == 201
    assert response.json()["public_id"].startswith("profiles/u1/")
    assert "folder" not in response.json()["fields"]


def test_another_users_upload_is_not_found(client: Client, token: TokenFactory) -> None:
    ticket = sign_upload(client, token("u1"))

    response = client.get(ticket["status_url"], headers=auth(token("u2")))

    assert response.status_code == 404


def test_policy_is_published(client: Client, token: TokenFactory) -> None:
    response = client.get("/profiles/me/avatar/policy", headers=auth(token("u1")))

    assert response.json() == {
        "formats": ["jpg", "png", "webp", "heic"],
        "max_bytes": 5_000_000,
        "min_dimension": 64,
        "max_dimension": 2048,
        "sizes": [64, 128, 256, 512],
        "upload_ttl_seconds": 600,
        "max_open_uploads": 5,
        "max_uploads_per_hour": 30,
        "upload_long_edge": 1024,
        "moderation": None,
    }


def test_policy_publishes_the_configured_upload_edge(settings: Settings, token: TokenFactory) -> None:
    wider = msgspec.structs.replace(settings, avatar_upload_long_edge=2048)

    with TestClient(create_app(wider)) as client:
        wait_until_ready(client)
        response = client.get("/profiles/me/avatar/policy", headers=auth(token("u1")))

    assert response.json()["upload_long_edge"] == 2048


def me(client: Client, bearer: str) -> dict[str, Any]:
    response = client.get("/profiles/me", headers=auth(bearer))
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_a_verified_upload_notification_sets_the_avatar(client: Client, token: TokenFactory) -> None:
    bearer = token("u1")
    ticket = sign_upload(client, bearer)

    response = post_notification(client, upload_notification(ticket["public_id"]))

    assert response.status_code == 200
    assert response.json() == {"status": "processed", "intent_status": "applied"}
    avatar = me(client, bearer)["avatar"]
    assert avatar["public_id"] == ticket["public_id"]
    assert avatar["version"] == 1700000000
    assert set(avatar["variants"]) == {"64", "128", "256", "512"}
    assert "/upload/c_fill,g_face,h_256,w_256/v1700000000/" in avatar["variants"]["256"]
    assert client.get(ticket["status_url"], headers=auth(bearer)).json()["status"] == "applied"


def test_the_status_of_a_pending_upload_reads_no_profile_and_of_an_applied_one_shows_the_picture(
    client: Client, token: TokenFactory, settings: Settings
) -> None:
    bearer = token("u1")
    ticket = sign_upload(client, bearer)

    with COMMANDS.recording(settings.database) as pending_commands:
        pending = client.get(ticket["status_url"], headers=auth(bearer)).json()
    post_notification(client, upload_notification(ticket["public_id"]))
    with COMMANDS.recording(settings.database) as applied_commands:
        applied = client.get(ticket["status_url"], headers=auth(bearer)).json()

    assert (pending["status"], pending["avatar"]) == ("pending", None)
    assert pending_commands == [("find", "upload_intents")]
    assert (applied["status"], applied["avatar"]["public_id"]) == ("applied", ticket["public_id"])
    assert applied_commands == [("find", "upload_intents"), ("find", "profiles")]


@pytest.mark.parametrize("how", ["forged", "stale", "future", "altered", "unsigned"])
def test_a_bad_notification_is_401_and_changes_nothing(client: Client, token: TokenFactory, how: str) -> None:
    bearer = token("u1")
    ticket = sign_upload(client, bearer)
    body = upload_notification(ticket["public_id"])
    if how == "forged":
        response = post_notification(client, body, secret="not-the-secret")
    elif how == "stale":
        response = post_notification(client, body, timestamp=int(time.time()) - 3601)
    elif how == "future":
        response = post_notification(client, body, timestamp=int(time.time()) + 600)
    elif how == "altered":
        import json

        from profile_service.avatars.signing import notification_signature
        from tests.conftest import API_SECRET

        sent_at = str(int(time.time()))
        signature = notification_signature(json.dumps(body).encode(), sent_at, API_SECRET)
        tampered = json.dumps({**body, "width": 4000}).encode()
        response = client.post(
            "/webhooks/cloudinary", content=tampered, headers={"X-Cld-Timestamp": sent_at, "X-Cld-Signature": signature}
        )
    else:
        response = client.post("/webhooks/cloudinary", json=body)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert me(client, bearer)["avatar"] is None
    assert client.get(ticket["status_url"], headers=auth(bearer)).json()["status"] == "pending"


def test_a_replayed_notification_changes_nothing(client: Client, token: TokenFactory) -> None:
    bearer = token("u1")
    ticket = sign_upload(client, bearer)
    body = upload_notification(ticket["public_id"])
    post_notification(client, body)
    before = me(client, bearer)

    again = post_notification(client, body)

    assert again.status_code == 200
    assert me(client, bearer) == before


def test_an_older_upload_arriving_after_a_newer_one_is_superseded(client: Client, token: TokenFactory) -> None:
    bearer = token("u1")
    older, newer = sign_upload(client, bearer), sign_upload(client, bearer)
    post_notification(client, upload_notification(newer["public_id"], version=2))

    late = post_notification(client, upload_notification(older["public_id"], version=1))

    assert late.json()["intent_status"] == "superseded"
    assert me(client, bearer)["avatar"]["public_id"] == newer["public_id"]
    assert client.get(older["status_url"], headers=auth(bearer)).json()["status"] == "superseded"


def test_a_newer_upload_replaces_the_current_one(client: Client, token: TokenFactory) -> None:
    bearer = token("u1")
    first, second = sign_upload(client, bearer), sign_upload(client, bearer)
    post_notification(client, upload_notification(first["public_id"], version=1))

    post_notification(client, upload_notification(second["public_id"], version=2))

    assert me(client, bearer)["avatar"]["public_id"] == second["public_id"]
    assert client.get(first["status_url"], headers=auth(bearer)).json()["status"] == "superseded"


def test_a_notification_for_an_unknown_public_id_is_acknowledged_and_ignored(client: Client) -> None:
    response = post_notification(client, upload_notification("profiles/u9/never-signed"))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"


def test_other_notification_types_are_acknowledged(client: Client) -> None:
    response = post_notification(client, {"notification_type": "rename", "public_id": "x"})

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"


@pytest.mark.parametrize(
    "overrides", [{"format": "gif"}, {"bytes": 50_000_000}, {"width": 10, "height": 10}, {"width": 5000}]
)
def test_an_upload_breaking_policy_is_rejected(client: Client, token: TokenFactory, overrides: dict[str, Any]) -> None:
    bearer = token("u1")
    ticket = sign_upload(client, bearer)

    response = post_notification(client, upload_notification(ticket["public_id"], **overrides))

    assert response.json()["intent_status"] == "rejected"
    assert me(client, bearer)["avatar"] is None
    status = client.get(ticket["status_url"], headers=auth(bearer)).json()
    assert status["status"] == "rejected"
    assert status["reason"]


def test_a_signed_but_malformed_notification_is_a_400(client: Client) -> None:
    response = post_notification(client, b"{not json")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_deleting_the_avatar_clears_it_and_older_uploads_cannot_revive_one(client: Client, token: TokenFactory) -> None:
    bearer = token("u1")
    ticket = sign_upload(client, bearer)
    post_notification(client, upload_notification(ticket["public_id"]))

    response = client.delete("/profiles/me/avatar", headers=auth(bearer))
    replay = post_notification(client, upload_notification(ticket["public_id"]))

    assert response.status_code == 204
    assert replay.json()["intent_status"] == "superseded"
    assert me(client, bearer)["avatar"] is None


def test_confirm_with_a_wrong_signature_is_a_400(client: Client, token: TokenFactory) -> None:
    bearer = token("u1")
    ticket = sign_upload(client, bearer)

    response = client.post(
        f"{ticket['status_url']}/confirm", json={"version": 1, "signature": "0" * 40}, headers=auth(bearer)
    )

    assert response.status_code == 400


@pytest.mark.parametrize("body", [{}, {"version": "x", "signature": "0" * 40}, {"version": 1, "signature": "zz"}, []])
def test_confirm_rejects_bad_input(client: Client, token: TokenFactory, body: object) -> None:
    bearer = token("u1")
    ticket = sign_upload(client, bearer)

    response = client.post(f"{ticket['status_url']}/confirm", json=body, headers=auth(bearer))

    assert response.status_code == 400


def test_metrics_are_served_in_prometheus_format(client: Client, token: TokenFactory) -> None:
    ticket = sign_upload(client, token("u1"))
    post_notification(client, upload_notification(ticket["public_id"]))
    post_notification(client, upload_notification(ticket["public_id"]), secret="forged")

    text = client.get("/metrics").text

    assert 'profile_upload_intents{status="applied"} 1.0' in text
    assert "profile_avatar_sign_to_applied_seconds_count" in text
    assert 'profile_webhook_signature_failures_total{reason="signature"} 1.0' in text
    assert "profile_outbox_depth" in text
    assert "profile_outbox_dead_letters" in text
    assert "profile_orphans_found_total" in text
    assert "profile_upload_intents_stuck_pending" in text
    # The service's own MongoDB client counts its commands: the sign inserted an intent, the apply read it.
    assert 'mongodb_commands_total{collection="upload_intents",command="insert"}' in text
    assert 'mongodb_commands_total{collection="upload_intents",command="find"}' in text


def test_a_json_number_is_not_a_boolean_in_a_preferences_change(client: Client, token: TokenFactory) -> None:
    # Litestar converts request data with strict=False, which took `0` for `false`; the schema says boolean.
    response = client.patch(
        "/profiles/me/preferences", json={"notifications": {"sms": 0}}, headers=auth(token("user-1", "alice"))
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"message": "Expected `bool`, got `int`", "key": "notifications.sms", "source": "body"}
    ]
