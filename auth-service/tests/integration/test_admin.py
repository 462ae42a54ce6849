"""The admin routes over HTTP: who may call them, search and keyset paging, one account, and the audit log."""

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from litestar.testing import TestClient

from auth_service.admin.guard import ADMIN_REQUIRED
from service_kit.clock import utc_now
from tests.conftest import CLIENT_ID, CLIENT_SECRET, ISSUER, KID, FakeClock, bearer, login, refresh, register, stored

Client = TestClient[Litestar]

# Every admin route, with a body where it takes one; `{id}` is replaced by a real account's id.
ROUTES = [
    ("GET", "/admin/users", None),
    ("GET", "/admin/users/{id}", None),
    ("POST", "/admin/users/{id}/suspend", {"reason": "spam"}),
    ("POST", "/admin/users/{id}/unsuspend", None),
    ("GET", "/admin/audit", None),
]


def set_role(client: Client, user_id: str, role: str) -> None:
    """Store a role the way the grant-role CLI does (the CLI itself is tested as a process elsewhere)."""
    services = client.app.state.services
    client.blocking_portal.call(lambda: services.users.set_role(user_id, role, now=services.clock()))


def admin_token(client: Client, email: str = "root@example.com", username: str = "root") -> tuple[str, str]:
    """Register an account, make it an admin and sign in; (its id, an access token carrying `role: admin`)."""
    user = register(client, email=email, username=username)
    set_role(client, user["id"], "admin")
    token, _ = login(client, username)
    return user["id"], token


def call(client: Client, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.request(method, path, json=body, headers=headers)


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_admin_routes_refuse_a_request_without_a_token(client: Client, method: str, path: str, body: Any) -> None:
    user = register(client)

    response = call(client, method, path.format(id=user["id"]), body, {})

    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_admin_routes_refuse_a_user_token(client: Client, method: str, path: str, body: Any) -> None:
    user = register(client)
    token, _ = login(client)

    response = call(client, method, path.format(id=user["id"]), body, bearer(token))

    assert response.status_code == 403, response.text
    assert response.json()["type"] == ADMIN_REQUIRED
    assert stored(client, "users")[0].get("suspended") is None


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_admin_routes_refuse_a_service_token(client: Client, method: str, path: str, body: Any) -> None:
    user = register(client)
    issued = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert issued.status_code == 200, issued.text

    response = call(client, method, path.format(id=user["id"]), body, bearer(issued.json()["access_token"]))

    assert response.status_code == 403, response.text
    assert response.json()["type"] == ADMIN_REQUIRED


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_admin_routes_refuse_a_role_admin_claim_signed_by_another_key(
    client: Client, method: str, path: str, body: Any
) -> None:
    user = register(client)
    token, _ = login(client)
    now = int(utc_now().timestamp())
    forged_claims = {**claims(token), "role": "admin", "iat": now, "nbf": now, "exp": now + 900}
    forged = jwt.encode(
        forged_claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": KID, "typ": "at+jwt"}
    )

    response = call(client, method, path.format(id=user["id"]), body, bearer(forged))

    assert response.status_code == 401, response.text
    assert claims(forged)["iss"] == ISSUER  # everything but the signature is genuine


def test_an_admin_whose_role_was_revoked_is_refused_at_once(client: Client) -> None:
    admin_id, token = admin_token(client)
    assert client.get("/admin/audit", headers=bearer(token)).status_code == 200

    set_role(client, admin_id, "user")
    response = client.get("/admin/audit", headers=bearer(token))

    assert claims(token)["role"] == "admin"  # the token still says so; the stored account decides here
    assert response.status_code == 403
    assert response.json()["type"] == ADMIN_REQUIRED


def test_a_granted_role_reaches_the_token_at_the_next_refresh(client: Client) -> None:
    user = register(client)
    token, refresh_token = login(client)
    assert claims(token)["role"] == "user"

    set_role(client, user["id"], "admin")
    refreshed = refresh(client, refresh_token)
    new_token = refreshed.json()["access_token"]

    assert refreshed.status_code == 200
    assert claims(new_token)["role"] == "admin"
    assert client.get("/admin/users", headers=bearer(new_token)).status_code == 200
    assert client.get("/admin/users", headers=bearer(token)).status_code == 403


def test_a_revoked_role_leaves_the_token_at_the_next_refresh(client: Client) -> None:
    admin_id, _ = admin_token(client)
    _, refresh_token = login(client, "root")

    set_role(client, admin_id, "user")
    refreshed = refresh(client, refresh_token)

    assert refreshed.status_code == 200
    assert claims(refreshed.json()["access_token"])["role"] == "user"


def test_search_matches_a_prefix_of_the_email_or_the_username_in_any_case(client: Client) -> None:
    _, token = admin_token(client)
    register(client, email="carol@example.com", username="zed")
    register(client, email="dave@example.com", username="carl")
    register(client, email="erin@example.com", username="erin")

    found = client.get("/admin/users", params={"q": "CAR"}, headers=bearer(token))

    assert found.status_code == 200, found.text
    assert [u["email"] for u in found.json()["users"]] == ["carol@example.com", "dave@example.com"]
    assert found.json()["next_cursor"] is None


def test_search_treats_the_query_as_text_not_a_pattern(client: Client) -> None:
    _, token = admin_token(client)
    register(client, email="a.b@example.com", username="dotted")
    register(client, email="axb@example.com", username="plain")

    dotted = client.get("/admin/users", params={"q": "a.b"}, headers=bearer(token)).json()["users"]
    wildcard = client.get("/admin/users", params={"q": ".*"}, headers=bearer(token)).json()["users"]

    assert [u["email"] for u in dotted] == ["a.b@example.com"]
    assert wildcard == []


def test_keyset_pages_cover_every_account_once_in_email_order(client: Client) -> None:
    _, token = admin_token(client)
    for n in range(7):
        register(client, email=f"user{n}@example.com", username=f"user{n}")

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, "q": "user"} | ({"cursor": cursor} if cursor else {})
        page = client.get("/admin/users", params=params, headers=bearer(token))
        assert page.status_code == 200, page.text
        seen += [u["email"] for u in page.json()["users"]]
        pages += 1
        if (cursor := page.json()["next_cursor"]) is None:
            break

    assert seen == [f"user{n}@example.com" for n in range(7)]
    assert pages == 3


def test_an_account_as_admins_see_it(client: Client) -> None:
    _, token = admin_token(client)
    user = register(client)
    login(client)
    login(client)

    response = client.get(f"/admin/users/{user['id']}", headers=bearer(token))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": user["id"],
        "email": "alice@example.com",
        "username": "alice",
        "role": "user",
        "created_at": user["created_at"],
        "two_factor": False,
        "passkeys": 0,
        "sessions": 2,
        "suspended": None,
    }


def test_an_unknown_account_is_404(client: Client) -> None:
    _, token = admin_token(client)

    for method, path, body in ROUTES[1:4]:
        response = call(client, method, path.format(id="no-such-user"), body, bearer(token))
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor!"},
        {"cursor": "bm8tYXQtc2lnbg"},  # base64url of "no-at-sign": decodes, but is no position we hand out
        {"cursor": "////"},
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"q": "x" * 101},
    ],
)
def test_malformed_listing_parameters_are_400(client: Client, params: dict[str, Any]) -> None:
    _, token = admin_token(client)

    users = client.get("/admin/users", params=params, headers=bearer(token))

    assert users.status_code == 400, users.text
    assert users.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("params", [{"cursor": "bm8tYXQtc2lnbg"}, {"cursor": "x"}, {"limit": 0}, {"limit": 101}])
def test_malformed_audit_parameters_are_400(client: Client, params: dict[str, Any]) -> None:
    _, token = admin_token(client)

    response = client.get("/admin/audit", params=params, headers=bearer(token))

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_the_audit_log_lists_admin_actions_newest_first_with_paging(client: Client, clock: FakeClock) -> None:
    admin_id, token = admin_token(client)
    user = register(client)
    # A millisecond apart each: entries of one millisecond are listed in an arbitrary (but stable) order.
    client.get("/admin/users", params={"q": "ali"}, headers=bearer(token))
    clock.advance(0.001)
    client.get(f"/admin/users/{user['id']}", headers=bearer(token))
    clock.advance(0.001)
    client.post(f"/admin/users/{user['id']}/suspend", json={"reason": "spam"}, headers=bearer(token))
    clock.advance(0.001)
    client.post(f"/admin/users/{user['id']}/unsuspend", headers=bearer(token))

    first = client.get("/admin/audit", params={"limit": 3}, headers=bearer(token)).json()
    second = client.get("/admin/audit", params={"limit": 3, "cursor": first["next_cursor"]}, headers=bearer(token))

    entries = first["entries"] + second.json()["entries"]
    assert second.json()["next_cursor"] is None
    assert [e["action"] for e in entries] == ["user.unsuspended", "user.suspended", "user.viewed", "users.searched"]
    assert len({e["id"] for e in entries}) == 4
    assert all(e["actor_id"] == admin_id and e["actor"] == "root@example.com" for e in entries)
    suspended = entries[1]
    assert (suspended["target_id"], suspended["target"], suspended["reason"]) == (
        user["id"],
        "alice@example.com",
        "spam",
    )
    assert entries[3]["detail"] == {"q": "ali"}
    assert entries[3]["target_id"] is None
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
