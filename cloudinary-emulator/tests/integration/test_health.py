from litestar.testing import TestClient


def test_health_answers_ok(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_answers_when_storage_is_writable(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.get("/ready").status_code == 200
