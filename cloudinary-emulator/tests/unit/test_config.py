import pytest

from cloudinary_emulator.config import Settings, SettingsError


def test_from_env_reads_cloudinary_url_and_prefixed_names() -> None:
    settings = Settings.from_env({"CLOUDINARY_URL": "cloudinary://k:s@c", "EMULATOR_DATA_DIR": "/srv/emulator"})

    assert settings.cloudinary_url == "cloudinary://k:s@c"
    assert settings.data_dir == "/srv/emulator"


def test_from_env_names_the_missing_variable() -> None:
    with pytest.raises(SettingsError, match="missing required variable CLOUDINARY_URL"):
        Settings.from_env({})
