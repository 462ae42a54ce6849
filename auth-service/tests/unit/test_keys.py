from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auth_service.config import Settings
from auth_service.keys import load_keys
from service_kit.settings import SettingsError
from tests.conftest import pem


def _settings(**values: str) -> Settings:
    return Settings(mongodb_uri="mongodb://db", issuer="http://auth", **values)  # type: ignore[arg-type]


def test_the_newest_file_signs_and_every_file_is_published(tmp_path: Path) -> None:
    for name in ("20240101-old", "20250101-new"):
        (tmp_path / f"{name}.pem").write_text(pem(Ed25519PrivateKey.generate()))

    keys = load_keys(_settings(signing_keys_dir=str(tmp_path)))

    assert keys.signing.kid == "20250101-new"
    assert [k.kid for k in keys.jwks().keys] == ["20240101-old", "20250101-new"]


def test_an_inline_key_gets_its_thumbprint_as_kid() -> None:
    keys = load_keys(_settings(signing_key=pem(Ed25519PrivateKey.generate())))

    assert len(keys.signing.kid) == 43


def test_an_empty_keys_dir_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no signing key"):
        load_keys(_settings(signing_keys_dir=str(tmp_path)))


def test_a_missing_keys_dir_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="AUTH_SIGNING_KEYS_DIR"):
        load_keys(_settings(signing_keys_dir=str(tmp_path / "nope")))


def test_a_key_that_is_not_ed25519_is_refused() -> None:
    ec_pem = generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    with pytest.raises(SettingsError, match="AUTH_SIGNING_KEY is not an Ed25519 key"):
        load_keys(_settings(signing_key=ec_pem.decode()))


def test_garbage_is_refused() -> None:
    with pytest.raises(SettingsError, match="AUTH_SIGNING_KEY is not an unencrypted PEM"):
        load_keys(_settings(signing_key="hello"))
