"""`GET /admin/moderation/audit`: every admin action, newest first, keyset-paged with an opaque cursor."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from profile_service.admin.audit import AuditAction
from profile_service.app import create_app
from profile_service.config import Settings
from profile_service.services import build
from tests.conftest import Client, TokenFactory, auth, wait_until_ready


class SteppingClock:
    """Each reading one millisecond after the last, so entries have a known order."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@pytest.fixture
def client(settings: Settings) -> Iterator[Client]:
    with TestClient(create_app(services=build(settings, clock=SteppingClock()))) as test_client:
        wait_until_ready(test_client)
        yield test_client


def record(client: Client, count: int) -> list[str]:
    """`count` entries written through the repository, oldest first; their ids."""
    audit = client.app.state.services.audit

    async def write() -> list[str]:
        ids = []
        for n in range(count):
            entry = await audit.record(
                actor_id="u-admin", action=AuditAction.AVATAR_TAKEN_DOWN, target_user_id=f"u{n}", reason=f"r{n}"
            )
            ids.append(entry.id)
        return ids

    with client.portal() as portal:
        ids: list[str] = portal.call(write)
        return ids


def test_the_audit_log_pages_newest_first_without_gaps_or_repeats(client: Client, token: TokenFactory) -> None:
    written = record(client, 5)
    admin = auth(token("u-admin", "root", role="admin"))

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = client.get("/admin/moderation/audit", params=params, headers=admin)
        assert page.status_code == 200, page.text
        seen += page.json()["entries"]
        pages += 1
        if (cursor := page.json()["next_cursor"]) is None:
            break

    assert pages == 3
    assert [entry["id"] for entry in seen] == written[::-1]
    assert seen[0] == {
        "id": written[-1],
        "at": seen[0]["at"],
        "actor_id": "u-admin",
        "action": "avatar.taken_down",
        "target_user_id": "u4",
        "upload_id": None,
        "reason": "r4",
    }


@pytest.mark.parametrize(
    "params",
    [{"cursor": "not-a-cursor"}, {"cursor": "MTIzOmFiYw"}, {"limit": 0}, {"limit": 101}, {"limit": "many"}],
)
def test_a_malformed_cursor_or_limit_is_400(client: Client, token: TokenFactory, params: dict[str, str | int]) -> None:
    response = client.get("/admin/moderation/audit", params=params, headers=auth(token("u-admin", role="admin")))

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_an_empty_log_is_one_empty_page(client: Client, token: TokenFactory) -> None:
    response = client.get("/admin/moderation/audit", headers=auth(token("u-admin", role="admin")))

    assert response.json() == {"entries": [], "next_cursor": None}
