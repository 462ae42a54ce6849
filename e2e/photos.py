"""Generated phone photos for the browser tests and the upload-size benchmark.

A 12-megapixel JPEG as a phone stores it: 4000x3000 stored pixels, EXIF orientation 6 (displayed 3000x4000), GPS
tags, about 6 MB. Its grain has detail at every scale from one pixel to ~64 (as a photo's texture has), so a
downscaled re-encode costs what a real photo's does: a per-pixel-only grain averages away when the picture is
downscaled and flatters every size measurement (measured in chromium, WebP q0.82 at 2048 px: the per-pixel grain this
replaced came to 0.59 MB, this photo to 0.97 MB, bench/upload_pipeline.py's noisy photo to 1.08 MB).
"""

from pathlib import Path

from PIL import Image, ImageChops

GPS_IFD = 0x8825
ORIENTATION = 0x0112
# (grain feature size in px, noise sigma) per octave: coarser octaves a little stronger, as in photos.
OCTAVES = ((1, 32), (2, 56), (4, 64), (16, 64), (64, 64))


def grain(width: int, height: int) -> Image.Image:
    """Mid-grey (128) RGB noise with features from 1 to ~64 px, each octave averaged in."""
    layers: list[Image.Image] = []
    for scale, sigma in OCTAVES:
        size = (max(2, width // scale), max(2, height // scale))
        channels = [Image.effect_noise(size, sigma) for _ in range(3)]
        layer = Image.merge("RGB", channels)
        layers.append(layer if scale == 1 else layer.resize((width, height), Image.Resampling.BICUBIC))
    combined = layers[0]
    for count, layer in enumerate(layers[1:], start=2):
        # A running mean: (n-1)/n of what we have plus 1/n of the next octave.
        combined = Image.blend(combined, layer, 1 / count)
    return combined


def phone_photo(path: Path, quality: int = 93) -> Path:
    """Write the photo to `path`. Stored left is red and stored right blue, so once turned the right way up the top
    is red and the bottom blue; unturned, red and blue sit left and right."""
    width, height = 4000, 3000
    ramp = Image.linear_gradient("L").rotate(90).resize((width, height))  # 0 at the left, 255 at the right
    base = Image.merge("RGB", (ImageChops.invert(ramp), Image.new("L", (width, height), 90), ramp))
    photo = ImageChops.add(base, grain(width, height), scale=1.0, offset=-128)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 30.0)})
    photo.save(path, "JPEG", quality=quality, exif=exif.tobytes())
    with Image.open(path) as check:
        assert check.getexif().get_ifd(GPS_IFD), "the test photo must carry GPS tags"
        assert check.getexif()[ORIENTATION] == 6
    return path
