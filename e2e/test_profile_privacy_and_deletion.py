"""Privacy and account deletion through real processes: a private profile is invisible to others but not to
its owner; `DELETE /internal/users/{id}` takes only the auth service's service tokens of the internal
audience, deletes the profile, and (once the outbox drains) leaves no asset of the user at the emulator."""

import hashlib
import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from devstack.mongo import MongoServer
from e2e.conftest import running_stack
from e2e.pipeline import (
    User,
    faults,
    image_bytes,
    notifications,
    register,
    reset_emulator,
    resources,
    sign,
    upload,
    wait_for,
    wait_for_eager_notification,
    wait_for_status,
)
from e2e.stack import API_KEY, CLOUD_NAME, Stack

DELETER = ("deleter-e2e", uuid.uuid4().hex + uuid.uuid4().hex)
OUTSIDER = ("outsider-e2e", uuid.uuid4().hex + uuid.uuid4().hex)
CLIENTS = [
    {
        "client_id": DELETER[0],
        "secret_sha256": hashlib.sha256(DELETER[1].encode()).hexdigest(),
        "audience": "profile-service-internal",
        "scopes": ["profiles:delete"],
    },
    {
        "client_id": OUTSIDER[0],
        "secret_sha256": hashlib.sha256(OUTSIDER[1].encode()).hexdigest(),
        "audience": "billing-service",
        "scopes": ["profiles:delete"],
    },
]


@pytest.fixture(scope="module")
def stack(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack whose auth service knows two service clients: the internal audience, and another one."""
    env = {
        "auth": {"AUTH_SERVICE_CLIENTS": json.dumps(CLIENTS)},
        # The deletion test keeps an upload pending (its notifications dropped): reconciliation must not apply it
        # first, as it would after the stack's scaled grace of a few seconds.
        "profile": {"PROFILE_OUTBOX_POLL_SECONDS": "0.2", "PROFILE_UPLOAD_GRACE_SECONDS": "600"},
    }
    with running_stack(mongo_server, tmp_path_factory, **env) as running:
        yield running


def service_token(stack: Stack, client: tuple[str, str]) -> str:
    """A client-credentials token from the real auth service."""
    response = httpx.post(
        stack.url("auth", "/auth/token"),
        data={"grant_type": "client_credentials", "client_id": client[0], "client_secret": client[1]},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def public(stack: Stack, username: str, viewer: User | None = None) -> httpx.Response:
    return httpx.get(
        stack.url("profile", f"/profiles/{username}"), headers=viewer.headers if viewer else {}, timeout=30
    )


def test_a_private_profile_is_invisible_to_others_but_not_to_its_owner(stack: Stack) -> None:
    owner, other = register(stack), register(stack)
    assert httpx.get(stack.url("profile", "/profiles/me"), headers=other.headers, timeout=30).status_code == 200
    changed = httpx.patch(
        stack.url("profile", "/profiles/me"),
        json={"visibility": "private", "bio": "only me", "website": "https://owner.example"},
        headers=owner.headers,
        timeout=30,
    )
    assert changed.status_code == 200, changed.text

    assert public(stack, owner.username).status_code == 404
    assert public(stack, owner.username, other).status_code == 404
    mine = public(stack, owner.username, owner)
    assert mine.status_code == 200
    assert mine.json()["bio"] == "only me"
    assert public(stack, other.username).status_code == 200


def test_internal_delete_refuses_user_tokens_and_other_audiences(stack: Stack) -> None:
    user = register(stack)
    url = stack.url("profile", f"/internal/users/{user.id}")
    httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30)

    as_user = httpx.delete(url, headers=user.headers, timeout=30)
    as_outsider = httpx.delete(url, headers={"Authorization": f"Bearer {service_token(stack, OUTSIDER)}"}, timeout=30)

    assert as_user.status_code in (401, 403)
    assert as_outsider.status_code in (401, 403)
    for response in (as_user, as_outsider):
        assert response.headers["content-type"] == "application/problem+json"
    assert public(stack, user.username).status_code == 200


def test_deletion_leaves_no_profile_and_no_asset_at_the_emulator(stack: Stack) -> None:
    reset_emulator(stack)
    user = register(stack)
    shown = sign(stack, user)
    assert upload(shown, image_bytes(seed=1)).status_code == 200
    wait_for_status(stack, user, shown, "applied")
    # Its eager notification too, or that one would use up a drop meant for the next upload.
    wait_for_eager_notification(stack, shown["public_id"])
    faults(stack, notification_drop=2)  # an upload whose notifications are lost: its intent stays pending
    pending = sign(stack, user)
    assert upload(pending, image_bytes(seed=2)).status_code == 200
    wait_for(
        "the dropped notifications",
        lambda: [n["status"] for n in notifications(stack, pending["public_id"])] == ["dropped", "dropped"],
    )
    stray = httpx.post(  # an asset under the user's prefix that no intent knows (a crash, a manual upload)
        stack.url("emulator", f"/v1_1/{CLOUD_NAME}/image/upload"),
        data={"public_id": f"profiles/{user.id}/stray"},
        files={"file": ("s.png", image_bytes(seed=3), "image/png")},
        auth=(API_KEY, stack.api_secret),
        timeout=30,
    )
    assert stray.status_code == 200, stray.text
    prefix = f"profiles/{user.id}/"
    assert len(resources(stack, prefix)) == 3

    token = service_token(stack, DELETER)
    deleted = httpx.delete(
        stack.url("profile", f"/internal/users/{user.id}"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    again = httpx.delete(
        stack.url("profile", f"/internal/users/{user.id}"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    )

    assert (deleted.status_code, again.status_code) == (204, 204)
    assert public(stack, user.username, user).status_code == 404
    assert httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30).status_code == 404
    wait_for("every asset of the user to be destroyed", lambda: resources(stack, prefix) == [], timeout=20)
