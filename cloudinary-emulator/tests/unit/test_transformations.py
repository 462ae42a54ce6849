"""Output dimensions for every crop mode, as Cloudinary documents them (camera.jpg is 1280x853 in the docs)."""

import io

import pytest
from PIL import Image

from cloudinary_emulator.errors import CloudinaryError
from cloudinary_emulator.transformations import parser
from cloudinary_emulator.transformations.executor import render
from tests.helpers import jpeg, png

MAX_PIXELS = 25_000_000
CAMERA = jpeg(1280, 853)
SMALL = jpeg(640, 427)


def size_of(data: bytes, transformation: str, fmt: str = "jpg") -> tuple[int, int]:
    rendered = render(data, parser.parse(transformation), fmt, max_pixels=MAX_PIXELS)
    with Image.open(io.BytesIO(rendered.data)) as image:
        assert image.size == (rendered.width, rendered.height)
        return image.size


@pytest.mark.parametrize(
    ("transformation", "expected"),
    [
        ("c_scale,w_150", (150, 100)),  # keeps the aspect ratio
        ("c_scale,h_150,w_150", (150, 150)),  # distorts
        ("c_scale,w_0.25", (320, 213)),  # relative width
        ("w_150", (150, 100)),  # no crop mode means scale
        ("c_fit,h_150,w_150", (150, 100)),
        ("c_fit,h_2000,w_2000", (2000, 1333)),  # fit may enlarge
        ("c_limit,h_150,w_150", (150, 100)),
        ("c_limit,h_2000,w_2000", (1280, 853)),  # limit never enlarges
        ("c_mfit,h_2000,w_2000", (2000, 1333)),
        ("c_fill,h_250,w_250", (250, 250)),
        ("c_fill,h_150,w_300", (300, 150)),
        ("c_fill,h_2000,w_2000", (2000, 2000)),  # fill enlarges to cover
        ("c_fill,w_300", (300, 200)),  # one dimension: like scale
        ("c_lfill,h_2000,w_1000", (426, 853)),  # lfill keeps the ratio without enlarging: largest 1:2 box
        ("c_thumb,g_face,h_150,w_150", (150, 150)),
        ("c_thumb,g_faces,h_100,w_300", (300, 100)),
        ("c_crop,h_200,w_300", (300, 200)),  # a region of the original, not scaled
        ("c_crop,g_north_west,h_5000,w_5000", (1280, 853)),  # clamped to the image
        ("c_crop,h_100,w_100,x_50,y_50", (100, 100)),
        ("c_pad,h_250,w_250", (250, 250)),
        ("c_pad,h_300,w_150", (150, 300)),
        ("c_lpad,h_2000,w_2000", (2000, 2000)),
        ("ar_1:1,c_fill,w_200", (200, 200)),
        ("ar_16:9,c_fill,w_320", (320, 180)),
        ("c_fill,dpr_2.0,h_100,w_100", (200, 200)),
        ("c_fill,g_auto,h_200,w_200/r_max", (200, 200)),
        ("c_scale,w_640/c_crop,h_100,w_100", (100, 100)),  # chained components
    ],
)
def test_crop_mode_dimensions(transformation: str, expected: tuple[int, int]) -> None:
    assert size_of(CAMERA, transformation) == expected


def test_fill_at_draft_scale_still_gives_exact_dimensions() -> None:
    big = jpeg(4000, 3000)

    assert size_of(big, "c_fill,g_face,h_128,w_128") == (128, 128)
    assert size_of(big, "c_thumb,g_face,h_512,w_512") == (512, 512)


def test_exif_orientation_is_applied_and_metadata_stripped() -> None:
    portrait_stored_landscape = jpeg(400, 300, orientation=6, gps=True)

    rendered = render(portrait_stored_landscape, parser.parse("c_scale,w_150"), "jpg", max_pixels=MAX_PIXELS)

    with Image.open(io.BytesIO(rendered.data)) as image:
        assert image.size == (150, 200)
        assert len(image.getexif()) == 0
        assert "exif" not in image.info


def test_gravity_selects_the_side_that_is_kept() -> None:
    # Left half black, right half white.
    image = Image.new("L", (200, 100), 0)
    image.paste(255, (100, 0, 200, 100))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")

    east = render(buffer.getvalue(), parser.parse("c_fill,g_east,h_100,w_100"), "png", max_pixels=MAX_PIXELS)
    west = render(buffer.getvalue(), parser.parse("c_fill,g_west,h_100,w_100"), "png", max_pixels=MAX_PIXELS)

    assert Image.open(io.BytesIO(east.data)).convert("L").getpixel((50, 50)) == 255
    assert Image.open(io.BytesIO(west.data)).convert("L").getpixel((50, 50)) == 0


def test_r_max_makes_transparent_corners_in_png_and_white_in_jpg() -> None:
    as_png = render(png(100, 100, (0, 0, 0, 255)), parser.parse("r_max"), "png", max_pixels=MAX_PIXELS)
    as_jpg = render(png(100, 100, (0, 0, 0, 255)), parser.parse("r_max"), "jpg", max_pixels=MAX_PIXELS)

    assert Image.open(io.BytesIO(as_png.data)).getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert Image.open(io.BytesIO(as_jpg.data)).convert("L").getpixel((0, 0)) > 240  # type: ignore[operator]


def test_f_auto_picks_webp_when_accepted() -> None:
    chain = parser.parse("w_50/f_auto,q_auto")

    assert render(CAMERA, chain, "jpg", max_pixels=MAX_PIXELS, accept="image/avif,image/webp").format == "webp"
    assert render(CAMERA, chain, "jpg", max_pixels=MAX_PIXELS, accept="image/png").format == "jpg"


def test_canonical_form_sorts_parameters() -> None:
    assert parser.canonical(parser.parse("w_200,c_fill,h_200/q_auto,f_auto")) == "c_fill,h_200,w_200/f_auto,q_auto"


@pytest.mark.parametrize(
    ("transformation", "message"),
    [
        ("w_abc", "Invalid width in transformation: abc"),
        ("c_zoom", "Invalid crop mode - zoom"),
        ("zz_1", "Invalid transformation component - zz_1"),
    ],
)
def test_invalid_transformations(transformation: str, message: str) -> None:
    with pytest.raises(CloudinaryError) as caught:
        parser.parse(transformation)

    assert (caught.value.status, caught.value.message) == (400, message)


def test_heic_is_read_and_delivered_as_jpeg() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    buffer = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").resize((320, 240)).save(buffer, "HEIF", quality=60)

    rendered = render(buffer.getvalue(), parser.parse("c_fill,h_100,w_100"), "jpg", max_pixels=MAX_PIXELS)

    assert (rendered.format, rendered.width, rendered.height) == ("jpg", 100, 100)
    assert Image.open(io.BytesIO(rendered.data)).format == "JPEG"


def test_a_quality_of_non_ascii_digits_is_a_400_not_a_crash() -> None:
    # "²".isdigit() is True but int("²") raises ValueError (a 500 before).
    with pytest.raises(CloudinaryError) as raised:
        parser.parse("q_²")

    assert raised.value.status == 400
