import time

import msgspec
from litestar.testing import TestClient

from auth_service.app import create_app
from auth_service.config import Settings
from devstack.mongo import MongoServer
from tests.conftest import wait_until_ready


def test_health_answers_ok(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_answers_when_mongodb_does(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_every_response_carries_a_request_id(client: TestClient) -> None:  # type: ignore[type-arg]
    supplied = client.get("/health", headers={"X-Request-ID": "abc-123"})
    generated = client.get("/health")
    # Answered by the router itself, before any route middleware: the id must be there too.
    unknown_path = client.get("/no/such/route", headers={"X-Request-ID": "def-456"})
    wrong_method = client.post("/health")

    assert supplied.headers["x-request-id"] == "abc-123"
    assert len(generated.headers["x-request-id"]) == 32
    assert (unknown_path.status_code, unknown_path.headers["x-request-id"]) == (404, "def-456")
    assert wrong_method.status_code == 405
    assert len(wrong_method.headers["x-request-id"]) == 32


def test_unknown_route_is_a_problem_details_404(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/no/such/route")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_openapi_schema_is_served(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/schema/openapi.json")

    assert response.status_code == 200
    assert "/ready" in response.json()["paths"]


def test_ready_is_503_while_mongodb_is_down_and_recovers(settings: Settings, mongo_server: MongoServer) -> None:
    if not mongo_server.can_restart:
        # An external MongoDB (MONGODB_URI, testcontainers) cannot be killed from here: prove the
        # same path with a server that does not exist, then check the real one is ready.
        down = msgspec.structs.replace(settings, mongodb_uri="mongodb://127.0.0.1:1", mongodb_timeout_ms=200)
        with TestClient(create_app(down)) as client:
            response = client.get("/ready")
            assert response.status_code == 503
            assert response.json()["status"] == 503
        return
    with TestClient(create_app(settings)) as client:
        wait_until_ready(client)
        mongo_server.kill()
        try:
            response = client.get("/ready")
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["detail"] == "MongoDB is not answering."
        finally:
            mongo_server.restart()
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the service did not recover after MongoDB came back"
            time.sleep(0.05)


FINDS = 'mongodb_commands_total{collection="users",command="find"}'


def test_metrics_count_the_mongodb_commands_sent(client: TestClient) -> None:  # type: ignore[type-arg]
    def finds() -> float:
        text = client.get("/metrics").text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(FINDS))

    before = finds()
    assert client.get("/ready").status_code == 200  # a `ping`, not a find
    unknown = client.post("/auth/login", json={"login": "nobody@example.com", "password": "not the password"})
    after = finds()

    assert unknown.status_code == 401
    # The login looked the account up: at least one more `find`, counted by the service's own client.
    assert after > before
