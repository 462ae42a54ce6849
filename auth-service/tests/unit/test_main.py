import os

import pytest

from auth_service.__main__ import main


@pytest.fixture
def no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AUTH_") or name == "MONGODB_URI":
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("no_configuration")
@pytest.mark.parametrize("argv", [[], ["serve"], ["--port", "9"]])
def test_anything_but_a_role_command_serves_and_refuses_to_start_unconfigured(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("auth-service: invalid configuration")


@pytest.mark.usefixtures("no_configuration")
def test_role_commands_check_their_usage_before_the_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grant-role", "alice@example.com", "root"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["revoke-role", "alice@example.com"]) == 2  # well formed: now the missing MONGODB_URI stops it
    assert "MONGODB_URI" in capsys.readouterr().err.upper()
