"""Parse transformation strings: `c_fill,g_face,h_200,w_200/f_auto,q_auto` -> a chain of Components.

Components are separated by `/` and applied left to right; inside one, `key_value` parameters are separated by
commas in any order. The canonical form (parameters sorted by key, as the SDKs emit them) keys derivatives, so
`w_200,c_fill` and `c_fill,w_200` share one cached file.
"""

import re

import msgspec

from cloudinary_emulator.errors import bad_request

CROP_MODES = frozenset({"scale", "fit", "limit", "mfit", "fill", "lfill", "thumb", "crop", "pad", "lpad"})
COMPASS = frozenset(
    {"center", "north", "south", "east", "west", "north_east", "north_west", "south_east", "south_west"}
)
# Content-aware gravities: OpenCV face detection and stored coordinates, see README ("Faces and gravity").
FOCUS_GRAVITIES = frozenset(
    {
        "face",
        "faces",
        "auto",
        "face:center",
        "faces:center",
        "auto:subject",
        "auto:faces",
        "custom",
        "custom:face",
        "custom:faces",
    }
)
FORMATS = frozenset({"jpg", "jpeg", "png", "webp", "gif", "bmp", "tiff", "tif", "heic", "heif", "auto"})
QUALITIES = frozenset({"auto", "auto:good", "auto:best", "auto:eco", "auto:low"})
FLAGS = frozenset({"force_strip", "keep_iptc", "progressive", "lossy", "strip_profile", "preserve_transparency"})
KEYS = frozenset({"c", "w", "h", "ar", "g", "q", "f", "r", "dpr", "x", "y", "fl", "b", "z"})
# Cloudinary's own parameters, crop modes and flags that the emulator does not render
# (https://cloudinary.com/documentation/transformation_reference). They are refused with a message naming them,
# never ignored, so a derivative is never silently different from production. README "Refused, not emulated".
UNSUPPORTED_KEYS = frozenset(
    {
        "a", "ac", "af", "bo", "br", "co", "cs", "d", "dl", "dn", "du", "e", "eo", "fn", "fps", "if", "ki",
        "l", "o", "p", "pg", "so", "sp", "t", "u", "vc", "vs",
    }
)  # fmt: skip
UNSUPPORTED_CROP_MODES = frozenset({"auto", "auto_pad", "fill_pad", "mpad", "imagga_crop", "imagga_scale"})
UNSUPPORTED_FLAGS = frozenset(
    {
        "any_format", "animated", "apng", "attachment", "awebp", "c2pa", "clip", "clip_evenodd", "cutter",
        "force_icc", "getinfo", "ignore_aspect_ratio", "ignore_mask_channels", "immutable_cache",
        "keep_attribution", "keep_dar", "layer_apply", "no_overflow", "png8", "png24", "png32", "rasterize",
        "region_relative", "relative", "replace_image", "sanitize", "splice", "text_disallow_overflow",
        "text_no_trim", "tiff8_lzw", "tiled",
    }
)  # fmt: skip

_PARAMETER = re.compile(r"^([a-z]+)_(.+)$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


class Component(msgspec.Struct, frozen=True, kw_only=True):
    """One `/`-separated component of a transformation."""

    crop: str | None = None
    width: float | None = None
    height: float | None = None
    aspect_ratio: float | None = None
    gravity: str | None = None
    quality: str | None = None
    format: str | None = None
    radius: str | None = None
    dpr: float | None = None
    x: int | None = None
    y: int | None = None
    flags: tuple[str, ...] = ()
    background: str | None = None
    zoom: float | None = None
    canonical: str = ""


def is_transformation_segment(segment: str) -> bool:
    """True if every comma-separated part of a URL path segment is a parameter this emulator knows."""
    parts = segment.split(",")
    # Cloudinary's parameters the emulator refuses count too: `l_text:...` is a (refused) transformation,
    # not a folder of the public id.
    return all(
        (m := _PARAMETER.match(part)) is not None and (m.group(1) in KEYS or m.group(1) in UNSUPPORTED_KEYS)
        for part in parts
    )


def parse(text: str) -> list[Component]:
    """Parse a chain; an empty string is the empty chain."""
    return [parse_component(segment) for segment in text.split("/") if segment]


def canonical(chain: list[Component]) -> str:
    """The chain in canonical form."""
    return "/".join(component.canonical for component in chain)


def parse_eager(item: str) -> tuple[list[Component], str | None]:
    """An eager entry: a chain, optionally followed by `/<extension>` as the SDK's `build_eager` writes it."""
    head, _, last = item.rpartition("/")
    if head and last.lower() in FORMATS and "_" not in last:
        return parse(head), last.lower()
    return parse(item), None


def parse_component(segment: str) -> Component:
    """Parse one component; unknown or malformed parameters are Cloudinary-style 400 errors."""
    values: dict[str, object] = {}
    pairs: list[tuple[str, str]] = []
    for part in segment.split(","):
        match = _PARAMETER.match(part)
        if match is not None and match.group(1) in UNSUPPORTED_KEYS:
            raise bad_request(f"Transformation parameter {part} is not supported by the emulator")
        if match is None or match.group(1) not in KEYS:
            raise bad_request(f"Invalid transformation component - {part}")
        key, value = match.groups()
        pairs.append((key, value))
        values.update(_convert(key, value))
    values["canonical"] = ",".join(f"{k}_{v}" for k, v in sorted(pairs))
    return msgspec.convert(values, Component)


def _convert(key: str, value: str) -> dict[str, object]:
    match key:
        case "c":
            if value in UNSUPPORTED_CROP_MODES:
                raise bad_request(f"Crop mode {value} is not supported by the emulator")
            if value not in CROP_MODES:
                raise bad_request(f"Invalid crop mode - {value}")
            return {"crop": value}
        case "w" | "h":
            name = "width" if key == "w" else "height"
            if not _NUMBER.match(value) or float(value) == 0:
                raise bad_request(f"Invalid {name} in transformation: {value}")
            return {name: float(value)}
        case "ar":
            return {"aspect_ratio": _aspect_ratio(value)}
        case "g":
            if value not in COMPASS and value not in FOCUS_GRAVITIES:
                raise bad_request(f"Invalid gravity - {value}")
            return {"gravity": value}
        case "q":
            # isdigit() alone takes "²", which int() refuses.
            if value not in QUALITIES and not (value.isascii() and value.isdigit() and 1 <= int(value) <= 100):
                raise bad_request(f"Invalid quality - {value}")
            return {"quality": value}
        case "f":
            if value.lower() not in FORMATS:
                raise bad_request(f"Invalid format - {value}")
            return {"format": value.lower()}
        case "r":
            if value != "max" and not value.isdigit():
                raise bad_request(f"Invalid radius - {value}")
            return {"radius": value}
        case "dpr":
            if value == "auto":
                return {"dpr": 1.0}  # no client hints offline: device pixel ratio 1
            if not _NUMBER.match(value) or float(value) == 0:
                raise bad_request(f"Invalid dpr - {value}")
            return {"dpr": float(value)}
        case "x" | "y":
            if not value.lstrip("-").isdigit():
                raise bad_request(f"Invalid {key} in transformation: {value}")
            return {key: int(value)}
        case "fl":
            flags = tuple(value.split("."))
            if refused := [flag for flag in flags if flag in UNSUPPORTED_FLAGS]:
                raise bad_request(f"Flag {refused[0]} is not supported by the emulator")
            if unknown := [flag for flag in flags if flag not in FLAGS]:
                raise bad_request(f"Invalid flag - {unknown[0]}")
            return {"flags": flags}
        case "b":
            return {"background": value}
        case _:  # "z"
            if not _NUMBER.match(value):
                raise bad_request(f"Invalid zoom - {value}")
            return {"zoom": float(value)}


def _aspect_ratio(value: str) -> float:
    try:
        if ":" in value:
            width, height = value.split(":", 1)
            ratio = float(width) / float(height)
        else:
            ratio = float(value)
    except (ValueError, ZeroDivisionError):
        raise bad_request(f"Invalid aspect ratio - {value}") from None
    if ratio <= 0:
        raise bad_request(f"Invalid aspect ratio - {value}")
    return ratio
