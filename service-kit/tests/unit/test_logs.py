"""What the logging config writes for errors (an outage without a traceback, a real 500 with one), and the request
context every answer gets, the router's own included."""

import json
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient, create_test_client
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    NetworkTimeout,
    PyMongoError,
    ServerSelectionTimeoutError,
    WaitQueueTimeoutError,
)

from service_kit.errors import EXCEPTION_HANDLERS
from service_kit.logs import install_request_context, logging_config


def _get(path: str, exc: Exception, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]]]:
    """Answer one request whose handler raises `exc`; the status and the JSON log lines of WARNING and above."""

    @get(path, sync_to_thread=False)
    def fail() -> None:
        raise exc

    # The config installs its own stderr handler on the root logger (which replaces caplog's): read stderr.
    with create_test_client(
        [fail], exception_handlers=EXCEPTION_HANDLERS, logging_config=logging_config("INFO"), debug=False
    ) as client:
        capsys.readouterr()
        status = client.get(path).status_code
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    return status, [line for line in lines if line["level"] in {"WARNING", "ERROR", "CRITICAL"}]


@pytest.mark.parametrize(
    "exc",
    [
        ServerSelectionTimeoutError("127.0.0.1:9: connection refused"),
        AutoReconnect("connection closed"),
        NetworkTimeout("timed out"),
        ConnectionFailure("down"),
        WaitQueueTimeoutError("pool exhausted"),
        ExecutionTimeout("operation exceeded time limit", 50),
    ],
    ids=type,
)
def test_database_outage_is_one_warning_without_a_traceback(
    exc: PyMongoError, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines = _get("/outage", exc, capsys)

    assert status == 503
    assert lines == [
        {
            **lines[0],
            "level": "WARNING",
            "logger": "service_kit.errors",
            "msg": f"database unavailable: {type(exc).__name__}",
        }
    ]
    assert "exc" not in lines[0]


def test_unexpected_error_is_still_logged_with_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = _get("/bug", RuntimeError("a real bug"), capsys)

    assert status == 500
    assert [(line["level"], line["logger"]) for line in lines] == [("ERROR", "litestar")]
    assert lines[0]["msg"].startswith("Uncaught exception")
    assert lines[0]["exc"].startswith("Traceback (most recent call last)")
    assert lines[0]["exc"].endswith("RuntimeError: a real bug")


def test_the_routers_own_404_and_405_carry_a_request_id_and_an_access_line(capsys: pytest.CaptureFixture[str]) -> None:
    # The request context wraps `Litestar.asgi_handler` (not a documented hook): if Litestar stops dispatching
    # through it, these answers lose their id and their access line, and this test says so.
    @get("/known", sync_to_thread=False)
    def known() -> None:
        return None

    app = Litestar([known], exception_handlers=EXCEPTION_HANDLERS, logging_config=logging_config("INFO"))
    with TestClient(install_request_context(app)) as client:
        capsys.readouterr()
        unknown = client.get("/no/such/route", headers={"X-Request-ID": "abc-123"})
        wrong_method = client.post("/known")
        hostile = client.get("/known", headers={"X-Request-ID": "evil id; drop"})
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]

    assert (unknown.status_code, unknown.headers["x-request-id"]) == (404, "abc-123")
    assert wrong_method.status_code == 405
    assert len(wrong_method.headers["x-request-id"]) == 32
    assert len(hostile.headers["x-request-id"]) == 32  # a caller's id that is not harmless in a log line is replaced
    access = [(line["msg"], line["request_id"]) for line in lines if line["logger"] == "access"]
    assert access == [
        ("GET /no/such/route 404", "abc-123"),
        ("POST /known 405", wrong_method.headers["x-request-id"]),
        ("GET /known 200", hostile.headers["x-request-id"]),
    ]
