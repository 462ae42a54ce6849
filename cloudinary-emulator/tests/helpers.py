"""Test helpers: images made with Pillow, signed form fields, waiting with a deadline."""

import io
import time
from collections.abc import Callable
from typing import Any, TypeVar

import cloudinary.utils
from PIL import Image

from tests.conftest_values import API_KEY, API_SECRET

T = TypeVar("T")

EXIF_ORIENTATION = 0x0112
GPS_IFD = 0x8825


def jpeg(width: int, height: int, *, orientation: int | None = None, gps: bool = False, quality: int = 85) -> bytes:
    """A JPEG with a gradient (so crops differ), optional EXIF orientation and GPS tags."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    exif = Image.Exif()
    if orientation is not None:
        exif[EXIF_ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 0.0), 3: "E", 4: (4.0, 53.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif.tobytes() if len(exif) else b"")
    return buffer.getvalue()


def png(width: int, height: int, color: tuple[int, int, int, int] = (200, 30, 30, 255)) -> bytes:
    """A flat PNG."""
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of encoded image bytes."""
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def signed(params: dict[str, Any], secret: str = API_SECRET, api_key: str = API_KEY, **options: Any) -> dict[str, str]:
    """Form fields signed by the official SDK (an implementation independent of the emulator's)."""
    fields = {key: str(value) for key, value in params.items()}
    fields.setdefault("timestamp", str(int(time.time())))
    fields["signature"] = cloudinary.utils.api_sign_request(fields, secret, **options)
    fields["api_key"] = api_key
    return fields


def wait_until(condition: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.02) -> T:
    """Poll until `condition` returns something truthy; fail with a clear message at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
