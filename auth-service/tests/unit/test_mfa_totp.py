from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from auth_service.config import Settings
from auth_service.mfa import totp
from service_kit.outbox import backoff_seconds
from service_kit.settings import SettingsError
from tests.conftest import MFA_KEY

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
SECRET = totp.new_secret()


def test_the_encrypted_secret_decrypts_only_for_its_user_and_key() -> None:
    cipher = totp.TotpCipher(MFA_KEY)
    sealed = cipher.encrypt("user-1", "JBSWY3DPEHPK3PXP")

    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert cipher.decrypt("user-1", sealed) == "JBSWY3DPEHPK3PXP"
    assert cipher.decrypt("user-2", sealed) is None
    assert totp.TotpCipher("A" * 43).decrypt("user-1", sealed) is None


def test_codes_match_within_one_step_either_side() -> None:
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(NOW)

    assert totp.matching_step(secret, code, NOW) == totp.current_step(NOW)
    assert totp.matching_step(secret, code, NOW + timedelta(seconds=30)) == totp.current_step(NOW)
    assert totp.matching_step(secret, code, NOW + timedelta(seconds=90)) is None
    assert totp.matching_step(secret, "12345x", NOW) is None


def test_recovery_codes_are_ten_distinct_and_hash_forgivingly() -> None:
    codes = totp.new_recovery_codes()

    assert len(set(codes)) == 10
    assert totp.hash_recovery_code(codes[0]) == totp.hash_recovery_code(f" {codes[0].upper().replace('-', '')} ")
    assert not totp.is_totp_code(codes[0])
    assert totp.is_totp_code("012345")


def test_the_qr_code_is_an_inline_svg() -> None:
    svg = totp.qr_svg(totp.otpauth_uri(totp.new_secret(), "a@example.com", "Profile Pictures"))

    assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_seconds(n, 5, 30) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 30, 30]


def test_a_malformed_mfa_key_stops_the_service() -> None:
    base = {"MONGODB_URI": "mongodb://db", "AUTH_ISSUER": "http://auth", "AUTH_SIGNING_KEYS_DIR": "/keys"}

    with pytest.raises(SettingsError, match="AUTH_MFA_ENCRYPTION_KEY"):
        Settings.from_env(base | {"AUTH_MFA_ENCRYPTION_KEY": "short"})
    assert Settings.from_env(base | {"AUTH_MFA_ENCRYPTION_KEY": MFA_KEY}).mfa_encryption_key == MFA_KEY
    assert Settings.from_env(base | {"AUTH_SMTP_STARTTLS": "true", "AUTH_SMTP_PORT": "587"}).smtp_starttls is True


@pytest.mark.parametrize(
    "code",
    ["\uff11\uff12\uff13\uff14\uff15\uff16", "١٢٣٤٥٦", "12345😀", "12345é", "éééééé", "12 345", "1234567"],
)
def test_a_code_other_than_six_ascii_digits_matches_no_step(code: str) -> None:
    # hmac.compare_digest raises TypeError for non-ASCII text: full-width or Arabic-Indic digits were a 500.
    assert totp.matching_step(SECRET, code, NOW) is None


def test_the_current_code_matches_the_current_step() -> None:
    code = pyotp.TOTP(SECRET).at(NOW)

    assert totp.matching_step(SECRET, code, NOW) == totp.current_step(NOW)
