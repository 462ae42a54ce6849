"""The one place that knows Cloudinary's signing rules.

Request signatures (Upload API), response signatures, notification signatures and delivery URL signatures
all follow the facts file (../shared/reference/cloudinary-api.md §2, §4, §5, §6).
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Literal

Algorithm = Literal["sha1", "sha256"]

# Never part of the string to sign (plus `signature` itself).
UNSIGNED_PARAMETERS = frozenset({"file", "cloud_name", "resource_type", "api_key", "signature"})


def digest(payload: str | bytes, algorithm: Algorithm) -> str:
    """Hex digest of `payload` with the account's algorithm."""
    data = payload.encode() if isinstance(payload, str) else payload
    return hashlib.sha256(data).hexdigest() if algorithm == "sha256" else hashlib.sha1(data).hexdigest()  # noqa: S324 - Cloudinary's protocol


def string_to_sign(params: Mapping[str, str], version: int = 2) -> str:
    """`k=v` pairs of every signable parameter, sorted, joined by `&`; version 2 escapes `&` inside values.

    Empty values are kept: the real server signs the fields it received (a captured server string-to-sign read
    `folder=&timestamp=...&upload_preset=`), so a browser that sends an empty field must have signed it.
    """
    pairs = sorted(f"{key}={value}" for key, value in params.items() if key not in UNSIGNED_PARAMETERS)
    if version == 2:
        pairs = [pair.replace("&", "%26") for pair in pairs]
    return "&".join(pairs)


def sign(params: Mapping[str, str], secret: str, algorithm: Algorithm = "sha1", version: int = 2) -> str:
    """The signature a client computes for `params` (what `cloudinary.utils.api_sign_request` returns)."""
    return digest(string_to_sign(params, version) + secret, algorithm)


def verify_request(params: Mapping[str, str], signature: str, secret: str, account_algorithm: Algorithm) -> bool:
    """True if `signature` matches under signature_version 1 or 2, with an algorithm the account accepts.

    The algorithm is told apart by length (40 hex = SHA-1, 64 = SHA-256); an account set to SHA-256 refuses SHA-1.
    """
    # A form field may hold any text; compare_digest raises TypeError on non-ASCII, so it is simply no match.
    if not signature.isascii():
        return False
    algorithm: Algorithm = "sha256" if len(signature) == 64 else "sha1"
    if account_algorithm == "sha256" and algorithm == "sha1":
        return False
    return any(hmac.compare_digest(sign(params, secret, algorithm, version), signature.lower()) for version in (2, 1))


def response_signature(public_id: str, version: int, secret: str, algorithm: Algorithm = "sha1") -> str:
    """`signature` of an upload response: always signature_version 1 (no `&` escaping)."""
    return digest(f"public_id={public_id}&version={version}" + secret, algorithm)


def notification_signature(body: bytes, timestamp: int, secret: str, algorithm: Algorithm = "sha1") -> str:
    """`X-Cld-Signature`: a plain digest of raw body + timestamp + secret (not an HMAC)."""
    return digest(body + str(timestamp).encode() + secret.encode(), algorithm)


def delivery_signature(to_sign: str, secret: str, long: bool = False) -> str:
    """The `SIG` of an `s--SIG--` URL segment: URL-safe base64 of the digest, 8 chars (32 with SHA-256)."""
    raw = (hashlib.sha256 if long else hashlib.sha1)((to_sign + secret).encode()).digest()
    return base64.urlsafe_b64encode(raw).decode()[: 32 if long else 8]
