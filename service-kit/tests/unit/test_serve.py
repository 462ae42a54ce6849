"""`serve()` refuses a bad configuration before uvicorn starts."""

import pytest

from service_kit.serve import Listens, serve
from service_kit.settings import SettingsError


def test_a_settings_error_exits_2_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> Listens:
        raise SettingsError("DEMO_PORT must be an integer")

    assert serve("demo-service", "nowhere:create_app", broken) == 2
    assert capsys.readouterr().err == "demo-service: DEMO_PORT must be an integer\n"


def test_an_unknown_trace_exporter_exits_2_naming_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")

    class Local:
        host = "127.0.0.1"
        port = 9

    assert serve("demo-service", "nowhere:create_app", Local) == 2
    assert "demo-service: invalid configuration: OTEL_TRACES_EXPORTER 'zipkin'" in capsys.readouterr().err
