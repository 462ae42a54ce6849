from litestar.testing import TestClient

from tests.conftest import PASSWORD, FakeClock, register


def _bad_login(client: TestClient, login: str = "alice") -> int:  # type: ignore[type-arg]
    return client.post("/auth/login", json={"login": login, "password": "wrong password"}).status_code


def test_the_failure_after_the_limit_is_429_with_retry_after(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)

    statuses = [_bad_login(client) for _ in range(3)]
    throttled = client.post("/auth/login", json={"login": "alice", "password": "wrong password"})

    assert statuses == [401, 401, 401]
    assert throttled.status_code == 429
    assert throttled.headers["content-type"] == "application/problem+json"
    assert 1 <= int(throttled.headers["retry-after"]) <= 60


def test_even_the_right_password_waits_while_throttled(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    for _ in range(3):
        _bad_login(client)

    response = client.post("/auth/login", json={"login": "alice", "password": PASSWORD})

    assert response.status_code == 429


def test_a_good_login_after_the_window_works(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    for _ in range(4):
        _bad_login(client)

    clock.advance(61)
    response = client.post("/auth/login", json={"login": "alice", "password": PASSWORD})

    assert response.status_code == 200


def test_unknown_accounts_are_throttled_like_real_ones(client: TestClient) -> None:  # type: ignore[type-arg]
    statuses = [_bad_login(client, "nobody@example.com") for _ in range(4)]

    assert statuses == [401, 401, 401, 429]


def test_one_address_is_throttled_across_many_accounts(client: TestClient) -> None:  # type: ignore[type-arg]
    # 20 failures per address (conftest), spread over accounts that each stay under their own limit of 3.
    statuses = [_bad_login(client, f"user{i // 2}") for i in range(21)]

    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_a_successful_login_resets_the_account_counter(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    _bad_login(client)
    _bad_login(client)
    assert client.post("/auth/login", json={"login": "alice", "password": PASSWORD}).status_code == 200

    statuses = [_bad_login(client) for _ in range(3)]

    assert statuses == [401, 401, 401]
