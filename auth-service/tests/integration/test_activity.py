from typing import Any

from litestar.testing import TestClient

from tests.conftest import PASSWORD, FakeClock, bearer, login, register


def _page(client: TestClient, access: str, **params: Any) -> dict[str, Any]:  # type: ignore[type-arg]
    response = client.get("/auth/activity", params=params, headers=bearer(access))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_sign_ins_and_failures_are_listed_newest_first_with_address_and_agent(
    client: TestClient,  # type: ignore[type-arg]
    clock: FakeClock,
) -> None:
    register(client)
    client.post("/auth/login", json={"login": "alice", "password": "wrong"}, headers={"User-Agent": "probe/1"})
    clock.advance(1)
    access, _ = login(client)

    events = _page(client, access)["events"]

    assert [e["kind"] for e in events] == ["sign_in", "sign_in_failed"]
    assert events[1]["user_agent"] == "probe/1"
    assert events[0]["ip"] == "testclient"
    assert events[0]["at"] > events[1]["at"]


def test_pages_follow_the_cursor_without_gaps_or_repeats(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    for i in range(5):
        # Two events share each instant, so the order also rests on the id.
        login(client)
        if i % 2:
            clock.advance(1)
    access, _ = login(client)
    everything = _page(client, access, limit=100)["events"]

    seen, cursor = [], None
    while True:
        page = _page(client, access, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += page["events"]
        if (cursor := page["next_cursor"]) is None:
            break

    assert len(everything) == 6
    assert [e["id"] for e in seen] == [e["id"] for e in everything]
    assert [e["at"] for e in seen] == sorted((e["at"] for e in seen), reverse=True)
    assert client.post("/auth/login", json={"login": "alice", "password": PASSWORD}).status_code == 200


def test_another_users_activity_is_not_listed(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    register(client, "bob@example.com", "bob")
    login(client)
    bob, _ = login(client, "bob")

    assert [e["kind"] for e in _page(client, bob)["events"]] == ["sign_in"]


def test_a_bad_cursor_or_limit_is_400(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)

    assert client.get("/auth/activity?cursor=%%%", headers=bearer(access)).status_code == 400
    assert client.get("/auth/activity?cursor=bm90LWEtY3Vyc29y", headers=bearer(access)).status_code == 400
    assert client.get("/auth/activity?limit=0", headers=bearer(access)).status_code == 400
    assert client.get("/auth/activity?limit=101", headers=bearer(access)).status_code == 400
    assert client.get("/auth/activity").status_code == 401


def test_events_are_kept_90_days_by_a_ttl_index_on_a_datetime(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    login(client)

    async def indexes() -> dict[str, Any]:
        info: dict[str, Any] = await client.app.state.services.mongo.db["activity"].index_information()
        return info

    ttl = [i for i in client.blocking_portal.call(indexes).values() if "expireAfterSeconds" in i]

    assert [i["expireAfterSeconds"] for i in ttl] == [90 * 86400]
