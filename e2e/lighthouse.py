"""`make lighthouse`: Lighthouse's four scores for each public page of the production build, in a table.

The same setup as the browser tests: the stack as real processes (a MongoDB-protocol server, the emulator, both
services), the app built with `vite build` and served by `vite preview` with the one-origin proxy, and Debian's
chromium (`CHROME_PATH`). A user with a public profile and a picture is made through the APIs, so the public
profile page shows what a visitor sees. Lighthouse (npm, pinned in web/package.json) runs once per page with its
defaults: the mobile profile with simulated throttling. The JSON and HTML reports go to e2e/artifacts/lighthouse/
(git-ignored).

Exits 1 when any score is below `--min-score` (100 by default), so the table's verdict is also the exit status.
Not part of `make test`: it takes about a minute and the performance score depends on the machine's load.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from PIL import Image
from skimage import data as skimage_data

from devstack.mongo import running_mongodb
from e2e.browser import CHROMIUM, CHROMIUM_ARGS, WEB, build_web, serve_web
from e2e.pipeline import User, register, sign, upload, wait_for_status
from e2e.stack import ARTIFACTS, Stack

REPORTS = ARTIFACTS / "lighthouse"
LIGHTHOUSE = WEB / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# Lighthouse starts its own chromium with these (its defaults add --headless=new; ours match the browser tests').
CHROME_FLAGS = " ".join(arg for arg in CHROMIUM_ARGS if arg != "--headless") + " --headless=new"


def portrait() -> bytes:
    """A real photograph of a person, as a profile picture is: scikit-image's astronaut (Eileen Collins, NASA,
    public domain; 512x512, one frontal face), as a phone's JPEG. A generated pattern of hard-edged squares would
    cost the page several times the bytes any photo of a face does at the same size."""
    out = io.BytesIO()
    Image.fromarray(skimage_data.astronaut()).save(out, "JPEG", quality=90)  # type: ignore[no-untyped-call]
    return out.getvalue()


def public_user(stack: Stack) -> User:
    """A user whose public profile has a name, a bio and an applied picture."""
    user = register(stack)
    changed = httpx.patch(
        stack.url("profile", "/profiles/me"),
        json={"display_name": "Ada Lovelace", "bio": "Writes the first programs for engines that do not exist yet."},
        headers=user.headers,
        timeout=30,
    )
    changed.raise_for_status()
    ticket = sign(stack, user)
    upload(ticket, portrait(), name="ada.jpg").raise_for_status()
    wait_for_status(stack, user, ticket, "applied")
    return user


def audit(url: str, name: str) -> dict[str, int]:
    """Run Lighthouse on `url`; its four category scores (0-100). Reports: REPORTS/<name>.report.{json,html}."""
    done = subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--output=json",
            "--output=html",
            f"--output-path={REPORTS / name}",
            f"--chrome-flags={CHROME_FLAGS}",
            "--only-categories=" + ",".join(CATEGORIES),
            "--quiet",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"lighthouse failed on {url}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    report = json.loads((REPORTS / f"{name}.report.json").read_text())
    return {key: round(100 * (report["categories"][key]["score"] or 0)) for key in CATEGORIES}


def table(scores: dict[str, dict[str, int]]) -> str:
    """The scores as a Markdown table, one row per page."""
    lines = ["| page | " + " | ".join(CATEGORIES) + " |", "| --- |" + " ---: |" * len(CATEGORIES)]
    lines += [f"| `{page}` | " + " | ".join(str(row[key]) for key in CATEGORIES) + " |" for page, row in scores.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build, start, audit every public page, print the table; 1 if a score is below the minimum."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-score", type=int, default=100, help="the lowest score that passes (default 100)")
    args = parser.parse_args(argv)
    REPORTS.mkdir(parents=True, exist_ok=True)
    build_web()
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as work, running_mongodb(Path(work) / "mongo") as mongo:
        stack = Stack(mongodb_uri=mongo.uri, work_dir=Path(work))
        try:
            stack.start()
            user = public_user(stack)
            pages = {"/": "home", "/register": "register", "/forgot-password": "forgot-password"}
            pages[f"/u/{user.username}"] = "public-profile"
            with serve_web(stack) as web:
                scores = {path: audit(web + path, name) for path, name in pages.items()}
        finally:
            stack.stop()
    print(table(scores))
    print(f"\nreports: {REPORTS}/")
    low = [f"{page} {key} {n}" for page, row in scores.items() for key, n in row.items() if n < args.min_score]
    if low:
        print(f"below {args.min_score}: " + ", ".join(low), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
