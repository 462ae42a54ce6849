"""Signing keys: loaded once at start-up, the newest signs, every one is published as JWKS.

Rotation: add a new PEM whose file name sorts last (e.g. `20260101-ab12.pem`); it signs from the next
start. Keep the old file until every token it signed has expired (the access-token TTL), then delete
it: from then on those tokens are rejected because their `kid` is no longer published.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import msgspec
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from litestar import Controller, get
from litestar.datastructures import CacheControlHeader, State

from auth_service.config import Settings
from service_kit.settings import SettingsError

ALGORITHM = "EdDSA"
_PEM_BLOCK = "-----END PRIVATE KEY-----"


@dataclass(frozen=True)
class SigningKey:
    """One Ed25519 key pair and the id it is published under."""

    kid: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The half that verifiers get."""
        return self.private_key.public_key()

    @property
    def x(self) -> str:
        """The raw public key, base64url without padding (the JWK `x` member)."""
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Jwk(msgspec.Struct):
    """A public key as JSON Web Key (RFC 8037 for Ed25519)."""

    kty: str
    crv: str
    x: str
    kid: str
    use: str
    alg: str


class Jwks(msgspec.Struct):
    """The JWK Set verifiers fetch."""

    keys: list[Jwk]


@dataclass(frozen=True)
class KeySet:
    """Every configured key; the last one signs."""

    keys: tuple[SigningKey, ...]

    @property
    def signing(self) -> SigningKey:
        """The key new tokens are signed with; RuntimeError in a process built without keys (`signing=False`)."""
        if not self.keys:
            raise RuntimeError("this process was built without signing keys")
        return self.keys[-1]

    @cached_property
    def _public_keys(self) -> dict[str, Ed25519PublicKey]:
        # Built once: deriving the public half from the private key on every verification cost a key object each.
        return {key.kid: key.public_key for key in self.keys}

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        """The published key with this id, if any."""
        return self._public_keys.get(kid)

    def jwks(self) -> Jwks:
        """The public halves as a JWK Set."""
        return Jwks(keys=[Jwk(kty="OKP", crv="Ed25519", x=k.x, kid=k.kid, use="sig", alg=ALGORITHM) for k in self.keys])


def _thumbprint(key: Ed25519PrivateKey) -> str:
    # RFC 7638: a stable kid for an inline key that has no file name to borrow.
    x = SigningKey("", key).x
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _parse(pem: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SettingsError(f"invalid configuration: {source} is not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SettingsError(f"invalid configuration: {source} is not an Ed25519 key")
    return key


def load_keys(settings: Settings) -> KeySet:
    """Keys from AUTH_SIGNING_KEYS_DIR (sorted by file name) then AUTH_SIGNING_KEY; SettingsError if none."""
    keys: list[SigningKey] = []
    if settings.signing_keys_dir is not None:
        folder = Path(settings.signing_keys_dir)
        if not folder.is_dir():
            raise SettingsError(f"invalid configuration: AUTH_SIGNING_KEYS_DIR {folder} is not a directory")
        for path in sorted(folder.glob("*.pem")):
            keys.append(SigningKey(path.stem, _parse(path.read_bytes(), f"AUTH_SIGNING_KEYS_DIR file {path.name}")))
    if settings.signing_key is not None:
        blocks = [b + _PEM_BLOCK for b in settings.signing_key.split(_PEM_BLOCK) if b.strip()]
        for block in blocks:
            key = _parse(block.strip().encode(), "AUTH_SIGNING_KEY")
            keys.append(SigningKey(_thumbprint(key), key))
    if not keys:
        raise SettingsError("invalid configuration: no signing key in AUTH_SIGNING_KEYS_DIR or AUTH_SIGNING_KEY")
    if len({k.kid for k in keys}) != len(keys):
        raise SettingsError("invalid configuration: two signing keys share a kid")
    return KeySet(tuple(keys))


class JwksController(Controller):
    """Public keys for verifiers (profile-service caches them)."""

    tags = ["keys"]

    # Five minutes bounds how long a verifier keeps trusting a key after it was removed here.
    @get("/.well-known/jwks.json", operation_id="getJwks", cache_control=CacheControlHeader(public=True, max_age=300))
    async def jwks(self, state: State) -> Jwks:
        """The public keys access tokens are signed with (JWK Set, Ed25519), for verifiers to cache."""
        key_set: KeySet = state.services.keys
        return key_set.jwks()
