import pytest

from cloudinary_emulator.config import Settings
from service_kit.settings import SettingsError


def test_from_env_reads_cloudinary_url_and_prefixed_names() -> None:
    settings = Settings.from_env({"CLOUDINARY_URL": "cloudinary://k:s@c", "EMULATOR_DATA_DIR": "/srv/emulator"})

    assert settings.cloudinary_url == "cloudinary://k:s@c"
    assert settings.data_dir == "/srv/emulator"


def test_from_env_names_the_missing_variable() -> None:
    with pytest.raises(SettingsError, match="missing required variable CLOUDINARY_URL"):
        Settings.from_env({})


def test_from_env_reads_json_presets_and_faults_and_parses_the_account() -> None:
    settings = Settings.from_env(
        {
            "CLOUDINARY_URL": "cloudinary://key:se%40cret@MyCloud?upload_prefix=http://127.0.0.1:8003",
            "EMULATOR_UPLOAD_PRESETS": '{"web": {"unsigned": true, "folder": "avatars"}}',
            "EMULATOR_FAULTS": '{"upload_failures": 2}',
            "EMULATOR_PUBLIC_URL": "http://localhost:8003/",
        }
    )

    assert settings.upload_presets == {"web": {"unsigned": True, "folder": "avatars"}}
    assert settings.faults == {"upload_failures": 2}
    account = settings.account()
    assert (account.cloud_name, account.api_key, account.api_secret) == ("MyCloud", "key", "se@cret")
    assert settings.base_url() == "http://localhost:8003"


def test_from_env_refuses_a_malformed_cloudinary_url() -> None:
    with pytest.raises(SettingsError, match="CLOUDINARY_URL must look like"):
        Settings.from_env({"CLOUDINARY_URL": "https://example.com"})


def test_the_notification_retry_schedule_defaults_to_cloudinarys_and_reads_from_env() -> None:
    default = Settings.from_env({"CLOUDINARY_URL": "cloudinary://k:s@c"})
    scaled = Settings.from_env(
        {
            "CLOUDINARY_URL": "cloudinary://k:s@c",
            "EMULATOR_NOTIFICATION_RETRY_DELAYS": "1, 2.5",
            "EMULATOR_NOTIFICATION_TIME_SCALE": "0.01",
        }
    )

    assert (default.notification_retry_delays, default.notification_timeout, default.notification_time_scale) == (
        (180.0, 360.0, 540.0),
        20.0,
        1.0,
    )
    assert (scaled.notification_retry_delays, scaled.notification_time_scale) == ((1.0, 2.5), 0.01)


def test_the_old_backoff_setting_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="EMULATOR_NOTIFICATION_BACKOFF"):
        Settings.from_env({"CLOUDINARY_URL": "cloudinary://k:s@c", "EMULATOR_NOTIFICATION_BACKOFF": "1"})
