"""Who may call: signed requests, HTTP Basic key:secret, or unsigned uploads through a preset."""

import base64
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from cloudinary_emulator.config import Account
from cloudinary_emulator.errors import bad_request, unauthorized
from cloudinary_emulator.signing import Algorithm, string_to_sign, verify_request

# A signature is accepted for one hour after its timestamp.
SIGNATURE_LIFETIME_SECONDS = 3600


def check_cloud(cloud: str, account: Account) -> None:
    """401 for a cloud name the emulator does not serve."""
    if cloud != account.cloud_name:
        raise unauthorized(f"Invalid cloud_name {cloud}")


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(key, secret) from an `Authorization: Basic` header, or None."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text (a latin-1 header) all are
        return None
    key, _, secret = decoded.partition(":")
    return key, secret


def check_basic(authorization: str | None, account: Account) -> None:
    """Admin API authentication: HTTP Basic with the API key and secret."""
    credentials = basic_credentials(authorization)
    if credentials is None:
        raise unauthorized("Must supply api_key")
    key, secret = credentials
    if key != account.api_key:
        raise unauthorized(f"Unknown API key {key}")
    if secret != account.api_secret:
        raise unauthorized("api_secret mismatch")


def check_signed(params: Mapping[str, str], account: Account, algorithm: Algorithm, now: float | None = None) -> None:
    """Verify a signed Upload API request exactly in Cloudinary's order: key, timestamp, freshness, signature."""
    api_key = params.get("api_key")
    if not api_key:
        raise bad_request("Missing required parameter - api_key")
    if api_key != account.api_key:
        raise unauthorized(f"Unknown API key {api_key}")
    raw_timestamp = params.get("timestamp")
    if not raw_timestamp:
        raise bad_request("Missing required parameter - timestamp")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise bad_request(f"Invalid timestamp - {raw_timestamp}") from None
    current = time.time() if now is None else now
    if timestamp < current - SIGNATURE_LIFETIME_SECONDS:
        reported = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
        raise unauthorized(f"Stale request - reported time is {reported} which is more than 1 hour ago")
    signature = params.get("signature", "")
    if not verify_request(params, signature, account.api_secret, algorithm):
        raise unauthorized(f"Invalid Signature {signature}. String to sign - '{string_to_sign(params)}'.")


def check_server_call(
    params: Mapping[str, str], authorization: str | None, account: Account, algorithm: Algorithm
) -> None:
    """An Upload API call that must be authenticated (destroy, signed upload): Basic auth or a signature."""
    if basic_credentials(authorization) is not None:
        check_basic(authorization, account)
        return
    if "signature" not in params:
        if not params.get("api_key"):
            raise unauthorized("Must supply api_key")
        raise bad_request("Missing required parameter - signature")
    check_signed(params, account, algorithm)
