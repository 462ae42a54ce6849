"""Benchmark: a 12-megapixel phone JPEG to three square avatars, emulator (draft decode) vs naive full decode.

Run from the repository root: `uv run python -m bench.emulator_avatars`. Prints the median of several runs for
each variant, their ratio, and the peak resident memory of a subprocess that runs each variant once; writes
bench/results/emulator_avatars.json. Goal (issue 4): at most 0.5 s for the three sizes, peak under 200 MB.
"""

import io
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image, ImageOps

from bench.measure import RESULTS, Row, save
from cloudinary_emulator.transformations import parser
from cloudinary_emulator.transformations.executor import render

SIZES = (128, 256, 512)
RUNS = 5
MAX_PIXELS = 25_000_000


def phone_photo() -> bytes:
    """4000x3000 JPEG with noise (so decoding costs what a photo costs) and EXIF orientation 6."""
    noise = Image.effect_noise((1000, 750), 64).resize((4000, 3000), Image.Resampling.BILINEAR)
    gradient = Image.linear_gradient("L").resize((4000, 3000))
    image = Image.merge("RGB", (noise, gradient, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def emulator_avatars(data: bytes) -> list[tuple[int, int]]:
    """The emulator's own path: parsed transformation, draft-mode decode, Lanczos, JPEG encode."""
    sizes = []
    for size in SIZES:
        rendered = render(data, parser.parse(f"c_thumb,g_face,h_{size},w_{size}"), "jpg", max_pixels=MAX_PIXELS)
        sizes.append((rendered.width, rendered.height))
    return sizes


def naive_avatars(data: bytes) -> list[tuple[int, int]]:
    """What one writes first: decode the whole image for every size, then fit and encode."""
    sizes = []
    for size in SIZES:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened.convert("RGB"))
        avatar = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
        avatar.save(io.BytesIO(), "JPEG", quality=80)
        sizes.append(avatar.size)
    return sizes


VARIANTS = {"emulator": emulator_avatars, "naive": naive_avatars}


def median_seconds(variant: str, data: bytes) -> float:
    """Median wall time of RUNS runs (after one warm-up)."""
    function = VARIANTS[variant]
    assert function(data) == [(size, size) for size in SIZES]
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        function(data)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_memory_mb(variant: str, photo: Path) -> float:
    """Peak RSS of a fresh interpreter that reads the photo and runs the variant once (interpreter included)."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.emulator_avatars", "--peak", variant, str(photo)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return float(output.strip().splitlines()[-1])


def _peak(variant: str, photo: str) -> None:
    data = Path(photo).read_bytes()
    VARIANTS[variant](data)
    # VmHWM belongs to this process image; ru_maxrss would carry the parent's peak across fork+exec on Linux.
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                print(int(line.split()[1]) / 1024)
                return
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> list[Row]:
    """Run the benchmark, write the JSON results; returns the table rows."""
    data = phone_photo()
    # The subprocesses read the photo from a file: generating it costs more memory than avatars do.
    photo = RESULTS / "emulator_avatars_input.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(data)
    emulator = median_seconds("emulator", data)
    naive = median_seconds("naive", data)
    peak = round(peak_memory_mb("emulator", photo), 1)
    results = {
        "input": {"width": 4000, "height": 3000, "bytes": len(data), "exif_orientation": 6},
        "sizes": list(SIZES),
        "runs": RUNS,
        "emulator_seconds": round(emulator, 4),
        "naive_seconds": round(naive, 4),
        "ratio_emulator_to_naive": round(emulator / naive, 3),
        "emulator_peak_rss_mb": peak,
        "naive_peak_rss_mb": round(peak_memory_mb("naive", photo), 1),
        "goal": {"seconds": 0.5, "peak_rss_mb": 200},
    }
    photo.unlink()
    save("emulator_avatars", results)
    sizes = "/".join(map(str, SIZES))
    return [
        Row(
            name=f"emulator 12 MP JPEG -> {sizes} px avatars, seconds",
            value=round(emulator, 4),
            unit="s",
            baseline=f"naive full decode {naive:.3f} s ({results['ratio_emulator_to_naive']:.2f}x)",
        ),
        Row(
            name="emulator 12 MP JPEG -> avatars, peak RSS",
            value=peak,
            unit="MB",
            baseline=f"naive {results['naive_peak_rss_mb']} MB (fresh interpreter included)",
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--peak":
        _peak(sys.argv[2], sys.argv[3])
    else:
        from bench.measure import table

        print(table(main()))
