"""Development secrets, generated once into the git-ignored `.data/` folder and reused afterwards."""

import base64
import secrets
import string
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DEV_CLOUD_NAME = "dev-cloud"


def ensure_signing_key(keys_dir: Path) -> Path:
    """Make sure `keys_dir` holds at least one Ed25519 private key (PEM) for the auth service."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    existing = sorted(keys_dir.glob("*.pem"))
    if existing:
        return existing[-1]
    # The file name becomes the `kid`; a date prefix makes the newest key sort last.
    path = keys_dir / f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}.pem"
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    return path


def ensure_cloudinary_url(path: Path, emulator_port: int) -> str:
    """A dev `CLOUDINARY_URL` for the emulator, with a random key and secret kept in `path`."""

    def make() -> str:
        api_key = "".join(secrets.choice(string.digits) for _ in range(15))
        api_secret = secrets.token_urlsafe(21)
        return f"cloudinary://{api_key}:{api_secret}@{DEV_CLOUD_NAME}?upload_prefix=http://127.0.0.1:{emulator_port}"

    return _kept(path, make)


def ensure_aes_key(path: Path) -> str:
    """A random 256-bit key in base64url kept in `path` (auth-service's AUTH_MFA_ENCRYPTION_KEY)."""
    return _kept(path, lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())


def ensure_client_secret(path: Path) -> str:
    """A random client secret kept in `path` (a dev service client of auth-service's client-credentials grant)."""
    return _kept(path, lambda: secrets.token_urlsafe(32))


def _kept(path: Path, make: Callable[[], str]) -> str:
    # Made once, readable only by the owner, then reused: restarts keep data and sign-ins valid.
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value
