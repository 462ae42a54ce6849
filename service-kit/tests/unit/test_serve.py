"""`serve()` refuses a bad configuration before uvicorn starts."""

import pytest

from service_kit.serve import Listens, serve
from service_kit.settings import SettingsError


def test_a_settings_error_exits_2_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> Listens:
        raise SettingsError("DEMO_PORT must be an integer")

    assert serve("demo-service", "nowhere:create_app", broken) == 2
    assert capsys.readouterr().err == "demo-service: DEMO_PORT must be an integer\n"
