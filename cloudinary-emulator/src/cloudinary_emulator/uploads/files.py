"""The `file` parameter: a multipart file, a data URI (base64), or a remote http(s) URL."""

import base64
import binascii
import re
from pathlib import PurePosixPath
from urllib.parse import unquote_to_bytes, urlsplit

import httpx
from litestar.datastructures import UploadFile

from cloudinary_emulator.errors import bad_request

_DATA_URI = re.compile(r"^data:([\w/+.-]*)((?:;[\w=.-]+)*?)(;base64)?,(.*)$", re.DOTALL)


class FileTooLarge(Exception):
    """Raised while reading, so a huge body is never held twice."""


async def read_file(value: UploadFile | str | None, max_bytes: int) -> tuple[bytes, str]:
    """(bytes, original filename without extension); Cloudinary's 400s for a missing or oversized file."""
    if value is None or value == "":
        raise bad_request("Missing required parameter - file")
    if isinstance(value, UploadFile):
        data = await value.read()
        name = value.filename or "file"
    elif value.startswith("data:"):
        data, name = _data_uri(value), "file"
    elif value.startswith(("http://", "https://")):
        data, name = await _fetch(value), PurePosixPath(urlsplit(value).path).name or "file"
    else:
        raise bad_request("Invalid image file")
    if len(data) > max_bytes:
        raise bad_request(f"File size too large. Got {len(data)}. Maximum is {max_bytes}.")
    return data, _stem(name)


def _stem(name: str) -> str:
    stem = PurePosixPath(name.replace("\\", "/")).name
    return stem.rsplit(".", 1)[0] if "." in stem else stem


def _data_uri(value: str) -> bytes:
    match = _DATA_URI.match(value)
    if match is None:
        raise bad_request("Invalid image file")
    payload = match.group(4)
    if match.group(3):
        try:
            return base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            raise bad_request("Invalid image file") from None
    return unquote_to_bytes(payload)


async def _fetch(url: str) -> bytes:
    try:
        async with httpx.AsyncClient(timeout=10.0, follow_redirects=True) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        raise bad_request(f"Error in loading {url} - {type(exc).__name__}") from None
    if not response.is_success:
        raise bad_request(f"Error in loading {url} - {response.status_code} {response.reason_phrase}")
    return response.content
