"""Expected Cloudinary errors (bad signature, unknown resource, bad parameters, injected faults) are one log line
with Cloudinary's message, never Litestar's "Uncaught exception" with a traceback; a real bug still has one."""

import json
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from cloudinary_emulator.app import create_app
from tests.conftest import make_settings
from tests.conftest_values import CLOUD_NAME
from tests.helpers import jpeg, signed

UPLOAD = f"/v1_1/{CLOUD_NAME}/image/upload"


def _log_lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def _errors_logged(tmp_path: Path, capsys: pytest.CaptureFixture[str], send: Any) -> tuple[int, list[dict[str, Any]]]:
    """Send one request through a fresh app logging at INFO; its status and its non-access log lines."""
    # The app's logging config installs its own stderr handler when the app is built: build it under capsys.
    with TestClient(create_app(make_settings(tmp_path / "emulator", log_level="INFO"))) as client:
        capsys.readouterr()
        status = send(client).status_code
        # The test client logs its own requests (httpx); only the app's records and Litestar's count.
        lines = [
            line
            for line in _log_lines(capsys.readouterr().err)
            if line["logger"].startswith(("cloudinary_emulator", "litestar", "service_kit"))
        ]
    return status, lines


def test_an_invalid_signature_is_one_warning_with_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = signed({"public_id": "user_1"})
    fields["public_id"] = "user_2"

    def send(client: TestClient) -> Any:  # type: ignore[type-arg]
        return client.post(UPLOAD, data=fields, files={"file": ("a.jpg", jpeg(10, 10), "image/jpeg")})

    status, lines = _errors_logged(tmp_path, capsys, send)

    assert status == 401
    assert [(line["level"], line["logger"]) for line in lines] == [("WARNING", "cloudinary_emulator.errors")]
    assert lines[0]["msg"].startswith(f"401 {UPLOAD}: Invalid Signature ")
    assert "exc" not in lines[0]


@pytest.mark.parametrize(
    ("method", "path", "fields", "status", "message"),
    [
        (
            "GET",
            f"/{CLOUD_NAME}/image/upload/c_fill,w_10/avatars/missing.jpg",
            None,
            404,
            "Resource not found - avatars/missing",
        ),
        ("POST", UPLOAD, {"public_id": "x"}, 400, "Upload preset must be specified when using unsigned upload"),
    ],
    ids=["resource not found", "bad parameters"],
)
def test_client_errors_are_one_info_line_without_a_traceback(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    method: str,
    path: str,
    fields: dict[str, str] | None,
    status: int,
    message: str,
) -> None:
    def send(client: TestClient) -> Any:  # type: ignore[type-arg]
        return client.request(method, path, data=fields)

    answered, lines = _errors_logged(tmp_path, capsys, send)

    assert answered == status
    assert [(line["level"], line["msg"]) for line in lines] == [("INFO", f"{status} {path}: {message}")]
    assert "exc" not in lines[0]


def test_an_injected_fault_is_one_warning_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def send(client: TestClient) -> Any:  # type: ignore[type-arg]
        assert client.put("/_emulator/faults", json={"upload_failures": 1}).status_code == 200
        return client.post(
            UPLOAD, data=signed({"public_id": "user_1"}), files={"file": ("a.jpg", jpeg(10, 10), "image/jpeg")}
        )

    status, lines = _errors_logged(tmp_path, capsys, send)
    lines = [line for line in lines if line["logger"] != "cloudinary_emulator.faults"]

    assert status == 500
    assert [(line["level"], line["msg"]) for line in lines] == [("WARNING", f"500 {UPLOAD}: General Error")]
    assert "exc" not in lines[0]
