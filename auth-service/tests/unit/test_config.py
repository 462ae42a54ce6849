import hashlib

import pytest

from auth_service.config import Settings
from service_kit.settings import SettingsError

BASE = {"MONGODB_URI": "mongodb://db", "AUTH_ISSUER": "http://auth", "AUTH_SIGNING_KEYS_DIR": "/keys"}


def test_from_env_reads_prefixed_and_standard_names() -> None:
    settings = Settings.from_env(BASE | {"AUTH_PORT": "9001", "AUTH_DATABASE": "a"})

    assert settings.mongodb_uri == "mongodb://db"
    assert settings.port == 9001
    assert settings.database == "a"
    assert settings.issuer == "http://auth"


def test_from_env_names_the_missing_variable() -> None:
    with pytest.raises(SettingsError, match="missing required variable MONGODB_URI"):
        Settings.from_env({"AUTH_ISSUER": "http://auth", "AUTH_SIGNING_KEY": "x"})


def test_from_env_requires_the_issuer() -> None:
    with pytest.raises(SettingsError, match="missing required variable AUTH_ISSUER"):
        Settings.from_env({"MONGODB_URI": "mongodb://db", "AUTH_SIGNING_KEY": "x"})


def test_from_env_refuses_to_start_without_a_signing_key() -> None:
    with pytest.raises(SettingsError, match="AUTH_SIGNING_KEYS_DIR or AUTH_SIGNING_KEY"):
        Settings.from_env({"MONGODB_URI": "mongodb://db", "AUTH_ISSUER": "http://auth"})


def test_from_env_names_the_malformed_variable() -> None:
    with pytest.raises(SettingsError, match="AUTH_PORT"):
        Settings.from_env(BASE | {"AUTH_PORT": "eighty"})


def test_from_env_rejects_a_misspelt_variable() -> None:
    with pytest.raises(SettingsError, match="unknown variable AUTH_PROT"):
        Settings.from_env(BASE | {"AUTH_PROT": "9001"})


def test_from_env_tolerates_the_jwks_url_meant_for_profile_service() -> None:
    settings = Settings.from_env(BASE | {"AUTH_JWKS_URL": "http://x/jwks.json"})

    assert settings.mongodb_uri == "mongodb://db"


def test_cookie_secure_is_on_unless_switched_off() -> None:
    assert Settings.from_env(BASE).cookie_secure is True
    assert Settings.from_env(BASE | {"AUTH_COOKIE_SECURE": "false"}).cookie_secure is False


def test_defaults_follow_the_issue_and_owasp() -> None:
    settings = Settings.from_env(BASE)

    assert settings.access_token_ttl_seconds == 900
    assert settings.refresh_token_ttl_days == 30
    assert settings.user_audience == "profile-service"
    # OWASP Password Storage Cheat Sheet, argon2id: m >= 19 MiB with t >= 2, p = 1.
    assert settings.argon2_memory_kib >= 19456
    assert settings.argon2_time_cost >= 2


def test_service_clients_are_read_from_json() -> None:
    digest = hashlib.sha256(b"secret").hexdigest()
    clients = f'[{{"client_id": "worker", "secret_sha256": "{digest}", "audience": "internal", "scopes": ["a"]}}]'

    settings = Settings.from_env(BASE | {"AUTH_SERVICE_CLIENTS": clients})

    assert settings.service_clients[0].client_id == "worker"
    assert settings.service_clients[0].scopes == ["a"]


def test_service_clients_that_are_not_json_are_named() -> None:
    with pytest.raises(SettingsError, match="AUTH_SERVICE_CLIENTS is not JSON"):
        Settings.from_env(BASE | {"AUTH_SERVICE_CLIENTS": "worker:secret"})


def test_service_client_with_a_clear_text_secret_is_refused() -> None:
    clients = '[{"client_id": "worker", "secret_sha256": "secret", "audience": "internal"}]'

    with pytest.raises(SettingsError, match="AUTH_SERVICE_CLIENTS"):
        Settings.from_env(BASE | {"AUTH_SERVICE_CLIENTS": clients})


def test_webauthn_defaults_to_the_dev_origin() -> None:
    settings = Settings.from_env(BASE)

    assert settings.webauthn_rp_id == "localhost"
    assert settings.webauthn_rp_name == "Profile pictures"
    assert settings.webauthn_origins == ["http://localhost:8080"]


@pytest.mark.parametrize(
    "value", ['["http://localhost:8080", "http://localhost:5173"]', "http://localhost:8080, HTTP://localhost:5173"]
)
def test_webauthn_origins_are_a_json_or_a_comma_separated_list(value: str) -> None:
    settings = Settings.from_env(BASE | {"AUTH_WEBAUTHN_ORIGINS": value})

    assert settings.webauthn_origins == ["http://localhost:8080", "http://localhost:5173"]


def test_webauthn_origins_must_be_on_the_relying_party_domain() -> None:
    env = BASE | {"AUTH_WEBAUTHN_RP_ID": "example.com"}

    accepted = Settings.from_env(env | {"AUTH_WEBAUTHN_ORIGINS": "https://example.com,https://www.example.com"})
    with pytest.raises(SettingsError, match=r"AUTH_WEBAUTHN_ORIGINS has https://evil-example\.com"):
        Settings.from_env(env | {"AUTH_WEBAUTHN_ORIGINS": "https://evil-example.com"})

    assert accepted.webauthn_origins == ["https://example.com", "https://www.example.com"]


@pytest.mark.parametrize("origin", ["http://localhost:8080/", "localhost:8080", "http://localhost/app"])
def test_a_webauthn_origin_with_a_path_or_without_a_scheme_is_refused(origin: str) -> None:
    with pytest.raises(SettingsError, match="AUTH_WEBAUTHN_ORIGINS"):
        Settings.from_env(BASE | {"AUTH_WEBAUTHN_ORIGINS": origin})
