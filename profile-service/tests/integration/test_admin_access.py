"""Every `/admin/*` route: 401 without a valid token, 403 `admin-required` for any token that is not an
administrator's user token (user tokens, service tokens of either audience), 401 for a forged `role` claim."""

import base64
import json
import re
from typing import Any

import pytest
from litestar import Litestar

from profile_service.app import create_app
from profile_service.auth import ADMIN_REQUIRED
from profile_service.config import Settings
from tests.conftest import Client, SigningKey, TokenFactory, auth, mint

INTERNAL = "profile-service-internal"
ANY_ID = "0123456789abcdef01234567"
# What each admin route is sent: a valid body, so a refusal is about the token and nothing else.
BODIES = {"reject": {"reason": "not a face"}, "avatar": {"reason": "offensive"}}


def admin_routes(app: Litestar) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, concrete path, body) for every admin route of the app."""
    found = []
    for route in app.routes:
        if not route.path.startswith("/admin/"):
            continue
        path = re.sub(r"\{[^}]+\}", ANY_ID, route.path)
        body = BODIES.get(path.rsplit("/", 1)[-1])
        for method in sorted(getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}):
            found.append((method, path, body if method in ("POST", "DELETE") else None))
    return found


def forged_role(key: SigningKey, sub: str) -> str:
    """A user token whose payload is edited to say `role: admin`, keeping the original signature."""
    header, payload, signature = mint(key, sub, "mallory").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{edited}.{signature}"


def same_kid_other_key(key: SigningKey, sub: str) -> str:
    """An admin token signed with a key the JWKS does not hold, under the real key's kid."""
    impostor = SigningKey()
    impostor.kid = key.kid
    return mint(impostor, sub, "mallory", role="admin")


def test_there_are_admin_routes_to_check(settings: Settings) -> None:
    assert len(admin_routes(create_app(settings))) >= 1


@pytest.mark.parametrize(
    "how", ["no token", "garbage", "forged role", "other key same kid", "unknown kid", "expired admin"]
)
def test_admin_routes_answer_401_without_a_valid_token(
    client: Client, token: TokenFactory, signing_key: SigningKey, how: str
) -> None:
    headers = {
        "no token": {},
        "garbage": auth("not-a-jwt"),
        "forged role": auth(forged_role(signing_key, "u-mallory")),
        "other key same kid": auth(same_kid_other_key(signing_key, "u-mallory")),
        "unknown kid": auth(mint(SigningKey(), "u-mallory", "mallory", role="admin")),
        "expired admin": auth(token("u-admin", "root", role="admin", iat=1, nbf=1, exp=2)),
    }[how]

    for method, path, body in admin_routes(client.app):
        response = client.request(method, path, headers=headers, json=body)

        assert response.status_code == 401, (how, method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize(
    "how",
    [
        "user without role",
        "role user",
        "unknown role",
        "internal service token",
        "service token of the user audience",
        "service token claiming admin",
    ],
)
def test_admin_routes_answer_403_admin_required_to_every_other_token(
    client: Client, token: TokenFactory, how: str
) -> None:
    bearer = {
        "user without role": token("u1", "alice"),
        "role user": token("u1", "alice", role="user"),
        "unknown role": token("u1", "alice", role="superuser"),
        "internal service token": token("auth-service", aud=INTERNAL, scope="profiles:delete", username=None),
        "service token of the user audience": token("reporting", scope="profiles:read", username=None),
        "service token claiming admin": token("reporting", scope="profiles:read", username=None, role="admin"),
    }[how]

    for method, path, body in admin_routes(client.app):
        response = client.request(method, path, headers=auth(bearer), json=body)

        assert response.status_code == 403, (how, method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == ADMIN_REQUIRED


def test_an_admin_token_passes_the_guard(client: Client, token: TokenFactory) -> None:
    response = client.get("/admin/moderation/audit", headers=auth(token("u-admin", "root", role="admin")))

    assert response.status_code == 200, response.text
