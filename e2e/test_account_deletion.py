"""Deleting an account through auth-service reaches profile-service with a service token and leaves nothing behind.

auth-service queues the deletion in its outbox, calls `DELETE /internal/users/{id}` on profile-service,
which deletes the profile and hands every asset of the user to its own outbox for destruction at Cloudinary.
"""

import httpx

from e2e.pipeline import (
    User,
    exists,
    faults,
    image_bytes,
    register,
    resources,
    sign,
    upload,
    wait_for,
    wait_for_eager_notification,
    wait_for_status,
)
from e2e.stack import Stack


def login_status(stack: Stack, user: User) -> int:
    response = httpx.post(
        stack.url("auth", "/auth/login"), json={"login": user.username, "password": user.password}, timeout=30
    )
    return response.status_code


def test_account_deletion_removes_the_profile_and_every_asset_of_the_user(stack: Stack) -> None:
    user = register(stack)
    applied = sign(stack, user)
    assert upload(applied, image_bytes(seed=1)).status_code == 200
    wait_for_status(stack, user, applied, "applied")
    # A second upload whose notifications (upload and eager) are lost: an asset at Cloudinary that no profile
    # points to yet. The first upload's eager notification goes out first, or it would use up a drop.
    wait_for_eager_notification(stack, applied["public_id"])
    faults(stack, notification_drop=2)
    pending = sign(stack, user)
    assert upload(pending, image_bytes(seed=2)).status_code == 200
    assert exists(stack, pending["public_id"])

    # The token from the sign-in a moment ago is fresh: that recent authentication is the proof deletion needs.
    anonymous = httpx.delete(stack.url("auth", "/auth/me"), timeout=30)
    deleted = httpx.delete(stack.url("auth", "/auth/me"), headers=user.headers, timeout=30)

    assert anonymous.status_code == 401
    assert deleted.status_code == 202
    wait_for(
        "the profile to be gone",
        lambda: httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30).status_code == 404,
        timeout=30,
    )
    assert httpx.get(stack.url("profile", f"/profiles/{user.username}"), timeout=30).status_code == 404
    wait_for("no asset of the user at Cloudinary", lambda: resources(stack, f"profiles/{user.id}/") == [], timeout=60)
    wait_for("the account to be gone at auth-service", lambda: login_status(stack, user) == 401, timeout=30)
    assert not exists(stack, applied["public_id"])
    assert not exists(stack, pending["public_id"])
