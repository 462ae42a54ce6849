from litestar.testing import TestClient

from tests.conftest import PASSWORD, FakeClock, bearer, login, mailed_token, outbox_mail, refresh, register, stored

NEW_PASSWORD = "a brand new passphrase"


def test_change_password_needs_the_current_one(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)

    response = client.post(
        "/auth/password", json={"current_password": "wrong!", "new_password": NEW_PASSWORD}, headers=bearer(access)
    )

    assert response.status_code == 403
    assert response.json()["field"] == "password"
    assert client.post("/auth/login", json={"login": "alice", "password": PASSWORD}).status_code == 200


def test_change_password_ends_other_sign_ins_and_keeps_this_one(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, this_device = login(client)
    _, other_device = login(client)

    response = client.post(
        "/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=bearer(access)
    )

    assert response.status_code == 204
    assert refresh(client, other_device).status_code == 401
    assert refresh(client, this_device).status_code == 200
    assert client.post("/auth/login", json={"login": "alice", "password": PASSWORD}).status_code == 401
    assert client.post("/auth/login", json={"login": "alice", "password": NEW_PASSWORD}).status_code == 200
    assert outbox_mail(client, "alice@example.com")[-1]["subject"] == "Your password was changed"


def test_change_password_requires_a_token(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post("/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 401


def test_reset_request_answers_the_same_for_unknown_addresses(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)

    known = client.post("/auth/password-reset", json={"email": "alice@example.com"})
    unknown = client.post("/auth/password-reset", json={"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert known.headers.keys() - {"x-request-id", "content-length"} == unknown.headers.keys() - {
        "x-request-id",
        "content-length",
    }
    assert len(outbox_mail(client, "alice@example.com")) == 1
    assert outbox_mail(client, "nobody@example.com") == []


def test_reset_link_points_at_the_web_app_and_sets_the_password_once(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    _, before = login(client)
    client.post("/auth/password-reset", json={"email": "Alice@Example.com"})
    mail = outbox_mail(client, "alice@example.com")[0]
    token = mailed_token(client, "alice@example.com", "reset-password")

    first = client.post("/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
    again = client.post("/auth/password-reset/confirm", json={"token": token, "new_password": "yet another one"})

    assert "http://localhost:8080/reset-password?token=" in mail["text"]
    assert first.status_code == 204
    assert again.status_code == 410
    assert again.json()["reason"] == "used_token"
    assert refresh(client, before).status_code == 401
    assert client.post("/auth/login", json={"login": "alice", "password": NEW_PASSWORD}).status_code == 200


def test_reset_token_is_stored_only_as_a_hash(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    client.post("/auth/password-reset", json={"email": "alice@example.com"})
    token = mailed_token(client, "alice@example.com", "reset-password")

    docs = stored(client, "action_tokens")

    assert len(docs) == 1
    assert token not in str(docs)


def test_an_expired_reset_link_is_410(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    client.post("/auth/password-reset", json={"email": "alice@example.com"})
    token = mailed_token(client, "alice@example.com", "reset-password")

    clock.advance(30 * 60 + 1)
    response = client.post("/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 410
    assert response.json()["reason"] == "expired_token"
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unknown_reset_token_is_400(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post("/auth/password-reset/confirm", json={"token": "made-up", "new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json()["reason"] == "invalid_token"


def test_reset_requests_are_throttled_for_known_and_unknown_addresses_alike(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)

    known = [client.post("/auth/password-reset", json={"email": "alice@example.com"}).status_code for _ in range(4)]
    unknown = [client.post("/auth/password-reset", json={"email": "bob@example.com"}).status_code for _ in range(4)]

    assert known == unknown == [202, 202, 202, 429]
