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
