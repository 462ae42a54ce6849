"""TOTP (RFC 6238) codes, recovery codes, the encrypted secret, and the enrolment QR code.

The secret is AES-GCM encrypted with AUTH_MFA_ENCRYPTION_KEY, the user id bound in as associated data, so a
ciphertext copied onto another account does not decrypt. It is shown once, at enrolment, never again.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

STEP_SECONDS = 30
# One step either side: phones and servers disagree by a few seconds.
WINDOW = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class TotpCipher:
    """Encrypts and decrypts TOTP secrets for storage."""

    def __init__(self, key: str) -> None:
        self._aead = AESGCM(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)))

    def encrypt(self, user_id: str, secret: str) -> str:
        """`v1.` + base64url(nonce + ciphertext)."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), user_id.encode())
        return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, user_id: str, stored: str) -> str | None:
        """The secret, or None if it was not encrypted for this user with this key."""
        try:
            raw = base64.urlsafe_b64decode(stored.removeprefix("v1."))
            return self._aead.decrypt(raw[:12], raw[12:], user_id.encode()).decode()
        except (InvalidTag, ValueError):
            return None


def new_secret() -> str:
    """160 random bits in base32, what authenticator apps expect."""
    return pyotp.random_base32()


def otpauth_uri(secret: str, account: str, issuer: str) -> str:
    """The `otpauth://totp/...` URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code, drawn here so the browser needs no third-party service."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, border=2))


def current_step(now: datetime) -> int:
    """The TOTP time step of `now`."""
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (within the window) whose code is `code`, compared in constant time; None if none."""
    # Anything but six ASCII digits can match no step; refusing it here also keeps `compare_digest` away from
    # non-ASCII text, which it refuses with TypeError (full-width or Arabic-Indic digits, emoji: a 500).
    if not is_totp_code(code):
        return None
    totp = pyotp.TOTP(secret)
    found = None
    step = current_step(now)
    for candidate in range(step - WINDOW, step + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            found = candidate
    return found


def is_totp_code(code: str) -> bool:
    """Six digits (anything else is tried as a recovery code)."""
    return len(code) == 6 and code.isascii() and code.isdigit()


def new_recovery_codes() -> list[str]:
    """Ten codes like `k7m2q-x9dfa` (about 49 bits each), shown once."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    """What is stored: SHA-256 of the normalized code (random codes need no slow hash)."""
    normalized = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalized.encode()).hexdigest()
