"""`GET /profiles/me` from each instance's cache, and the owner reading their own writes through any instance
(`profiles/cache.py`, `profiles/freshness.py`). Two apps on one database stand for two instances."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from pymongo import MongoClient

from profile_service.app import create_app
from profile_service.config import Settings
from profile_service.profiles.freshness import COOKIE
from tests.conftest import Client, TokenFactory, auth, wait_until_ready
from tests.integration.helpers import post_notification, sign_upload, upload_notification


@pytest.fixture
def other(settings: Settings) -> Iterator[Client]:
    """A second instance of the service on the same database, with caches of its own."""
    with TestClient(create_app(settings)) as test_client:
        wait_until_ready(test_client)
        yield test_client


def me(client: Client, bearer: str, marker: str | None = None) -> dict[str, Any]:
    """GET /profiles/me as a browser holding only `marker` (the write marker's value) would."""
    client.cookies.clear()
    if marker is not None:
        client.cookies.set(COOKIE, marker)
    response = client.get("/profiles/me", headers=auth(bearer))
    assert response.status_code == 200, response.text
    assert "set-cookie" not in response.headers, "a read must not mark a write"
    profile: dict[str, Any] = response.json()
    return profile


def bio(client: Client, bearer: str, marker: str | None = None) -> str:
    return str(me(client, bearer, marker)["bio"])


def test_the_owner_reads_their_own_write_through_another_instance(
    client: Client, other: Client, token: TokenFactory
) -> None:
    bearer = token("u1", "alice")
    bio(other, bearer)  # creates the profile (a write: not cached)
    assert bio(other, bearer) == ""  # now in the other instance's cache

    saved = client.patch("/profiles/me", json={"bio": "saved"}, headers=auth(bearer))
    marker = saved.cookies[COOKIE]

    # Without the marker the other instance still serves what it cached (it saw no write): the cache is real.
    assert bio(other, bearer) == ""
    # With it, the owner's next read there goes to the database.
    assert bio(other, bearer, marker) == "saved"


def test_a_write_on_the_same_instance_shows_at_once_without_the_marker(client: Client, token: TokenFactory) -> None:
    bearer = token("u1", "alice")
    bio(client, bearer)
    assert bio(client, bearer) == ""  # cached

    client.patch("/profiles/me", json={"bio": "here"}, headers=auth(bearer))

    assert bio(client, bearer) == "here"


def test_an_avatar_applied_by_the_webhook_on_one_instance_shows_to_its_owner_on_another(
    client: Client, other: Client, token: TokenFactory
) -> None:
    bearer = token("u1", "alice")
    ticket = sign_upload(other, bearer)  # creates the profile
    assert me(other, bearer)["avatar"] is None  # now cached there

    assert post_notification(client, upload_notification(ticket["public_id"])).status_code == 200
    polled = other.get(ticket["status_url"], headers=auth(bearer))  # the browser polls its upload's status
    assert polled.json()["status"] == "applied"

    assert me(other, bearer)["avatar"] is None  # what the cache holds
    assert me(other, bearer, polled.cookies[COOKIE])["avatar"]["public_id"] == ticket["public_id"]


def test_another_instances_write_shows_within_the_ttl_even_without_the_marker(
    client: Client, token: TokenFactory, settings: Settings
) -> None:
    bearer = token("u1", "alice")
    bio(client, bearer)
    assert bio(client, bearer) == ""  # cached
    with MongoClient[dict[str, Any]](settings.mongodb_uri, serverSelectionTimeoutMS=2000) as elsewhere:
        elsewhere[settings.database]["profiles"].update_one({"_id": "u1"}, {"$set": {"bio": "elsewhere"}})
    written = time.monotonic()

    while bio(client, bearer) != "elsewhere":
        assert time.monotonic() - written < settings.read_cache_seconds + 0.5, "stale beyond the cache's ttl"


def test_successful_writes_and_upload_statuses_set_the_marker_and_failures_do_not(
    client: Client, token: TokenFactory
) -> None:
    bearer = token("u1", "alice")
    client.cookies.clear()

    saved = client.patch("/profiles/me", json={"display_name": "Alice"}, headers=auth(bearer))
    refused = client.patch("/profiles/me", json={"bio": "x" * 10_000}, headers=auth(bearer))
    ticket = sign_upload(client, bearer)
    polled = client.get(ticket["status_url"], headers=auth(bearer))
    preferences = client.get("/profiles/me/preferences", headers=auth(bearer))

    header = saved.headers["set-cookie"]
    assert header.startswith(f"{COOKIE}=")
    attributes = {part.strip() for part in header.split(";")}
    assert {"Path=/profiles/me", "Max-Age=2", "HttpOnly", "SameSite=Lax"} <= attributes
    assert "Secure" not in header  # plain http here; set over https
    assert refused.status_code == 400
    assert "set-cookie" not in refused.headers
    assert COOKIE in polled.cookies
    assert "set-cookie" not in preferences.headers


def test_cache_lookups_are_counted_at_metrics(client: Client, token: TokenFactory) -> None:
    bearer = token("u1", "alice")
    saved = client.patch("/profiles/me", json={"bio": "x"}, headers=auth(bearer))  # creates the profile
    me(client, bearer)  # miss, then cached
    me(client, bearer)  # hit
    me(client, bearer, saved.cookies[COOKIE])  # skipped: the owner just wrote

    text = client.get("/metrics").text

    for result in ("miss", "hit", "skipped"):
        assert f'profile_read_cache_total{{result="{result}",view="me"}} 1.0' in text, text


@pytest.mark.parametrize("marker", ["", "soon", "-1", "9" * 5000, "1e3"])
def test_a_malformed_marker_is_ignored(client: Client, token: TokenFactory, marker: str) -> None:
    bearer = token("u1", "alice")

    assert bio(client, bearer, marker) == ""
