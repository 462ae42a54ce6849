"""Offline face detection for `g_face`, `g_faces`, `g_auto:faces` and `c_thumb`: OpenCV's Haar cascades.

Detection runs on a greyscale copy at most DETECT_SIDE px on its long side (a profile photo's face is far
larger than the cascade's 24 px window there, and it keeps detection to a few milliseconds on a 12 MP photo),
and its result is cached per image content, so the three avatar sizes of one upload detect once.
OpenCV is imported on first use only: deliveries without a face gravity never pay its memory.
"""

import threading
from collections import OrderedDict
from typing import Any, NamedTuple

from PIL import Image

# Long side of the copy detection runs on.
DETECT_SIDE = 400
_CACHE_SIZE = 256


class Box(NamedTuple):
    """A region in fractions of the image: left, top, width, height (all 0..1)."""

    x: float
    y: float
    w: float
    h: float


_lock = threading.Lock()
# OpenCV does not promise that one CascadeClassifier may run in several threads at once (derivatives render in
# worker threads): detections take turns, which also keeps the cascade's buffers to one set.
_detect_lock = threading.Lock()
_cache: "OrderedDict[str, tuple[Box, ...]]" = OrderedDict()
_classifier: Any = None


def _cascade() -> Any:
    """The frontal-face cascade that opencv-python-headless 4.x ships, loaded once (call with _detect_lock held)."""
    global _classifier
    if _classifier is None:
        import cv2

        # cv2.data is a plain Python package next to the binary module; OpenCV's stubs do not declare it.
        cascades: str = cv2.data.haarcascades  # type: ignore[attr-defined]
        _classifier = cv2.CascadeClassifier(cascades + "haarcascade_frontalface_default.xml")
    return _classifier


def cached(key: str) -> tuple[Box, ...] | None:
    """Faces detected earlier in the original with digest `key`, if still cached."""
    with _lock:
        return _cache.get(key)


def detect(image: Image.Image, key: str | None = None) -> tuple[Box, ...]:
    """Faces in `image`, largest first; cached under `key` (a digest of the original) when given."""
    if key is not None:
        with _lock:
            if (hit := _cache.get(key)) is not None:
                _cache.move_to_end(key)
                return hit
    faces = _detect(image)
    if key is not None:
        with _lock:
            _cache[key] = faces
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return faces


def _detect(image: Image.Image) -> tuple[Box, ...]:
    import numpy as np

    small = image.convert("L")
    small.thumbnail((DETECT_SIDE, DETECT_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    width, height = small.size
    with _detect_lock:
        found = _cascade().detectMultiScale(np.asarray(small), scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
    boxes = [Box(float(x) / width, float(y) / height, float(w) / width, float(h) / height) for (x, y, w, h) in found]
    return tuple(sorted(boxes, key=lambda box: box.w * box.h, reverse=True))


def union(boxes: tuple[Box, ...] | list[Box]) -> Box:
    """The smallest box containing all of `boxes` (not empty)."""
    left = min(box.x for box in boxes)
    top = min(box.y for box in boxes)
    right = max(box.x + box.w for box in boxes)
    bottom = max(box.y + box.h for box in boxes)
    return Box(left, top, right - left, bottom - top)


def parse_coordinates(value: str | None) -> list[list[int]]:
    """`custom_coordinates`/`face_coordinates` upload parameter: `x,y,w,h` boxes separated by `|`."""
    boxes: list[list[int]] = []
    for part in (value or "").split("|"):
        if not part.strip():
            continue
        numbers = part.split(",")
        if len(numbers) != 4 or not all(n.strip().isdigit() for n in numbers):
            raise ValueError(part)
        boxes.append([int(n) for n in numbers])
    return boxes
