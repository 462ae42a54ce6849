"""Benchmark: the bytes a phone sends to Cloudinary for one profile picture, and what the served picture loses.

The real web app in Debian's chromium (Playwright, `e2e/browser.py`) against the real stack, twice, with the same
12-megapixel photo (`e2e/photos.py`: 4000x3000, EXIF orientation 6, GPS, grain at every scale, ~6 MB):

1. as the service asks by default: `upload_long_edge` 1024 (twice the largest served size, 512), and
2. the way every upload went before it: `PROFILE_AVATAR_UPLOAD_LONG_EDGE=2048` (the old MAX_EDGE). One code path,
   two settings: the web app reads the edge from the policy; the ladder starts at the old 0.82, and the 2048 px
   picture (~0.23 B/px there) is within its byte budget of 0.35 B/px, so it is encoded exactly as before.

Rows: bytes the browser posted to the emulator's upload endpoint (the multipart body: Content-Length as sent,
`e2e.browser.posted_bytes`) / the photo's size, for each; and the SSIM of the 512 px avatar the emulator delivers
(`c_fill,g_face,h_512,w_512`) from the right-sized upload against the one delivered from the 2048 px upload, so
"visually unchanged" is a number. The JSON also has each 512 px delivery's SSIM and PSNR against the photo itself
downscaled to 512 by Pillow (Lanczos, no re-encode), the closest thing to a perfect avatar.

Run: `uv run --frozen python -m bench.upload_bytes` (results also in bench/results/upload_bytes.json).
"""

import io
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image, ImageOps
from playwright.sync_api import Request, expect
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from bench.measure import Row, bench_stack, save
from cloudinary_emulator.transformations.executor import encode
from e2e.browser import build_web, chromium, posted_bytes, serve_web
from e2e.photos import phone_photo
from e2e.pipeline import profile, register
from e2e.test_web_account import sign_in

OLD_EDGE = 2048  # the web app's MAX_EDGE before the policy said the edge
SERVED = "512"  # the largest size served, compared between the two uploads
TIMEOUT_MS = 60_000


@dataclass
class Upload:
    """One upload through the web app, as measured."""

    setting: str
    upload_long_edge: int
    posted: int
    stored: dict[str, Any]
    served: Image.Image


def to_cloudinary(request: Request) -> bool:
    """The browser's file upload (to the emulator's upload API, as to Cloudinary's)."""
    return request.method == "POST" and request.url.endswith("/image/upload")


def upload_through_the_web_app(photo: Path, edge_setting: int | None) -> Upload:
    """Start a stack (with `PROFILE_AVATAR_UPLOAD_LONG_EDGE` when given), upload `photo` in chromium, measure."""
    extra = {} if edge_setting is None else {"PROFILE_AVATAR_UPLOAD_LONG_EDGE": str(edge_setting)}
    with bench_stack(lambda _stack: {"profile": extra}) as stack, serve_web(stack) as web, chromium() as browser:
        user = register(stack)
        policy = httpx.get(stack.url("profile", "/profiles/me/avatar/policy"), headers=user.headers, timeout=30)
        policy.raise_for_status()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        uploads: list[Request] = []
        page.on("request", lambda r: uploads.append(r) if to_cloudinary(r) else None)
        sign_in(page, web, user.username, user.password, next_path="/profile")
        expect(page).to_have_url(re.compile(r"/profile$"))
        page.get_by_test_id("avatar-file").set_input_files(str(photo))
        page.get_by_test_id("upload-start").click()
        expect(page.get_by_test_id("upload-status")).to_have_text("Your new profile picture is up.")
        assert len(uploads) == 1, [r.url for r in uploads]
        posted = posted_bytes(uploads[0])  # before the context closes: Playwright asks the page for the headers
        context.close()
        avatar = profile(stack, user)["avatar"]
        served = httpx.get(avatar["variants"][SERVED], timeout=30)
        served.raise_for_status()
        return Upload(
            setting="default" if edge_setting is None else f"PROFILE_AVATAR_UPLOAD_LONG_EDGE={edge_setting}",
            upload_long_edge=policy.json()["upload_long_edge"],
            posted=posted,
            stored={k: avatar[k] for k in ("width", "height", "format", "bytes")},
            served=Image.open(io.BytesIO(served.content)).convert("RGB"),
        )


def pixels(image: Image.Image) -> np.ndarray[Any, np.dtype[np.float64]]:
    """RGB as floats, 0..255."""
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def ssim(a: Image.Image, b: Image.Image) -> float:
    """Mean SSIM over the three channels (scikit-image, Wang et al.'s 7x7 window)."""
    # scikit-image ships no type hints for its metrics.
    value = structural_similarity(pixels(a), pixels(b), data_range=255, channel_axis=2)  # type: ignore[no-untyped-call]
    return round(float(value), 4)


def psnr(a: Image.Image, b: Image.Image) -> float:
    """PSNR in dB."""
    value = peak_signal_noise_ratio(pixels(a), pixels(b), data_range=255)  # type: ignore[no-untyped-call]
    return round(float(value), 2)


def ideal_avatar(photo: Path, size: int) -> Image.Image:
    """The photo turned upright, its centred square downscaled straight to `size` (Lanczos, nothing re-encoded)."""
    with Image.open(photo) as opened:
        upright = ImageOps.exif_transpose(opened).convert("RGB")
    side = min(upright.size)
    left, top = (upright.width - side) // 2, (upright.height - side) // 2
    return upright.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)


def delivered(image: Image.Image, fmt: str) -> Image.Image:
    """`image` after the one encoding every delivery adds (the emulator's, at Cloudinary's default quality)."""
    return Image.open(io.BytesIO(encode(image, fmt, None).data)).convert("RGB")


def main() -> list[Row]:
    """Upload the same photo the right-sized way and the old way; compare bytes and the 512 px delivery."""
    build_web()
    with tempfile.TemporaryDirectory(prefix="bench-upload-bytes-") as tmp:
        photo = phone_photo(Path(tmp) / f"IMG_{uuid.uuid4().hex[:4]}.jpg")
        original = photo.stat().st_size
        new = upload_through_the_web_app(photo, None)
        old = upload_through_the_web_app(photo, OLD_EDGE)
        ideal = ideal_avatar(photo, int(SERVED))
    versus_ideal = {u.setting: {"ssim": ssim(u.served, ideal), "psnr_db": psnr(u.served, ideal)} for u in (new, old)}
    # What the served picture's own encoding alone does to the perfect 512 px avatar: the scale to read SSIMs on.
    encoding_alone = ssim(delivered(ideal, str(new.stored["format"])), ideal)
    uploads = {u.setting: {"upload_long_edge": u.upload_long_edge, "posted": u.posted, **u.stored} for u in (new, old)}
    rows = [
        Row(
            name="browser -> Cloudinary bytes / photo (12 MP, 1024 px)",
            value=round(new.posted / original, 4),
            unit="x photo",
            baseline=f"photo {original / 1e6:.2f} MB, posted {new.posted / 1e3:.0f} kB; "
            f"2048 px: {old.posted / original:.4f} ({old.posted / 1e3:.0f} kB)",
            extra={"original_bytes": original, "uploads": uploads},
        ),
        Row(
            name="512 px avatar SSIM, 1024 px upload vs 2048 px",
            value=ssim(new.served, old.served),
            unit="SSIM",
            baseline=f"PSNR {psnr(new.served, old.served):.1f} dB; vs the photo: "
            f"{versus_ideal[new.setting]['ssim']:.3f} (1024), {versus_ideal[old.setting]['ssim']:.3f} (2048), "
            f"{encoding_alone:.3f} (delivery encoding alone)",
            extra={"versus_photo_downscaled": versus_ideal, "delivery_encoding_alone_ssim": encoding_alone},
        ),
    ]
    # The two deliveries side by side, to look at (git-ignored with the JSON): right-sized left, 2048 px right.
    pair = Image.new("RGB", (2 * int(SERVED), int(SERVED)))
    pair.paste(new.served, (0, 0))
    pair.paste(old.served, (int(SERVED), 0))
    pair.save(save("upload_bytes", {"rows": rows}).with_suffix(".png"))
    return rows


if __name__ == "__main__":
    from bench.measure import table

    print(table(main()))
