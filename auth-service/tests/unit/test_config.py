import pytest
from auth_service.config import Settings, SettingsError


def test_from_env_reads_prefixed_and_standard_names() -> None:
    settings = Settings.from_env({"MONGODB_URI": "mongodb://db", "AUTH_PORT": "9001", "AUTH_DATABASE": "a"})

    assert settings.mongodb_uri == "mongodb://db"
    assert settings.port == 9001
    assert settings.database == "a"


def test_from_env_names_the_missing_variable() -> None:
    with pytest.raises(SettingsError, match="missing required variable MONGODB_URI"):
        Settings.from_env({})


def test_from_env_names_the_malformed_variable() -> None:
    with pytest.raises(SettingsError, match="AUTH_PORT"):
        Settings.from_env({"MONGODB_URI": "mongodb://db", "AUTH_PORT": "eighty"})


def test_from_env_rejects_a_misspelt_variable() -> None:
    with pytest.raises(SettingsError, match="unknown variable AUTH_PROT"):
        Settings.from_env({"MONGODB_URI": "mongodb://db", "AUTH_PROT": "9001"})


def test_from_env_tolerates_the_jwks_url_meant_for_profile_service() -> None:
    settings = Settings.from_env({"MONGODB_URI": "mongodb://db", "AUTH_JWKS_URL": "http://x/jwks.json"})

    assert settings.mongodb_uri == "mongodb://db"
