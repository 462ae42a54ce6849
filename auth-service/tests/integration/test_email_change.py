from litestar.testing import TestClient

from tests.conftest import PASSWORD, FakeClock, bearer, login, mailed_token, outbox_mail, register, stale_login


def _request(client: TestClient, access: str, new_email: str = "alice@new.example") -> str:  # type: ignore[type-arg]
    response = client.post("/auth/email-change", json={"new_email": new_email}, headers=bearer(access))
    assert response.status_code == 202, response.text
    return mailed_token(client, new_email.lower(), "confirm-email")


def test_the_confirmation_link_goes_to_the_new_address_and_applies_the_change(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)
    token = _request(client, access, "Alice@New.Example")

    response = client.post("/auth/email-change/confirm", json={"token": token}, headers=bearer(access))

    assert response.status_code == 200
    assert response.json()["email"] == "alice@new.example"
    assert client.post("/auth/login", json={"login": "alice@new.example", "password": PASSWORD}).status_code == 200
    assert outbox_mail(client, "alice@example.com")[-1]["subject"] == "Your email address was changed"


def test_confirmation_is_refused_to_another_account_and_without_a_token(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    register(client, "mallory@example.com", "mallory")
    access, _ = login(client)
    mallory, _ = login(client, "mallory")
    token = _request(client, access)

    foreign = client.post("/auth/email-change/confirm", json={"token": token}, headers=bearer(mallory))
    anonymous = client.post("/auth/email-change/confirm", json={"token": token})
    own = client.post("/auth/email-change/confirm", json={"token": token}, headers=bearer(access))

    assert foreign.status_code == 403
    assert foreign.json()["reason"] == "wrong_account"
    assert anonymous.status_code == 401
    assert own.status_code == 200
    assert client.get("/auth/me", headers=bearer(mallory)).json()["email"] == "mallory@example.com"


def test_a_confirmation_link_works_once(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)
    token = _request(client, access)
    client.post("/auth/email-change/confirm", json={"token": token}, headers=bearer(access))

    again = client.post("/auth/email-change/confirm", json={"token": token}, headers=bearer(access))

    assert again.status_code == 410


def test_an_address_in_use_is_409_when_asked_and_when_confirmed(client: TestClient) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = login(client)
    token = _request(client, access, "bob@example.com")
    register(client, "bob@example.com", "bob")

    asked = client.post("/auth/email-change", json={"new_email": "bob@example.com"}, headers=bearer(access))
    confirmed = client.post("/auth/email-change/confirm", json={"token": token}, headers=bearer(access))

    assert asked.status_code == 409
    assert confirmed.status_code == 409
    assert confirmed.json()["field"] == "email"


def test_an_email_change_needs_a_recent_sign_in(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    register(client)
    access, _ = stale_login(client, clock)

    response = client.post("/auth/email-change", json={"new_email": "a@new.example"}, headers=bearer(access))

    assert response.status_code == 401
    assert response.json()["type"] == "urn:profile-pictures:problem:step-up-required"
    assert outbox_mail(client, "a@new.example") == []
