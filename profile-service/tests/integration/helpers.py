"""Helpers for integration tests: notifications signed the way Cloudinary signs them."""

import json
import time
from typing import Any

from profile_service.avatars.signing import notification_signature
from tests.conftest import API_SECRET, Client, auth


def upload_notification(public_id: str, version: int = 1700000000, **overrides: Any) -> dict[str, Any]:
    """An upload notification body as Cloudinary sends it."""
    body: dict[str, Any] = {
        "notification_type": "upload",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "request_id": "r1",
        "asset_id": "a" * 32,
        "public_id": public_id,
        "version": version,
        "width": 512,
        "height": 512,
        "format": "jpg",
        "resource_type": "image",
        "type": "upload",
        "bytes": 40_000,
        "created_at": "2026-01-01T00:00:00Z",
        "secure_url": f"https://res.cloudinary.com/test-cloud/image/upload/v{version}/{public_id}.jpg",
        "url": f"http://res.cloudinary.com/test-cloud/image/upload/v{version}/{public_id}.jpg",
    }
    body.update(overrides)
    return body


def post_notification(
    client: Client,
    body: dict[str, Any] | bytes,
    *,
    timestamp: int | None = None,
    secret: str = API_SECRET,
    signature: str | None = None,
) -> Any:
    """POST a notification signed over its exact bytes (or with the given signature)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent_at = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "content-type": "application/json",
        "X-Cld-Timestamp": sent_at,
        "X-Cld-Signature": signature or notification_signature(raw, sent_at, secret),
    }
    return client.post("/webhooks/cloudinary", content=raw, headers=headers)


def sign_upload(client: Client, bearer: str) -> dict[str, Any]:
    """Ask for upload parameters; returns the ticket."""
    response = client.post("/profiles/me/avatar/uploads", headers=auth(bearer))
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket
