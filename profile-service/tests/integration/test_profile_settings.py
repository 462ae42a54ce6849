"""Profile fields, preferences and privacy through the whole app against the session's MongoDB."""

import time
from typing import Any

from pymongo import MongoClient

from profile_service.config import Settings
from tests.conftest import Client, TokenFactory, auth
from tests.integration.helpers import post_notification, sign_upload, upload_notification


def me(client: Client, bearer: str) -> dict[str, Any]:
    response = client.get("/profiles/me", headers=auth(bearer))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_new_profile_has_default_fields_preferences_and_is_public(client: Client, token: TokenFactory) -> None:
    profile = me(client, token("u1", "alice"))

    assert profile["location"] == ""
    assert profile["website"] is None
    assert profile["visibility"] == "public"
    assert profile["preferences"] == {"theme": "system", "notifications": {"email": True, "sms": False}}


def test_fields_are_stored_and_returned(client: Client, token: TokenFactory) -> None:
    bearer = token("u1", "alice")
    body = {"display_name": "Alice", "location": "1 Main St\nSpringfield", "website": "https://alice.example/me"}

    patched = client.patch("/profiles/me", json=body, headers=auth(bearer))

    assert patched.status_code == 200
    assert {k: me(client, bearer)[k] for k in body} == body
    assert client.get("/profiles/alice").json()["website"] == "https://alice.example/me"
    cleared = client.patch("/profiles/me", json={"website": ""}, headers=auth(bearer))
    assert cleared.json()["website"] is None
    assert cleared.json()["location"] == "1 Main St\nSpringfield"


def test_preferences_change_partially_and_booleans_survive_the_round_trip(client: Client, token: TokenFactory) -> None:
    bearer = token("u1", "alice")

    client.patch("/profiles/me", json={"preferences": {"theme": "dark"}}, headers=auth(bearer))
    first = client.patch(
        "/profiles/me/preferences", json={"notifications": {"sms": True, "email": False}}, headers=auth(bearer)
    )
    second = client.patch("/profiles/me/preferences", json={"notifications": {"email": True}}, headers=auth(bearer))

    assert first.status_code == 200
    assert first.json() == {"theme": "dark", "notifications": {"email": False, "sms": True}}
    assert second.json() == {"theme": "dark", "notifications": {"email": True, "sms": True}}
    assert client.get("/profiles/me/preferences", headers=auth(bearer)).json() == second.json()
    assert me(client, bearer)["preferences"] == second.json()


def test_preferences_are_not_public(client: Client, token: TokenFactory) -> None:
    me(client, token("u1", "alice"))

    assert "preferences" not in client.get("/profiles/alice").json()
    assert client.get("/profiles/me/preferences").status_code == 401


def test_bad_preferences_are_400_problems_and_change_nothing(client: Client, token: TokenFactory) -> None:
    bearer = token("u1", "alice")

    for body in ({"theme": "neon"}, {"notifications": {"email": "maybe"}}, {"language": "fr"}, [1]):
        response = client.patch("/profiles/me/preferences", json=body, headers=auth(bearer))
        assert response.status_code == 400, body
        assert response.headers["content-type"] == "application/problem+json"
    assert me(client, bearer)["preferences"]["theme"] == "system"


def test_a_private_profile_is_404_to_everyone_but_its_owner(client: Client, token: TokenFactory) -> None:
    owner = token("u1", "alice")
    me(client, token("u2", "bob"))
    client.patch("/profiles/me", json={"visibility": "private", "bio": "secret"}, headers=auth(owner))

    anonymous = client.get("/profiles/alice")
    other = client.get("/profiles/alice", headers=auth(token("u2", "bob")))
    forged = client.get("/profiles/alice", headers=auth(token("u1", "alice", aud="someone-else")))
    own = client.get("/profiles/alice", headers=auth(owner))

    assert (anonymous.status_code, other.status_code, forged.status_code) == (404, 404, 404)
    assert anonymous.json() == {**anonymous.json(), "detail": "There is no profile with this username."}
    assert client.get("/profiles/nobody").json()["detail"] == anonymous.json()["detail"]  # indistinguishable
    assert own.status_code == 200
    assert own.json()["bio"] == "secret"
    assert client.get("/profiles/bob").status_code == 200  # public profiles stay visible to anyone


def test_a_private_profiles_avatar_is_not_listed_publicly_until_it_is_public_again(
    client: Client, token: TokenFactory
) -> None:
    owner = token("u1", "alice")
    ticket = sign_upload(client, owner)
    post_notification(client, upload_notification(ticket["public_id"]))
    client.patch("/profiles/me", json={"visibility": "private"}, headers=auth(owner))

    hidden = client.get("/profiles/alice", headers=auth(token("u2", "bob")))
    client.patch("/profiles/me", json={"visibility": "public"}, headers=auth(owner))
    shown = client.get("/profiles/alice")

    assert hidden.status_code == 404
    assert ticket["public_id"] not in hidden.text
    assert shown.json()["avatar"]["secure_url"].endswith(ticket["public_id"] + ".jpg")


def test_turning_private_hides_a_cached_public_view_at_once(client: Client, token: TokenFactory) -> None:
    owner = token("owner-c", "carol")
    client.get("/profiles/me", headers=auth(owner))
    assert client.get("/profiles/carol").status_code == 200  # now in this instance's public-view cache

    client.patch("/profiles/me", json={"visibility": "private"}, headers=auth(owner))

    assert client.get("/profiles/carol").status_code == 404
    assert client.get("/profiles/carol", headers=auth(owner)).status_code == 200


def test_a_write_this_instance_did_not_see_shows_within_a_second(
    client: Client, token: TokenFactory, settings: Settings
) -> None:
    client.get("/profiles/me", headers=auth(token("owner-d", "dave")))
    assert client.get("/profiles/dave").json()["bio"] == ""
    with MongoClient[dict[str, Any]](settings.mongodb_uri, serverSelectionTimeoutMS=2000) as other:
        # Another instance (or reconciliation) writes: nothing invalidates this instance's cache.
        other[settings.database]["profiles"].update_one({"_id": "owner-d"}, {"$set": {"bio": "elsewhere"}})
    written = time.monotonic()

    while client.get("/profiles/dave").json()["bio"] != "elsewhere":
        assert time.monotonic() - written < settings.read_cache_seconds + 0.5, "stale beyond the cache's ttl"
