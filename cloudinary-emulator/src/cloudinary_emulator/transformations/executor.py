"""Run a parsed transformation chain with Pillow.

Everything here is blocking and CPU-bound: callers run it in a worker thread. Originals are opened lazily
(Pillow reads only the header), sizes are checked before any pixel is decoded, and JPEGs are decoded at a
reduced scale (draft mode) whenever the first resize of the chain lets the output stay sharp.
"""

import hashlib
import io
import math
from collections.abc import Callable
from typing import Any

import msgspec
from PIL import Image, ImageColor, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from cloudinary_emulator.errors import bad_request
from cloudinary_emulator.transformations import faces
from cloudinary_emulator.transformations.parser import COMPASS, Component

register_heif_opener()
# The emulator enforces its own megapixel limit from the header before decoding (see `open_image`), which is
# what Pillow's bomb check does too; Pillow's own check would only add a warning between its limit and ours.
Image.MAX_IMAGE_PIXELS = None

EXTENSION_BY_PIL = {
    "JPEG": "jpg",
    "MPO": "jpg",  # phones write multi-picture JPEGs; Cloudinary calls them jpg
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "HEIF": "heic",
    "BMP": "bmp",
    "TIFF": "tiff",
    "ICO": "ico",
}
PIL_BY_EXTENSION = {
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WEBP",
    "heic": "HEIF",
    "heif": "HEIF",
    "bmp": "BMP",
    "tiff": "TIFF",
    "tif": "TIFF",
    "ico": "ICO",
}
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "tif": "image/tiff",
    "ico": "image/x-icon",
}
ALPHA_FORMATS = frozenset({"png", "webp", "gif", "tiff", "tif", "heic", "heif", "ico"})
# q_auto levels: Cloudinary picks per image; these are fixed stand-ins in the same order (see README).
AUTO_QUALITY = {"auto": 80, "auto:good": 80, "auto:best": 90, "auto:eco": 65, "auto:low": 50}
DEFAULT_QUALITY = 80
# EXIF orientations that swap width and height.
_TRANSPOSED = frozenset({5, 6, 7, 8})
_ORIENTATION_TAG = 0x0112


class Probe(msgspec.Struct):
    """What the Upload API reports about a file without decoding it: dimensions as displayed (EXIF applied)."""

    format: str
    width: int
    height: int


class Regions(msgspec.Struct, frozen=True):
    """An asset's stored `custom_coordinates` and `face_coordinates` (x, y, w, h in the original's pixels)."""

    custom: list[list[int]] = []
    faces: list[list[int]] = []


class Rendered(msgspec.Struct):
    """An encoded output image."""

    data: bytes
    format: str
    width: int
    height: int


def delivered_format(source_format: str) -> str:
    """Default output format for a derivative: the original's, except HEIC which browsers cannot show."""
    return "jpg" if source_format in ("heic", "heif") else source_format


def open_image(data: bytes, max_pixels: int) -> tuple[Image.Image, Probe]:
    """Open without decoding; 400 `Invalid image file` or the megapixel error before any pixel is read."""
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise bad_request("Invalid image file") from None
    extension = EXTENSION_BY_PIL.get(image.format or "")
    if extension is None:
        raise bad_request("Invalid image file")
    width, height = image.size
    if width * height > max_pixels:
        raise bad_request(
            f"Image has too many megapixels. Got {width * height / 1e6:.1f}. Maximum is {max_pixels / 1e6:g}."
        )
    if _orientation(image) in _TRANSPOSED:
        width, height = height, width
    return image, Probe(format=extension, width=width, height=height)


def render(
    data: bytes,
    chain: list[Component],
    output_format: str,
    *,
    max_pixels: int,
    accept: str = "",
    keep_metadata: bool = False,
    regions: Regions | None = None,
) -> Rendered:
    """Apply `chain` to the image in `data` and encode it as `output_format` (or what `f_` asks for).

    Metadata (EXIF incl. GPS, XMP, IPTC, ICC) is dropped unless keep_metadata, which only incoming
    transformations without `fl_force_strip` use; orientation is always applied to the pixels. `regions`
    (the asset's stored coordinates) override face detection for the first component, whose input is the original.
    """
    image, probe = open_image(data, max_pixels)
    exif = image.getexif() if keep_metadata else None
    chain = list(chain)
    # Faces are detected once per original (keyed by its digest, computed only if a face gravity asks), on a
    # reduced decode of their own, so the working decode can be sized for the face's crop box.
    key = _Digest(data)
    first_focus = _Focus(_normalised(regions, probe), key, lambda: _detection_image(data))
    if _draft(image, chain, probe, first_focus):
        chain[0] = _pinned(chain[0], probe)
    try:
        image.load()
    except (OSError, ValueError, SyntaxError):
        raise bad_request("Invalid image file") from None
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)  # animated GIF/WebP: the first frame, as for a still derivative
    image = ImageOps.exif_transpose(image)
    fmt = output_format
    quality: str | None = None
    for index, component in enumerate(chain):
        # Detection results and stored coordinates describe the original: only the first component sees it.
        focus = first_focus if index == 0 else _Focus()
        image = apply(image, component, focus)
        fmt = _format_for(component.format, accept, fmt, probe.format)
        quality = component.quality or quality
    if exif is not None:
        exif.pop(_ORIENTATION_TAG, None)
    return encode(image, fmt, quality, exif=exif)


def encode(image: Image.Image, fmt: str, quality: str | None, *, exif: Image.Exif | None = None) -> Rendered:
    """Encode `image`; no metadata is written unless `exif` is given."""
    pil_format = PIL_BY_EXTENSION[fmt]
    if fmt not in ALPHA_FORMATS:
        image = _flatten(image)
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    options: dict[str, Any] = {}
    level = AUTO_QUALITY.get(quality or "", int(quality) if quality and quality.isdigit() else DEFAULT_QUALITY)
    if pil_format in ("JPEG", "WEBP", "HEIF"):
        options["quality"] = level
    if exif is not None and len(exif) and pil_format in ("JPEG", "WEBP", "PNG", "TIFF"):
        options["exif"] = exif.tobytes()
    if pil_format == "GIF" and image.mode not in ("P", "L"):
        image = image.convert("P", palette=Image.Palette.ADAPTIVE)
    buffer = io.BytesIO()
    image.save(buffer, format=pil_format, **options)
    return Rendered(data=buffer.getvalue(), format=fmt, width=image.width, height=image.height)


def apply(image: Image.Image, component: Component, focus: "_Focus") -> Image.Image:
    """One component: resize/crop/pad, then rounding."""
    source_width, source_height = image.size
    width, height = target_size(component, source_width, source_height)
    mode = component.crop or ("scale" if width or height else None)
    if mode is not None and (width or height or component.aspect_ratio):
        image = _resize(image, component, mode, width, height, focus)
    if component.radius is not None:
        image = _round(image, component.radius)
    return image


def target_size(component: Component, source_width: int, source_height: int) -> tuple[int | None, int | None]:
    """Requested width and height in pixels: relative values (< 1) resolved, `ar` and `dpr` applied."""
    width: float | None = component.width
    height: float | None = component.height
    if width is not None and width < 1:
        width *= source_width
    if height is not None and height < 1:
        height *= source_height
    if component.aspect_ratio is not None:
        if width is not None and height is None:
            height = width / component.aspect_ratio
        elif height is not None and width is None:
            width = height * component.aspect_ratio
    dpr = component.dpr or 1.0
    return (
        None if width is None else max(1, round(width * dpr)),
        None if height is None else max(1, round(height * dpr)),
    )


def scaled_size(component: Component, source_width: int, source_height: int) -> tuple[int, int] | None:
    """The size the first resize step scales the whole image to (before any crop), or None if it keeps pixels."""
    width, height = target_size(component, source_width, source_height)
    mode = component.crop or ("scale" if width or height else None)
    if mode is None or mode == "crop" or not (width or height):
        return None
    if mode == "scale" and width and height:
        return width, height
    if width and height:
        widen, heighten = width / source_width, height / source_height
        factor = max(widen, heighten) if mode in ("fill", "lfill", "thumb") else min(widen, heighten)
    else:
        factor = width / source_width if width else (height or 0) / source_height
    if mode in ("limit", "lfill", "lpad"):
        factor = min(factor, 1.0)
    if mode == "mfit":
        factor = max(factor, 1.0)
    return max(1, round(source_width * factor)), max(1, round(source_height * factor))


def _resize(
    image: Image.Image, component: Component, mode: str, width: int | None, height: int | None, focus: "_Focus"
) -> Image.Image:
    source_width, source_height = image.size
    if mode == "crop":
        crop_width = min(width or source_width, source_width)
        crop_height = min(height or source_height, source_height)
        if component.aspect_ratio is not None and not (width or height):
            crop_width, crop_height = _largest_box(source_width, source_height, component.aspect_ratio)
        left, top = _place(image, crop_width, crop_height, component, focus)
        return image.crop((left, top, left + crop_width, top + crop_height))
    if mode == "thumb" and width and height and component.gravity is not None and component.gravity not in COMPASS:
        region = focus.region(image, component.gravity)
        if region is not None:
            return _thumb(image, region, width, height, component.zoom or 1.0)
    if mode in ("fill", "lfill", "thumb"):
        if width and height:
            factor = max(width / source_width, height / source_height)
            if mode == "lfill" and factor > 1:
                # lfill never enlarges: keep the requested aspect ratio at the largest size that fits.
                width, height = _largest_box(source_width, source_height, width / height)
                factor = 1.0
            box_width, box_height = width / factor, height / factor
            left, top = _place(image, box_width, box_height, component, focus)
            return _resample(image, (width, height), (left, top, left + box_width, top + box_height))
        if component.aspect_ratio is not None and not (width or height):
            box_width, box_height = _largest_box(source_width, source_height, component.aspect_ratio)
            left, top = _place(image, box_width, box_height, component, focus)
            return image.crop((left, top, left + box_width, top + box_height))
    size = scaled_size(component, source_width, source_height)
    if size is None:
        return image
    resized = _resample(image, size) if size != image.size else image
    if mode in ("pad", "lpad") and width and height and (width, height) != resized.size:
        canvas = Image.new("RGBA", (width, height), _background(component.background))
        left, top = _anchor(width - resized.width, height - resized.height, component.gravity)
        canvas.paste(resized.convert("RGBA"), (left, top))
        return canvas
    return resized


def _resample(
    image: Image.Image, size: tuple[int, int], box: tuple[float, float, float, float] | None = None
) -> Image.Image:
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if image.mode in ("P", "PA") or "A" in image.getbands() else "RGB")
    # reducing_gap: shrink by whole factors first (fast box filter), then Lanczos for the remaining step.
    return image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def _largest_box(width: int, height: int, ratio: float) -> tuple[int, int]:
    if width / height > ratio:
        return max(1, round(height * ratio)), height
    return width, max(1, round(width / ratio))


def _place(
    image: Image.Image, box_width: float, box_height: float, component: Component, focus: "_Focus"
) -> tuple[float, float]:
    """Top-left corner of a crop window: compass anchor, x/y offsets, or centred on the focus stand-in."""
    free_x, free_y = image.width - box_width, image.height - box_height
    gravity = component.gravity
    if gravity is not None and gravity not in COMPASS:
        fx, fy = focus.point(image, gravity)
        left, top = fx * image.width - box_width / 2, fy * image.height - box_height / 2
    elif component.crop == "crop" and gravity is None and (component.x is not None or component.y is not None):
        left, top = float(component.x or 0), float(component.y or 0)
    else:
        left, top = (float(v) for v in _anchor(free_x, free_y, gravity))
        left += component.x or 0
        top += component.y or 0
    return min(max(left, 0.0), max(free_x, 0.0)), min(max(top, 0.0), max(free_y, 0.0))


def _anchor(free_x: float, free_y: float, gravity: str | None) -> tuple[int, int]:
    gravity = gravity if gravity in COMPASS else "center"
    x = 0.0 if "west" in gravity else free_x if "east" in gravity else free_x / 2
    y = 0.0 if "north" in gravity else free_y if "south" in gravity else free_y / 2
    return int(x), int(y)


def _round(image: Image.Image, radius: str) -> Image.Image:
    image = image.convert("RGBA")
    # Draw the mask at 4x and shrink it: anti-aliased edges like Cloudinary's.
    scale = 4
    mask = Image.new("L", (image.width * scale, image.height * scale), 0)
    draw = ImageDraw.Draw(mask)
    box = (0, 0, mask.width - 1, mask.height - 1)
    if radius == "max":
        draw.ellipse(box, fill=255)
    else:
        draw.rounded_rectangle(box, radius=int(radius) * scale, fill=255)
    mask = mask.resize(image.size, Image.Resampling.LANCZOS)
    alpha = image.getchannel("A")
    image.putalpha(Image.composite(alpha, mask, mask) if alpha.getextrema() != (255, 255) else mask)
    return image


def _background(value: str | None) -> tuple[int, int, int, int]:
    if value in (None, "auto", "white"):
        return (255, 255, 255, 255)
    assert value is not None  # noqa: S101 - narrowed above
    if value == "transparent":
        return (0, 0, 0, 0)
    color = "#" + value[4:] if value.startswith("rgb:") else value
    try:
        rgb = ImageColor.getrgb(color)
    except ValueError:
        raise bad_request(f"Invalid background - {value}") from None
    return (rgb[0], rgb[1], rgb[2], rgb[3] if len(rgb) == 4 else 255)


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "L"):
        return image
    if image.mode == "CMYK":
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    canvas = Image.new("RGB", rgba.size, (255, 255, 255))
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas


def _format_for(requested: str | None, accept: str, current: str, source_format: str) -> str:
    if requested is None:
        return current
    if requested == "auto":
        if "image/webp" in accept:
            return "webp"
        return current if current not in ("heic", "heif") else delivered_format(source_format)
    return "jpg" if requested == "jpeg" else requested


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except (OSError, ValueError, SyntaxError):
        return 1
    return value if isinstance(value, int) else 1


def _pinnable(component: Component) -> bool:
    # Modes whose whole output size follows from the first resize alone.
    mode = component.crop or "scale"
    one_side = (component.width is None or component.height is None) and component.aspect_ratio is None
    return mode in ("scale", "fit", "limit", "mfit") or (mode in ("fill", "lfill", "thumb") and one_side)


def _pinned(component: Component, probe: Probe) -> Component:
    """After a draft decode the image is a little larger than needed, and its own rounding would change the
    result by a pixel: pin the first resize to the size computed from the original's dimensions instead."""
    if not _pinnable(component):
        return component
    size = scaled_size(component, probe.width, probe.height)
    assert size is not None  # noqa: S101 - _draft only drafts when there is a resize
    return msgspec.structs.replace(
        component, crop="scale", width=float(size[0]), height=float(size[1]), aspect_ratio=None, dpr=None
    )


def _thumb_decode_size(component: Component, probe: Probe, focus: "_Focus", size: tuple[int, int]) -> tuple[int, int]:
    """c_thumb zooms into a face: decode large enough that the face's crop box still has the output's pixels."""
    width, height = target_size(component, probe.width, probe.height)
    assert component.gravity is not None  # noqa: S101 - the caller checked
    region = focus.region(None, component.gravity)
    if region is None or not width or not height:
        return size
    ratio = width / height
    box_fraction = max(region.h, region.w * probe.width / probe.height / ratio) / THUMB_FACE_FRACTION
    box_fraction /= component.zoom or 1.0
    scale = min(1.0, height / (box_fraction * probe.height))
    return max(size[0], math.ceil(probe.width * scale)), max(size[1], math.ceil(probe.height * scale))


def _draft(image: Image.Image, chain: list[Component], probe: Probe, focus: "_Focus | None" = None) -> bool:
    """Ask libjpeg for a reduced-scale decode when the first component only shrinks the whole image."""
    if image.format not in ("JPEG", "MPO") or not chain:
        return False
    first = chain[0]
    relative = any(value is not None and value < 1 for value in (first.width, first.height))
    if relative and not _pinnable(first):
        return False  # relative sizes must stay relative to the original
    size = scaled_size(first, probe.width, probe.height)
    if size is None or size[0] >= probe.width or size[1] >= probe.height:
        return False
    if focus is not None and first.crop == "thumb" and first.gravity is not None and first.gravity not in COMPASS:
        size = _thumb_decode_size(first, probe, focus, size)
    if _orientation(image) in _TRANSPOSED:
        size = (size[1], size[0])
    # draft() keeps the decoded image at least this large, so the following Lanczos step stays sharp.
    image.draft("RGB", size)
    return True


# c_thumb: the face box takes this fraction of the thumbnail's side at z_1 (Cloudinary's default framing keeps
# hair and chin with a little margin; a Haar box spans brows to mouth). z_ divides the crop box: z_2 is closer.
THUMB_FACE_FRACTION = 0.62


def _thumb(image: Image.Image, region: faces.Box, width: int, height: int, zoom: float) -> Image.Image:
    """c_thumb around a face (or custom) region: the region fills the thumbnail with a margin, then scaled."""
    ratio = width / height
    face_width, face_height = region.w * image.width, region.h * image.height
    box_height = max(face_height, face_width / ratio) / THUMB_FACE_FRACTION / zoom
    # Never smaller than the output (no enlarging when the photo has the pixels), never larger than the image.
    box_height = max(box_height, min(height, image.height, image.width / ratio))
    box_height = min(box_height, image.height, image.width / ratio)
    box_width = box_height * ratio
    centre_x = (region.x + region.w / 2) * image.width
    centre_y = (region.y + region.h / 2) * image.height
    left = min(max(centre_x - box_width / 2, 0.0), image.width - box_width)
    top = min(max(centre_y - box_height / 2, 0.0), image.height - box_height)
    return _resample(image, (width, height), (left, top, left + box_width, top + box_height))


class _Normalised(msgspec.Struct, frozen=True):
    custom: list[faces.Box]
    faces: list[faces.Box]


def _normalised(regions: Regions | None, probe: Probe) -> _Normalised | None:
    if regions is None or not (regions.custom or regions.faces):
        return None

    def boxes(values: list[list[int]]) -> list[faces.Box]:
        return [
            faces.Box(x / probe.width, y / probe.height, w / probe.width, h / probe.height) for x, y, w, h in values
        ]

    return _Normalised(custom=boxes(regions.custom), faces=boxes(regions.faces))


def _detection_image(data: bytes) -> Image.Image:
    """The original as displayed, decoded at reduced scale (JPEG draft) for face detection."""
    image = Image.open(io.BytesIO(data))
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    image.draft("L", (faces.DETECT_SIDE, faces.DETECT_SIDE))
    return ImageOps.exif_transpose(image)


class _Digest:
    """The original's digest, computed on first use only (hashing 3 MB costs a few ms)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._value: str | None = None

    def __call__(self) -> str:
        if self._value is None:
            self._value = hashlib.blake2b(self._data, digest_size=16).hexdigest()
        return self._value


class _Focus:
    """Where a content-aware gravity points: stored coordinates, detected faces, else the edge-energy stand-in.

    The stand-in (centroid of edge energy of a 64 px greyscale copy, weighted towards the centre) is the fallback
    when no face is found, and what `g_auto` uses on images without faces.
    """

    def __init__(
        self,
        regions: _Normalised | None = None,
        key: Callable[[], str] | None = None,
        source: Callable[[], Image.Image] | None = None,
        measure: Callable[[Image.Image], tuple[float, float]] | None = None,
    ) -> None:
        self._regions = regions
        self._key = key
        self._source = source
        self._faces: tuple[faces.Box, ...] | None = None
        self._point: tuple[float, float] | None = None
        self._measure = measure or _edge_centroid

    def detected(self, image: Image.Image | None) -> tuple[faces.Box, ...]:
        """Stored `face_coordinates` if any, else detected faces (largest first), on `source` if given."""
        if self._faces is None:
            if self._regions is not None and self._regions.faces:
                self._faces = tuple(self._regions.faces)
            else:
                key = self._key() if self._key is not None else None
                if key is not None and (hit := faces.cached(key)) is not None:
                    self._faces = hit
                else:
                    target = self._source() if self._source is not None else image
                    assert target is not None  # noqa: S101 - a focus without source is always given the image
                    self._faces = faces.detect(target, key)
        return self._faces

    def region(self, image: Image.Image | None, gravity: str) -> faces.Box | None:
        """The box `gravity` centres on, or None when there is none (no face, no custom coordinates)."""
        custom = self._regions.custom if self._regions is not None else []
        if gravity.startswith("custom") or gravity in ("auto", "auto:subject"):
            # Custom coordinates win over detection for g_custom and g_auto [FACES].
            if custom:
                return faces.union(custom)
            if gravity == "custom":
                return None
        found = self.detected(image)
        if not found:
            return None
        if gravity in ("face", "face:center", "custom:face"):
            return found[0]
        return faces.union(found)

    def point(self, image: Image.Image, gravity: str) -> tuple[float, float]:
        """Centre of the region, else the centre (`g_custom` without coordinates) or the edge-energy centroid."""
        region = self.region(image, gravity)
        if region is not None:
            return region.x + region.w / 2, region.y + region.h / 2
        if gravity == "custom":
            return 0.5, 0.5
        if self._point is None:
            self._point = self._measure(image)
        return self._point


def _edge_centroid(image: Image.Image) -> tuple[float, float]:
    small = image.convert("L")
    small.thumbnail((64, 64))
    edges = small.filter(ImageFilter.FIND_EDGES)
    width, height = edges.size
    pixels = edges.tobytes()
    total = sum_x = sum_y = 0.0
    for y in range(1, height - 1):  # FIND_EDGES marks the border itself: skip it
        for x in range(1, width - 1):
            dx, dy = (x + 0.5) / width - 0.5, (y + 0.5) / height - 0.5
            weight = pixels[y * width + x] * math.exp(-(dx * dx + dy * dy) * 4)
            total += weight
            sum_x += weight * (x + 0.5)
            sum_y += weight * (y + 0.5)
    if total == 0:
        return 0.5, 0.5
    return sum_x / total / width, sum_y / total / height
