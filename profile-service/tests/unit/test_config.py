import pytest

from profile_service.config import Settings, SettingsError


def test_from_env_reads_prefixed_and_standard_names() -> None:
    settings = Settings.from_env(
        {"MONGODB_URI": "mongodb://db", "PROFILE_PORT": "9002", "AUTH_JWKS_URL": "http://auth/.well-known/jwks.json"}
    )

    assert settings.mongodb_uri == "mongodb://db"
    assert settings.port == 9002
    assert settings.auth_jwks_url == "http://auth/.well-known/jwks.json"


def test_from_env_names_the_missing_variable() -> None:
    with pytest.raises(SettingsError, match="missing required variable MONGODB_URI"):
        Settings.from_env({})


def test_from_env_names_the_malformed_variable() -> None:
    with pytest.raises(SettingsError, match="PROFILE_PORT"):
        Settings.from_env({"MONGODB_URI": "mongodb://db", "PROFILE_PORT": "eighty"})


def test_from_env_rejects_a_misspelt_variable() -> None:
    with pytest.raises(SettingsError, match="unknown variable PROFILE_PROT"):
        Settings.from_env({"MONGODB_URI": "mongodb://db", "PROFILE_PROT": "9002"})
