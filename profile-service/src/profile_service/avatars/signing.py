"""The one module that knows Cloudinary's signing rules: upload parameters, notifications, upload responses.

Upload parameters are signed with `cloudinary.utils.api_sign_request` over exactly the strings the browser
will post (booleans as "true"/"false": the server signs what it receives, and the SDK would sign a Python
`True` as "true" but drop `False`). Notification and response signatures are checked here in constant time,
because the SDK's helpers compare with `==` and accept notification timestamps from the future.
"""

import hashlib
import hmac
import time

import cloudinary.utils

from profile_service.avatars.cloudinary import CloudinaryAccount

# Cloudinary accepts a signed request for one hour after its timestamp; we shorten that window by back-dating.
CLOUDINARY_SIGNATURE_LIFETIME = 3600


class InvalidNotification(Exception):
    """The notification's signature or timestamp does not verify; the message says which (never the secret)."""


def eager_transformation(size: int) -> str:
    """One square avatar size as the SDK would write it (parameters sorted by key); delivery uses the same string."""
    return f"c_fill,g_face,h_{size},w_{size}"


def incoming_transformation(max_dimension: int) -> str:
    """Applied before storing: caps the original's size and strips metadata (GPS included) from it."""
    return f"c_limit,h_{max_dimension},w_{max_dimension}/fl_force_strip"


def signed_timestamp(now: float, ttl_seconds: int) -> int:
    """A back-dated timestamp so Cloudinary itself refuses the parameters once `ttl_seconds` have passed."""
    return int(now) - (CLOUDINARY_SIGNATURE_LIFETIME - ttl_seconds)


def upload_params(
    *,
    public_id: str,
    intent_id: str,
    sizes: tuple[int, ...],
    formats: tuple[str, ...],
    max_dimension: int,
    notification_url: str,
    moderation: str | None = None,
) -> dict[str, str]:
    """The upload parameters every avatar upload uses (browser or server-side), without timestamp and signature.

    `moderation` (PROFILE_MODERATION, e.g. `manual` or `aws_rek|manual`) is signed like every other field, so a
    browser cannot drop it to skip review.
    """
    params = {
        "allowed_formats": ",".join(formats),
        "context": f"intent_id={intent_id}",
        "eager": "|".join(eager_transformation(size) for size in sizes),
        "eager_async": "true",
        "notification_url": notification_url,
        "overwrite": "false",
        "public_id": public_id,
        "transformation": incoming_transformation(max_dimension),
    }
    if moderation is not None:
        params["moderation"] = moderation
    return params


def upload_fields(
    account: CloudinaryAccount,
    *,
    public_id: str,
    intent_id: str,
    timestamp: int,
    sizes: tuple[int, ...],
    formats: tuple[str, ...],
    max_dimension: int,
    notification_url: str,
    moderation: str | None = None,
) -> dict[str, str]:
    """Every form field the browser posts with the file, signature and api_key included, all server-chosen."""
    params = upload_params(
        public_id=public_id,
        intent_id=intent_id,
        sizes=sizes,
        formats=formats,
        max_dimension=max_dimension,
        notification_url=notification_url,
        moderation=moderation,
    )
    params["timestamp"] = str(timestamp)
    # Never sign an empty value: the SDK drops it from the string to sign while a browser would still send it.
    if empty := [key for key, value in params.items() if not value]:
        raise ValueError(f"empty upload parameters: {empty}")
    signature = cloudinary.utils.api_sign_request(params, account.api_secret, algorithm=account.signature_algorithm)
    return {**params, "api_key": account.api_key, "signature": signature}


def _digest(payload: bytes, algorithm: str) -> str:
    if algorithm == "sha256":
        return hashlib.sha256(payload).hexdigest()
    return hashlib.sha1(payload).hexdigest()  # noqa: S324 - Cloudinary's protocol; keyed by the secret


def notification_signature(body: bytes, timestamp: str, secret: str, algorithm: str = "sha1") -> str:
    """`X-Cld-Signature` for a body: hex digest of raw body + timestamp + API secret (not an HMAC)."""
    return _digest(body + timestamp.encode() + secret.encode(), algorithm)


def verify_notification(
    account: CloudinaryAccount,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    window_seconds: int,
    future_skew_seconds: int,
    now: float | None = None,
) -> None:
    """Raise InvalidNotification unless the signature matches the raw body and the timestamp is fresh."""
    if not timestamp or not signature:
        raise InvalidNotification("missing X-Cld-Timestamp or X-Cld-Signature")
    # isdigit() alone takes "²" and Arabic-Indic digits, which int() then refuses or reads differently.
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise InvalidNotification("malformed X-Cld-Timestamp")
    signature = signature.strip().lower()
    # Headers arrive as latin-1 text; compare_digest raises TypeError on non-ASCII, so refuse it first.
    if not signature.isascii():
        raise InvalidNotification("malformed X-Cld-Signature")
    # SHA-1 (40 hex) or SHA-256 (64 hex), as the account is configured; both are keyed by the secret.
    algorithm = {40: "sha1", 64: "sha256"}.get(len(signature))
    if algorithm is None or (account.signature_algorithm == "sha256" and algorithm == "sha1"):
        raise InvalidNotification("malformed X-Cld-Signature")
    expected = notification_signature(body, timestamp, account.api_secret, algorithm)
    # Check the signature before the clock, in constant time, so timing says nothing about the secret.
    if not hmac.compare_digest(expected, signature):
        raise InvalidNotification("signature mismatch")
    current = time.time() if now is None else now
    sent_at = int(timestamp)
    if sent_at > current + future_skew_seconds:
        raise InvalidNotification("timestamp is in the future")
    if sent_at < current - window_seconds:
        raise InvalidNotification("timestamp is too old")


def response_signature(public_id: str, version: int, secret: str, algorithm: str = "sha1") -> str:
    """The `signature` in an upload response: `public_id=..&version=..` + secret, always signature version 1."""
    return _digest(f"public_id={public_id}&version={version}{secret}".encode(), algorithm)


def verify_response_signature(account: CloudinaryAccount, public_id: str, version: int, signature: str) -> bool:
    """True if the browser-forwarded upload response really came from Cloudinary for this public_id and version."""
    signature = signature.strip().lower()
    algorithm = "sha256" if len(signature) == 64 else "sha1"
    if account.signature_algorithm == "sha256" and algorithm == "sha1":
        return False
    return hmac.compare_digest(response_signature(public_id, version, account.api_secret, algorithm), signature)
