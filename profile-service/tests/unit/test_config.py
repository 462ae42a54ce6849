import pytest

from profile_service.__main__ import main
from profile_service.config import NOTIFICATION_RETRY_WINDOW_SECONDS, Settings
from service_kit.settings import SettingsError

REQUIRED = {
    "MONGODB_URI": "mongodb://db",
    "CLOUDINARY_URL": "cloudinary://key:secret@cloud",
    "AUTH_ISSUER": "http://auth",
    "AUTH_JWKS_URL": "http://auth/.well-known/jwks.json",
    "PUBLIC_WEBHOOK_URL": "http://profile/webhooks/cloudinary",
}


def test_from_env_reads_prefixed_and_standard_names() -> None:
    settings = Settings.from_env({**REQUIRED, "PROFILE_PORT": "9002"})

    assert settings.mongodb_uri == "mongodb://db"
    assert settings.port == 9002
    assert settings.auth_jwks_url == "http://auth/.well-known/jwks.json"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_from_env_names_each_missing_required_variable(name: str) -> None:
    environ = {k: v for k, v in REQUIRED.items() if k != name}

    with pytest.raises(SettingsError, match=f"missing required variable {name}"):
        Settings.from_env(environ)


def test_from_env_names_the_malformed_variable() -> None:
    with pytest.raises(SettingsError, match="PROFILE_PORT"):
        Settings.from_env({**REQUIRED, "PROFILE_PORT": "eighty"})


def test_from_env_rejects_a_misspelt_variable() -> None:
    with pytest.raises(SettingsError, match="unknown variable PROFILE_PROT"):
        Settings.from_env({**REQUIRED, "PROFILE_PROT": "9002"})


def test_from_env_rejects_a_cloudinary_url_without_credentials() -> None:
    with pytest.raises(SettingsError, match="CLOUDINARY_URL"):
        Settings.from_env({**REQUIRED, "CLOUDINARY_URL": "cloudinary://cloud"})


def test_lists_are_comma_separated() -> None:
    settings = Settings.from_env({**REQUIRED, "PROFILE_AVATAR_SIZES": "32, 96", "PROFILE_AVATAR_FORMATS": "JPG,png"})

    assert settings.avatar_sizes == (32, 96)
    assert settings.avatar_formats == ("jpg", "png")


def test_sizes_larger_than_the_maximum_dimension_are_refused() -> None:
    with pytest.raises(SettingsError, match="AVATAR_SIZES"):
        Settings.from_env({**REQUIRED, "PROFILE_AVATAR_SIZES": "64,4096"})


def test_the_upload_long_edge_defaults_to_twice_the_largest_served_size() -> None:
    assert Settings.from_env(REQUIRED).upload_long_edge == 1024
    assert Settings.from_env({**REQUIRED, "PROFILE_AVATAR_SIZES": "64,200"}).upload_long_edge == 400


def test_the_default_upload_long_edge_stays_within_the_dimension_limits() -> None:
    capped = Settings.from_env({**REQUIRED, "PROFILE_AVATAR_SIZES": "64,1500"})
    raised = Settings.from_env({**REQUIRED, "PROFILE_AVATAR_SIZES": "64", "PROFILE_AVATAR_MIN_DIMENSION": "300"})

    assert capped.upload_long_edge == 2048
    assert raised.upload_long_edge == 300


def test_the_upload_long_edge_setting_overrides_the_default() -> None:
    settings = Settings.from_env({**REQUIRED, "PROFILE_AVATAR_UPLOAD_LONG_EDGE": "2048"})

    assert settings.upload_long_edge == 2048


@pytest.mark.parametrize("value", ["511", "2049", "wide"])
def test_an_upload_long_edge_outside_the_served_sizes_and_the_maximum_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="PROFILE_AVATAR_UPLOAD_LONG_EDGE"):
        Settings.from_env({**REQUIRED, "PROFILE_AVATAR_UPLOAD_LONG_EDGE": value})


def test_upload_ttl_cannot_exceed_what_the_back_dated_timestamp_allows() -> None:
    with pytest.raises(SettingsError, match="PROFILE_UPLOAD_TTL_SECONDS"):
        Settings.from_env({**REQUIRED, "PROFILE_UPLOAD_TTL_SECONDS": "7200"})


def test_signing_quotas_default_to_five_open_and_thirty_an_hour() -> None:
    settings = Settings.from_env({**REQUIRED, "PROFILE_MAX_UPLOADS_PER_HOUR": "100"})

    assert (settings.max_open_uploads, settings.max_uploads_per_hour) == (5, 100)


@pytest.mark.parametrize("name", ["PROFILE_MAX_OPEN_UPLOADS", "PROFILE_MAX_UPLOADS_PER_HOUR"])
def test_a_signing_quota_below_one_is_refused(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**REQUIRED, name: "0"})


@pytest.mark.parametrize(
    "value",
    [
        "none",
        "manual",
        "aws_rek",
        "webpurify",
        "perception_point",
        "duplicate:0.5",
        "aws_rek|manual",
        "aws_rek|duplicate:1|manual",
        "duplicate:0",
    ],
)
def test_moderation_accepts_the_documented_kinds(value: str) -> None:
    settings = Settings.from_env({**REQUIRED, "PROFILE_MODERATION": value})

    assert settings.moderation == value
    assert settings.signed_moderation == (None if value == "none" else value)


@pytest.mark.parametrize(
    "value",
    ["", "Manual", "manual|aws_rek", "aws_rek|aws_rek", "none|manual", "duplicate:2", "duplicate:", "nsfw", "manual|"],
)
def test_moderation_refuses_anything_else_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="PROFILE_MODERATION") as refused:
        Settings.from_env({**REQUIRED, "PROFILE_MODERATION": value})

    assert "\n" not in str(refused.value)


def test_moderation_is_off_by_default() -> None:
    settings = Settings.from_env(REQUIRED)

    assert (settings.moderation, settings.signed_moderation, settings.moderation_reconcile_seconds) == (
        "none",
        None,
        1500.0,
    )


def test_reconciliation_waits_out_cloudinarys_notification_retries() -> None:
    settings = Settings.from_env(REQUIRED)

    # With margin: reconciliation is the fallback for a notification that will not come, not a race with it.
    assert settings.upload_grace_seconds >= NOTIFICATION_RETRY_WINDOW_SECONDS + 300
    assert settings.moderation_reconcile_seconds >= NOTIFICATION_RETRY_WINDOW_SECONDS + 300
    assert settings.webhook_window_seconds >= NOTIFICATION_RETRY_WINDOW_SECONDS + 300


def test_the_service_refuses_to_start_with_a_bad_moderation_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {**REQUIRED, "PROFILE_MODERATION": "nsfw"}.items():
        monkeypatch.setenv(name, value)

    assert main(["serve"]) == 2

    [line] = capsys.readouterr().err.splitlines()
    assert "PROFILE_MODERATION" in line and "nsfw" in line
