"""`POST /internal/profiles/lookup` and the internal routes' token rules: service tokens of the internal audience
with `profiles:read` only (401 without a valid token, 403 `scope-required` for any other valid token), the public
views of many users in one query, private ones reduced to their visibility, deleted and unknown ones missing, and
a strong ETag honoured by `If-None-Match`."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from profile_service.app import create_app
from profile_service.config import Settings
from profile_service.services import build
from tests.conftest import Client, TokenFactory, auth, wait_until_ready
from tests.fakes import FakeAssets
from tests.integration.commands import COMMANDS
from tests.integration.helpers import post_notification, sign_upload, upload_notification

INTERNAL = "profile-service-internal"
LOOKUP = "/internal/profiles/lookup"
CHANGES = "/internal/profiles/changes"
SCOPE_REQUIRED = "urn:profile-pictures:problem:scope-required"


@pytest.fixture
def client(settings: Settings) -> Iterator[Client]:
    """The app with Cloudinary replaced by an in-memory store (account deletion lists the user's assets)."""
    with TestClient(create_app(services=build(settings, assets=FakeAssets()))) as test_client:
        wait_until_ready(test_client)
        yield test_client


def service_token(token: TokenFactory, audience: str = INTERNAL, scope: str | None = "profiles:read") -> str:
    return token("comments-service", aud=audience, scope=scope, username=None)


def reader(token: TokenFactory) -> dict[str, str]:
    return auth(service_token(token))


def set_avatar(client: Client, bearer: str, version: int = 1700000000) -> dict[str, Any]:
    ticket = sign_upload(client, bearer)
    response = post_notification(client, upload_notification(ticket["public_id"], version=version))
    assert response.status_code == 200, response.text
    return ticket


@pytest.mark.parametrize(
    ("how", "status"),
    [
        ("no token", 401),
        ("garbage", 401),
        ("expired", 401),
        ("user token", 403),
        ("other audience", 403),
        ("no scope", 403),
        ("other scope", 403),
        ("read scope", 200),
    ],
)
@pytest.mark.parametrize("route", ["lookup", "changes"])
def test_internal_read_routes_need_the_read_scope(
    client: Client, token: TokenFactory, how: str, status: int, route: str
) -> None:
    headers = {
        "no token": {},
        "garbage": auth("not-a-jwt"),
        "expired": auth(token("comments-service", aud=INTERNAL, scope="profiles:read", exp=int(time.time()) - 60)),
        "user token": auth(token("u1", "alice")),
        "other audience": auth(service_token(token, audience="billing-service")),
        "no scope": auth(service_token(token, scope=None)),
        "other scope": auth(service_token(token, scope="profiles:delete")),
        "read scope": reader(token),
    }[how]

    if route == "lookup":
        response = client.post(LOOKUP, json={"user_ids": ["u1"]}, headers=headers)
    else:
        response = client.get(CHANGES, headers=headers)

    assert response.status_code == status, response.text
    if status != 200:
        assert response.headers["content-type"] == "application/problem+json"
    if status == 403:
        assert response.json()["type"] == SCOPE_REQUIRED
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_lookup_answers_public_views_private_ones_reduced_and_unknown_missing(
    client: Client, token: TokenFactory
) -> None:
    alice, bob, carol = token("u1", "alice"), token("u2", "bob"), token("u3", "carol")
    ticket = set_avatar(client, alice)
    assert client.patch("/profiles/me", json={"display_name": "Alice"}, headers=auth(alice)).status_code == 200
    client.get("/profiles/me", headers=auth(bob))
    set_avatar(client, carol)
    assert client.patch("/profiles/me", json={"visibility": "private"}, headers=auth(carol)).status_code == 200

    response = client.post(LOOKUP, json={"user_ids": ["u3", "u1", "nobody", "u2", "u1"]}, headers=reader(token))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["missing"] == ["nobody"]
    assert sorted(body["profiles"]) == ["u1", "u2", "u3"]
    avatar = body["profiles"]["u1"].pop("avatar")
    assert body["profiles"]["u1"] == {"username": "alice", "display_name": "Alice", "visibility": "public"}
    assert set(avatar) == {"secure_url", "version", "width", "height", "variants"}
    assert ticket["public_id"] in avatar["secure_url"]
    assert avatar["version"] == 1700000000
    assert body["profiles"]["u2"] == {"username": "bob", "display_name": None, "avatar": None, "visibility": "public"}
    assert body["profiles"]["u3"] == {"username": None, "display_name": None, "avatar": None, "visibility": "private"}


def test_lookup_lists_a_deleted_account_as_missing(client: Client, token: TokenFactory) -> None:
    client.get("/profiles/me", headers=auth(token("u1", "alice")))
    deleter = auth(service_token(token, scope="profiles:delete"))
    assert client.delete("/internal/users/u1", headers=deleter).status_code == 204

    response = client.post(LOOKUP, json={"user_ids": ["u1"]}, headers=reader(token))

    assert response.status_code == 200
    assert response.json() == {"profiles": {}, "missing": ["u1"]}


@pytest.mark.parametrize(
    "body",
    [
        {"user_ids": []},
        {"user_ids": [f"u{i}" for i in range(101)]},
        {"user_ids": ["has space"]},
        {"user_ids": [""]},
        {"user_ids": ["x" * 65]},
        {"user_ids": [1]},
        {"user_ids": ["u1"], "extra": True},
        {},
        [],
    ],
)
def test_lookup_refuses_malformed_bodies(client: Client, token: TokenFactory, body: Any) -> None:
    response = client.post(LOOKUP, json=body, headers=reader(token))

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_lookup_of_100_ids_is_accepted(client: Client, token: TokenFactory) -> None:
    response = client.post(LOOKUP, json={"user_ids": [f"u{i}" for i in range(100)]}, headers=reader(token))

    assert response.status_code == 200
    assert len(response.json()["missing"]) == 100


def test_lookup_etag_answers_304_until_a_profile_changes(client: Client, token: TokenFactory) -> None:
    alice = auth(token("u1", "alice"))
    client.get("/profiles/me", headers=alice)
    body = {"user_ids": ["u1", "nobody"]}
    first = client.post(LOOKUP, json=body, headers=reader(token))
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")

    again = client.post(LOOKUP, json={"user_ids": ["nobody", "u1", "u1"]}, headers=reader(token))
    unchanged = client.post(LOOKUP, json=body, headers={**reader(token), "If-None-Match": f'"other", {etag}'})
    assert client.patch("/profiles/me", json={"display_name": "Alice"}, headers=alice).status_code == 200
    changed = client.post(LOOKUP, json=body, headers={**reader(token), "If-None-Match": etag})

    assert again.headers["etag"] == etag
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["profiles"]["u1"]["display_name"] == "Alice"


def test_lookup_of_100_users_is_one_round_trip(settings: Settings, token: TokenFactory) -> None:
    with TestClient(create_app(services=build(settings))) as client:
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the app never became ready"
            time.sleep(0.02)
        for i in range(60):
            client.get("/profiles/me", headers=auth(token(f"u{i}", f"user{i}")))
        ids = [f"u{i}" for i in range(100)]
        with COMMANDS.recording(settings.database) as seen:
            response = client.post(LOOKUP, json={"user_ids": ids}, headers=reader(token))

    assert response.status_code == 200
    assert len(response.json()["profiles"]) == 60
    assert seen == [("find", "profiles")]
