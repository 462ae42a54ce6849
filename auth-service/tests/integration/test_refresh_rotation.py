"""Refresh rotation on the family document: a token names its family, a rotation is one compare-and-set there,
reuse is recognised from the spent hashes, and tokens issued before (one `refresh_tokens` document each) still
rotate once into the new kind."""

import secrets
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from auth_service.config import Settings
from auth_service.sessions.schemas import RefreshToken
from auth_service.sessions.service import hash_refresh_token
from tests.conftest import FakeClock, bearer, login, refresh, register, stored

Client = TestClient[Litestar]


def commands(client: Client) -> dict[tuple[str, str], int]:
    """The commands the service's own MongoDB client has sent so far, by (command name, collection)."""
    return dict(client.app.state.services.mongo.commands.by_collection)


def family_of_token(client: Client, refresh_token: str) -> dict[str, Any]:
    (family,) = stored(client, "sessions", {"_id": refresh_token.split(".", 1)[0]})
    return family


def test_a_refresh_token_names_its_family_which_holds_only_its_hash(client: Client) -> None:
    register(client)
    _, refresh_token = login(client)

    family = family_of_token(client, refresh_token)

    assert family["token_hash"] == hash_refresh_token(refresh_token)
    assert refresh_token not in str(family)
    assert stored(client, "refresh_tokens") == []


def test_a_rotation_costs_the_family_compare_and_set_and_the_account_read(client: Client) -> None:
    register(client)
    _, refresh_token = login(client)
    before = commands(client)

    rotated = refresh(client, refresh_token)

    after = commands(client)
    grown = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
    assert rotated.status_code == 200
    assert grown == {("findAndModify", "sessions"): 1, ("find", "users"): 1}


def test_a_spent_token_presented_again_ends_the_session(client: Client) -> None:
    register(client)
    _, first = login(client)
    second = refresh(client, first).cookies["refresh_token"]

    replayed = refresh(client, first)
    after_replay = refresh(client, second)

    assert replayed.status_code == 401
    assert after_replay.status_code == 401  # the whole family ended, the thief's copy and the victim's alike
    assert family_of_token(client, second)["revoked_at"] is not None


def test_a_made_up_secret_for_a_real_session_is_refused_without_ending_it(client: Client) -> None:
    register(client)
    _, refresh_token = login(client)
    family_id = refresh_token.split(".", 1)[0]  # not secret: every access token carries it as `sid`

    forged = refresh(client, f"{family_id}.{secrets.token_urlsafe(32)}")
    logout = client.post("/auth/logout", headers={"Cookie": f"refresh_token={family_id}.forged"})
    genuine = refresh(client, refresh_token)

    assert forged.status_code == 401
    assert logout.status_code == 204
    assert genuine.status_code == 200


def test_signing_out_with_a_token_another_tab_rotated_ends_the_session(client: Client) -> None:
    register(client)
    _, first = login(client)
    second = refresh(client, first).cookies["refresh_token"]

    client.post("/auth/logout", headers={"Cookie": f"refresh_token={first}"})

    assert refresh(client, second).status_code == 401


def test_a_token_issued_before_rotates_once_into_one_its_family_holds(client: Client) -> None:
    register(client)
    access, current = login(client)
    family_id = current.split(".", 1)[0]
    me = client.get("/auth/me", headers=bearer(access)).json()
    # A session as the previous version stored it: the family without a token hash, the token in its collection.
    legacy = secrets.token_urlsafe(32)
    services = client.app.state.services
    (family,) = stored(client, "sessions", {"_id": family_id})
    token = RefreshToken(
        id=hash_refresh_token(legacy),
        family_id=family_id,
        user_id=me["id"],
        created_at=family["created_at"],
        expires_at=family["expires_at"],
    )

    async def downgrade() -> None:
        await services.mongo.db["sessions"].update_one({"_id": family_id}, {"$unset": {"token_hash": ""}})
        await services.sessions._refresh_tokens.insert(token)

    client.blocking_portal.call(downgrade)

    rotated = refresh(client, legacy)
    successor = rotated.cookies["refresh_token"]
    again = refresh(client, successor)

    assert rotated.status_code == 200
    assert successor.startswith(f"{family_id}.")
    assert again.status_code == 200
    (claimed,) = stored(client, "refresh_tokens")
    assert claimed["rotated_at"] is not None
    # Presenting the old kind again is a reuse as before: the session ends.
    assert refresh(client, legacy).status_code == 401
    assert refresh(client, again.cookies["refresh_token"]).status_code == 401


def test_an_expired_session_does_not_rotate(client: Client, clock: FakeClock, settings: Settings) -> None:
    register(client)
    _, refresh_token = login(client)
    lifetime = timedelta(days=settings.refresh_token_ttl_days).total_seconds()
    clock.advance(lifetime + 1)
    try:
        assert refresh(client, refresh_token).status_code == 401
    finally:
        clock.advance(-(lifetime + 1))
