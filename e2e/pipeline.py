"""Helpers for the upload-pipeline tests: users, signed upload tickets, real uploads to the emulator,
the emulator's fault switches and notification log, and waiting for conditions with a deadline."""

import io
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from PIL import Image

from e2e.stack import API_KEY, CLOUD_NAME, Stack

T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20.0, interval: float = 0.1) -> T:
    """Call `probe` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def image_bytes(width: int = 320, height: int = 240, fmt: str = "PNG", seed: int = 0) -> bytes:
    """A small generated picture with some detail (so crops have something to centre on)."""
    picture = Image.new("RGB", (width, height), ((seed * 37) % 256, 120, 200))
    for x in range(0, width, 16):
        for y in range(0, height, 16):
            if (x // 16 + y // 16 + seed) % 3 == 0:
                picture.paste((255, (x * 3) % 256, (y * 5) % 256), (x, y, min(x + 16, width), min(y + 16, height)))
    out = io.BytesIO()
    picture.save(out, format=fmt)
    return out.getvalue()


@dataclass
class User:
    """A registered user with a fresh access token."""

    id: str
    username: str
    token: str
    password: str = field(default="", repr=False)
    email: str = ""

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}


def register(stack: Stack) -> User:
    """Register and log in a new user through the real auth-service."""
    with httpx.Client(timeout=30) as http:
        return _register(stack, http)


def _register(stack: Stack, http: httpx.Client) -> User:
    username = f"u{uuid.uuid4().hex[:10]}"
    password = uuid.uuid4().hex + "Aa1!"
    created = http.post(
        stack.url("auth", "/auth/register"),
        json={"email": f"{username}@example.com", "username": username, "password": password},
    )
    assert created.status_code == 201, created.text
    login = http.post(stack.url("auth", "/auth/login"), json={"login": username, "password": password})
    assert login.status_code == 200, login.text
    return User(
        id=created.json()["id"],
        username=username,
        token=login.json()["access_token"],
        password=password,
        email=f"{username}@example.com",
    )


def sign(stack: Stack, user: User) -> dict[str, Any]:
    """Ask the profile service for upload parameters."""
    response = httpx.post(stack.url("profile", "/profiles/me/avatar/uploads"), headers=user.headers, timeout=30)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def upload(
    ticket: dict[str, Any], data: bytes, fields: dict[str, str] | None = None, name: str = "a.png"
) -> httpx.Response:
    """POST the file with exactly the ticket's fields (or the given ones) to its upload_url, as a browser does."""
    return httpx.post(
        ticket["upload_url"],
        data=fields if fields is not None else ticket["fields"],
        files={"file": (name, data, "application/octet-stream")},
        timeout=60,
    )


def status(stack: Stack, user: User, ticket: dict[str, Any]) -> dict[str, Any]:
    """The upload's status as the browser sees it."""
    response = httpx.get(stack.url("profile", ticket["status_url"]), headers=user.headers, timeout=30)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def wait_for_status(
    stack: Stack, user: User, ticket: dict[str, Any], wanted: str, timeout: float = 20.0
) -> dict[str, Any]:
    """Poll the status_url until the upload reaches `wanted`."""

    def reached() -> dict[str, Any] | None:
        current = status(stack, user, ticket)
        return current if current["status"] == wanted else None

    return wait_for(f"upload {ticket['upload_id']} to be {wanted}", reached, timeout)


def wait_for_eager_notification(stack: Stack, public_id: str) -> None:
    """Wait until the emulator has sent (or dropped) the upload's eager notification: it goes out after the
    upload's own, once the derived images are made, and a fault switched on before it would be used up by it."""
    wait_for(
        f"the eager notification of {public_id}",
        lambda: any(n["notification_type"] == "eager" for n in notifications(stack, public_id)),
    )


def profile(stack: Stack, user: User) -> dict[str, Any]:
    """GET /profiles/me."""
    response = httpx.get(stack.url("profile", "/profiles/me"), headers=user.headers, timeout=30)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def faults(stack: Stack, **switches: Any) -> None:
    """Set emulator fault switches (counts are used up as they fire)."""
    response = httpx.put(stack.url("emulator", "/_emulator/faults"), json=switches, timeout=10)
    assert response.status_code == 200, response.text


def reset_emulator(stack: Stack) -> None:
    """Faults off, notification log cleared (assets stay)."""
    response = httpx.post(stack.url("emulator", "/_emulator/reset"), timeout=10)
    assert response.status_code in (200, 201, 204), response.text


def notifications(stack: Stack, public_id: str | None = None) -> list[dict[str, Any]]:
    """The emulator's notification log, optionally for one public_id."""
    log: list[dict[str, Any]] = httpx.get(stack.url("emulator", "/_emulator/notifications"), timeout=10).json()
    return [n for n in log if public_id is None or n.get("public_id") == public_id]


def resources(stack: Stack, prefix: str) -> list[str]:
    """Public ids the emulator holds under `prefix`, through the Admin API (every page)."""
    found: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"prefix": prefix, "max_results": 500}
        if cursor:
            params["next_cursor"] = cursor
        response = httpx.get(
            stack.url("emulator", f"/v1_1/{CLOUD_NAME}/resources/image/upload"),
            params=params,
            auth=(API_KEY, stack.api_secret),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        found.extend(r["public_id"] for r in page["resources"])
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def exists(stack: Stack, public_id: str) -> bool:
    """Whether the emulator still holds the asset (Admin API get)."""
    response = httpx.get(
        stack.url("emulator", f"/v1_1/{CLOUD_NAME}/resources/image/upload/{public_id}"),
        auth=(API_KEY, stack.api_secret),
        timeout=30,
    )
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def post_webhook(stack: Stack, body: bytes | dict[str, Any], timestamp: str, signature: str) -> httpx.Response:
    """POST a notification straight to the profile service's webhook."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        stack.url("profile", "/webhooks/cloudinary"),
        content=raw,
        headers={"content-type": "application/json", "X-Cld-Timestamp": timestamp, "X-Cld-Signature": signature},
        timeout=30,
    )
