"""Face detection (OpenCV Haar cascades) for g_face/g_faces/g_auto and c_thumb, on a real photograph."""

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data as skimage_data

from cloudinary_emulator.transformations import faces, parser
from cloudinary_emulator.transformations.executor import Regions, render
from tests.helpers import jpeg

MAX_PIXELS = 25_000_000
# scikit-image's astronaut (Eileen Collins, NASA, public domain): 512x512, one frontal face.
ASTRONAUT = Image.fromarray(skimage_data.astronaut())  # type: ignore[no-untyped-call]
# Pasted off centre (right, low) into a larger plain canvas: a centre crop would miss the face entirely.
CANVAS_SIZE = (1200, 900)
OFFSET = (660, 360)


def canvas_jpeg(canvas_size: tuple[int, int] = CANVAS_SIZE) -> bytes:
    canvas = Image.new("RGB", canvas_size, (90, 120, 150))
    canvas.paste(ASTRONAUT, OFFSET)
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


PHOTO = canvas_jpeg()


def rendered(transformation: str, data: bytes = PHOTO, regions: Regions | None = None) -> Image.Image:
    output = render(data, parser.parse(transformation), "png", max_pixels=MAX_PIXELS, regions=regions)
    return Image.open(io.BytesIO(output.data)).convert("RGB")


def test_the_photograph_has_one_face_where_it_was_pasted() -> None:
    found = faces.detect(Image.open(io.BytesIO(PHOTO)))
    assert len(found) == 1
    box = found[0]
    centre_x, centre_y = (box.x + box.w / 2) * CANVAS_SIZE[0], (box.y + box.h / 2) * CANVAS_SIZE[1]
    assert OFFSET[0] < centre_x < OFFSET[0] + 512
    assert OFFSET[1] < centre_y < OFFSET[1] + 256  # the face is in the upper half of the portrait


def test_thumb_g_face_zooms_to_the_face_and_the_face_fills_it() -> None:
    thumbnail = rendered("c_thumb,g_face,h_128,w_128")
    assert thumbnail.size == (128, 128)
    found = faces.detect(thumbnail)
    assert len(found) == 1
    box = found[0]
    # Inside, centred, and large: the Haar box (brows to mouth) spans well over a third of the side, the head most.
    assert box.x > 0 and box.y > 0 and box.x + box.w < 1 and box.y + box.h < 1
    assert abs(box.x + box.w / 2 - 0.5) < 0.15 and abs(box.y + box.h / 2 - 0.5) < 0.15
    assert box.w >= 0.35
    # None of the plain canvas is left: every corner is photograph, not the background colour.
    pixels = np.asarray(thumbnail).astype(int)
    for corner in (pixels[2, 2], pixels[2, -3], pixels[-3, 2], pixels[-3, -3]):
        assert np.abs(corner - (90, 120, 150)).sum() > 30


def test_zoom_controls_how_much_surrounds_the_face() -> None:
    def face_width(transformation: str) -> float:
        found = faces.detect(rendered(transformation))
        assert found, transformation
        return found[0].w

    wide, default, close = (face_width(f"c_thumb,g_face,h_128,w_128,z_{z}") for z in ("0.5", "1", "1.5"))
    assert wide < default < close


def test_fill_g_face_centres_on_the_face_without_zooming() -> None:
    filled = rendered("c_fill,g_face,h_400,w_400")
    found = faces.detect(filled)
    # The whole canvas height is kept (no zoom: a 900 px box), so the face is small; the box moves as far right
    # as the canvas allows (left edge 300), putting the face (centre x ~ 885 px) at 0.65, where g_center has 0.82.
    assert len(found) == 1
    assert abs(found[0].x + found[0].w / 2 - 0.65) < 0.05
    assert found[0].w < 0.2


def test_no_face_falls_back_to_the_edge_energy_stand_in() -> None:
    # A synthetic gradient has no face: c_thumb still answers the exact size (fill around the stand-in focus).
    assert rendered("c_thumb,g_face,h_100,w_300", jpeg(640, 427)).size == (300, 100)
    assert faces.detect(Image.open(io.BytesIO(jpeg(640, 427)))) == ()


def red_square_at(left: int, top: int) -> bytes:
    image = Image.new("RGB", (800, 600), (200, 200, 200))
    image.paste((255, 0, 0), (left, top, left + 100, top + 100))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("gravity", ["custom", "auto", "custom:face"])
def test_custom_coordinates_override_detection(gravity: str) -> None:
    data = red_square_at(50, 450)
    regions = Regions(custom=[[50, 450, 100, 100]])
    thumbnail = rendered(f"c_thumb,g_{gravity},h_64,w_64", data, regions)
    # The custom box fills the thumbnail (with the thumb margin): its centre is red.
    assert thumbnail.getpixel((32, 32)) == (255, 0, 0)


def test_g_custom_without_coordinates_is_centred() -> None:
    thumbnail = rendered("c_fill,g_custom,h_100,w_100", red_square_at(350, 250))
    assert thumbnail.getpixel((50, 50)) == (255, 0, 0)


def test_face_coordinates_replace_detected_faces() -> None:
    # Point g_face at the top-left corner of the canvas instead of the detected face.
    thumbnail = rendered("c_thumb,g_face,h_64,w_64", regions=Regions(faces=[[10, 10, 60, 60]]))
    assert faces.detect(thumbnail) == ()
    assert np.abs(np.asarray(thumbnail)[32, 32].astype(int) - (90, 120, 150)).sum() < 30


def test_detection_runs_once_per_original(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    real = faces._detect

    def counting(image: Image.Image) -> tuple[faces.Box, ...]:
        calls.append(image.size)
        return real(image)

    monkeypatch.setattr(faces, "_detect", counting)
    data = canvas_jpeg((1201, 900))  # a digest no other test has cached
    for size in (128, 256, 512):
        assert rendered(f"c_thumb,g_face,h_{size},w_{size}", data).size == (size, size)
    assert len(calls) == 1
    # On a downscaled copy, not the full image.
    assert max(calls[0]) <= 2 * faces.DETECT_SIDE


def test_parse_coordinates() -> None:
    assert faces.parse_coordinates("10,20,30,40|1,2,3,4") == [[10, 20, 30, 40], [1, 2, 3, 4]]
    assert faces.parse_coordinates("") == []
    with pytest.raises(ValueError, match="1,2,3"):
        faces.parse_coordinates("1,2,3")
