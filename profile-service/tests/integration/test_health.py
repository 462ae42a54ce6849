import json
import time

import pytest
from litestar.testing import TestClient

from devstack.mongo import MongoServer
from profile_service.app import create_app
from profile_service.config import Settings
from tests.conftest import Client, TokenFactory, auth, make_settings, wait_until_ready


def test_health_answers_ok(client: Client) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_answers_when_mongodb_does(client: Client) -> None:
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


def test_unknown_route_is_a_problem_details_404(client: Client) -> None:
    response = client.get("/no/such/route")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_openapi_schema_is_served(client: Client) -> None:
    response = client.get("/schema/openapi.json")

    assert response.status_code == 200
    assert "/ready" in response.json()["paths"]


def test_ready_is_503_while_mongodb_is_down_and_recovers(settings: Settings, mongo_server: MongoServer) -> None:
    if not mongo_server.can_restart:
        # An external MongoDB (MONGODB_URI, testcontainers) cannot be killed from here: prove the
        # same path with a server that does not exist, then check the real one is ready.
        down = make_settings(mongodb_uri="mongodb://127.0.0.1:1", database=settings.database, mongodb_timeout_ms=200)
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


def test_an_outage_is_logged_as_one_warning_per_request_without_a_traceback(
    settings: Settings, mongo_server: MongoServer, token: TokenFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    # The app (and with it the stderr log handler) is built here, while capsys holds stderr.
    if mongo_server.can_restart:
        app_settings = settings
    else:  # an external MongoDB cannot be killed from here: a server that does not exist is the same outage
        app_settings = make_settings(
            mongodb_uri="mongodb://127.0.0.1:1", database=settings.database, auth_jwks_url=settings.auth_jwks_url
        )
    with TestClient(create_app(app_settings)) as client:
        if mongo_server.can_restart:
            wait_until_ready(client)
            mongo_server.kill()
        try:
            capsys.readouterr()
            response = client.get("/profiles/me", headers=auth(token("u1", "alice")))
            err = capsys.readouterr().err
        finally:
            if mongo_server.can_restart:
                mongo_server.restart()

    assert response.status_code == 503
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    # Background loops (the outbox worker) log the outage too, once per poll: only this request's lines count.
    lines = [line for line in lines if line.get("request_id") == response.headers["x-request-id"]]
    problems = [line for line in lines if line["level"] in {"WARNING", "ERROR", "CRITICAL"}]
    assert [(p["logger"], p["msg"].split(":")[0]) for p in problems] == [("service_kit.errors", "database unavailable")]
    assert not any("exc" in line for line in lines)
