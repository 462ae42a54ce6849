"""`make fidelity`: the official Python SDK's own tests, and our conformance suites, against a fresh emulator.

Downloads the `cloudinary` sdist pinned in uv.lock from PyPI (cached under fidelity/.cache/, git-ignored; nothing
of it is committed), adds the helper files the sdist lacks (support/), starts an emulator on a free port, runs
the sdist's tests with CLOUDINARY_URL pointing at it, classifies each test that reached the emulator as in or
out of scope by manifest.toml, prints one table, writes results.json and puts the table into the README.

`--short` (used by `make test`) runs only the in-scope tests and fails when any of them fails.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import http.server
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

HERE = Path(__file__).resolve().parent
EMULATOR = HERE.parent
ROOT = EMULATOR.parent
CACHE = HERE / ".cache"
README = EMULATOR / "README.md"
BEGIN, END = "<!-- fidelity:begin -->", "<!-- fidelity:end -->"
CLOUD, KEY, SECRET = "fidelity-cloud", "987654321098765", "fidelity-secret-0123456789abcdef"


def pinned_version() -> str:
    """The `cloudinary` version uv.lock pins (the one the project runs against)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return next(str(p["version"]) for p in lock["package"] if p["name"] == "cloudinary")


def sdist(version: str) -> Path:
    """The sdist, downloaded once with pip into the git-ignored cache."""
    archive = CACHE / f"cloudinary-{version}.tar.gz"
    if not archive.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        pip = [shutil.which("pip3") or "pip3"] if shutil.which("pip3") else [sys.executable, "-m", "pip"]
        subprocess.run(
            [
                *pip,
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"cloudinary=={version}",
                "-d",
                str(CACHE),
            ],
            check=True,
        )
    return archive


def unpack(archive: Path, version: str) -> Path:
    """A fresh copy of the sdist with our support files and generated resources added."""
    work = CACHE / "work"
    shutil.rmtree(work, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    tree = work / f"cloudinary-{version}"
    shutil.copytree(HERE / "support" / "test", tree / "test", dirs_exist_ok=True)
    shutil.copy(HERE / "support" / "fidelity_plugin.py", tree / "fidelity_plugin.py")
    write_resources(tree / "test" / "resources")
    return tree


def write_resources(folder: Path) -> None:
    """The images and document the tests upload, generated (the upstream logo is a 241x51 PNG)."""
    folder.mkdir(parents=True, exist_ok=True)
    logo = Image.new("RGB", (241, 51), (30, 80, 160))
    for x in range(0, 241, 8):
        for y in range(0, 51, 8):
            logo.putpixel((x, y), (250, 250, 250))
    logo.save(folder / "logo.png")
    logo.save(folder / "üni_näme_lögö.png")
    Image.new("RGB", (16, 16), (200, 30, 30)).save(folder / "favicon.ico", sizes=[(16, 16)])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as docx:
        docx.writestr("[Content_Types].xml", "<Types/>")
        docx.writestr("word/document.xml", "<document/>")
    (folder / "docx.docx").write_bytes(buffer.getvalue())


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Emulator:
    """A fresh emulator as a real process with its own data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {
            "CLOUDINARY_URL": f"cloudinary://{KEY}:{SECRET}@{CLOUD}",
            "EMULATOR_PORT": str(self.port),
            "EMULATOR_DATA_DIR": str(data_dir),
            "EMULATOR_LOG_LEVEL": "WARNING",
        }
        self.log = (data_dir.parent / "emulator.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cloudinary_emulator"], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"emulator exited with {self.process.returncode}; see {self.log.name}")
            time.sleep(0.1)
        raise SystemExit("emulator did not become healthy in 30 s")

    def close(self) -> None:
        """Stop the process."""
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


def serve_folder(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve `folder` over HTTP, so upload-by-URL tests fetch a local file instead of cloudinary.com."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def load_manifest() -> dict[str, Any]:
    """manifest.toml: the sdist files to run, stubs, and every out-of-scope test with its reason."""
    return tomllib.loads((HERE / "manifest.toml").read_text())


def out_of_scope_reason(manifest: dict[str, Any], nodeid: str) -> str | None:
    """The manifest's reason when `nodeid` is out of scope, else None (in scope)."""
    for entry in manifest["out_of_scope"]:
        if fnmatch.fnmatchcase(nodeid, entry["test"]):
            return str(entry["reason"])
    return None


def run_sdk_suite(tree: Path, emulator: Emulator, manifest: dict[str, Any], only: list[str] | None) -> dict[str, Any]:
    """Run the sdist's tests; returns the plugin's raw record per test."""
    raw = tree / "fidelity-raw.json"
    _server, remote = serve_folder(tree / "test" / "resources")
    env = os.environ | {
        "CLOUDINARY_URL": f"cloudinary://{KEY}:{SECRET}@{CLOUD}?upload_prefix={emulator.url}",
        "FIDELITY_EMULATOR_URL": emulator.url,
        "FIDELITY_STUBS": ",".join(manifest["stubs"]["outside_test_bodies"]),
        "FIDELITY_REWRITES": ",".join(manifest["stubs"].get("rewrite_outside_test_bodies", [])),
        "FIDELITY_RAW": str(raw),
        "FIDELITY_REMOTE_IMAGE": remote + "/logo.png",
        "PYTHONPATH": str(tree),
    }
    targets = only if only is not None else [f"test/{name}" for name in manifest["suite"]["files"]]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "fidelity_plugin",
            "-o",
            "addopts=",
            "--rootdir",
            str(tree),
            *targets,
        ],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    result: dict[str, Any] = json.loads(raw.read_text())
    return result


def classify(raw: dict[str, Any], manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per test that reached the emulator (in its body, or its set-up failed after reaching it)."""
    rows = []
    for nodeid, entry in sorted(raw.items()):
        outcome = entry["outcome"]
        setup = outcome.get("setup", {})
        call = outcome.get("call")
        if setup.get("outcome") == "skipped":
            continue
        setup_failed = setup.get("outcome") == "failed"
        if "call" not in entry["reached"] and not setup_failed:
            continue  # mocked or offline: it never reached a server
        passed = (
            call is not None and call["outcome"] == "passed" and outcome.get("teardown", {}).get("outcome") != "failed"
        )
        message = setup.get("message") if setup_failed else (call or {}).get("message", "")
        reason = out_of_scope_reason(manifest, nodeid)
        rows.append(
            {
                "test": nodeid,
                "file": nodeid.split("::")[0],
                "scope": "out" if reason else "in",
                "reason": reason,
                "passed": passed,
                "message": "" if passed else message,
                "stubbed": entry["stubbed"],
            }
        )
    return rows


def run_conformance() -> dict[str, dict[str, int]]:
    """The project's own conformance suites: Python SDK (pytest) and Node SDK (node --test)."""
    suites: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "py.xml"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={junit}",
                "tests/conformance",
            ],
            cwd=EMULATOR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        suites["python-sdk (tests/conformance)"] = junit_counts(junit)
    node = HERE / "node"
    if (node / "package.json").exists():
        if not (node / "node_modules").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=node, check=True)
        with tempfile.TemporaryDirectory() as tmp:
            emulator = Emulator(Path(tmp) / "data")
            try:
                env = os.environ | {
                    "CLOUDINARY_URL": f"cloudinary://{KEY}:{SECRET}@{CLOUD}?upload_prefix={emulator.url}",
                    "EMULATOR_URL": emulator.url,
                }
                done = subprocess.run(
                    ["node", "--test", "--test-reporter=tap", "conformance.test.mjs"],
                    cwd=node,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
            finally:
                emulator.close()
        suites["node-sdk (fidelity/node)"] = tap_counts(done.stdout)
    return suites


def junit_counts(path: Path) -> dict[str, int]:
    """run/passed/failed from a JUnit XML file."""
    import xml.etree.ElementTree as ET

    if not path.exists():
        return {"run": 0, "passed": 0, "failed": 1}
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite[0]
    run = int(suite.get("tests", 0)) - int(suite.get("skipped", 0))
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    return {"run": run, "passed": run - failed, "failed": failed}


def tap_counts(tap: str) -> dict[str, int]:
    """run/passed/failed from node --test's TAP summary."""
    counts = {"pass": 0, "fail": 0}
    for line in tap.splitlines():
        parts = line.strip().split()
        if len(parts) == 3 and parts[0] == "#" and parts[1] in counts:
            counts[parts[1]] = int(parts[2])
    return {"run": counts["pass"] + counts["fail"], "passed": counts["pass"], "failed": counts["fail"]}


def table(rows: list[dict[str, Any]], suites: dict[str, dict[str, int]], version: str, stubs: list[str]) -> str:
    """The Markdown table: by file, in scope and out of scope, then the conformance suites."""
    lines = [
        f"Official Python SDK `cloudinary=={version}` (its sdist's own tests), tests that reach a server:",
        "",
        "| File | In scope run | passed | failed | Out of scope run | passed | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    files = sorted({row["file"] for row in rows})
    total = [0] * 6
    for name in files:
        counts = []
        for scope in ("in", "out"):
            picked = [r for r in rows if r["file"] == name and r["scope"] == scope]
            good = sum(r["passed"] for r in picked)
            counts += [len(picked), good, len(picked) - good]
        total = [a + b for a, b in zip(total, counts, strict=True)]
        lines.append(f"| {name} | " + " | ".join(map(str, counts)) + " |")
    lines.append("| **total** | " + " | ".join(f"**{n}**" for n in total) + " |")
    in_pct = 100 * total[1] / total[0] if total[0] else 0.0
    stubbed = sorted({s for r in rows for s in r["stubbed"]})
    refused = sum(r["scope"] == "out" and "not supported by the emulator" in (r["message"] or "") for r in rows)
    lines += [
        "",
        f"In scope: {total[1]}/{total[0]} passed ({in_pct:.0f}%). Out of scope: {total[4]}/{total[3]} passed "
        "(each has a one-line reason in `fidelity/manifest.toml`).",
        f"Out of scope refused loudly (message says it is not supported by the emulator): {refused}/{total[3]}.",
        f"Set-up steps stubbed outside test bodies only: {', '.join(f'`{s}`' for s in stubbed) or 'none'} "
        f"(configured: {', '.join(f'`{s}`' for s in stubs)}).",
        "",
        "| Conformance suite | run | passed | failed |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, c in suites.items():
        lines.append(f"| {name} | {c['run']} | {c['passed']} | {c['failed']} |")
    return "\n".join(lines)


def write_readme(text: str) -> None:
    """Replace the table between the README's markers."""
    readme = README.read_text()
    if BEGIN not in readme:
        readme += f"\n## Fidelity\n\n{BEGIN}\n{END}\n"
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main() -> int:
    """Run everything; exit 1 when an in-scope test failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", action="store_true", help="in-scope tests only, no README/results update")
    args = parser.parse_args()
    version = pinned_version()
    manifest = load_manifest()
    tree = unpack(sdist(version), version)
    emulator = Emulator(CACHE / "data")
    try:
        only = manifest["suite"]["in_scope"] if args.short else None
        rows = classify(run_sdk_suite(tree, emulator, manifest, only), manifest)
    finally:
        emulator.close()
    failed_in = [r for r in rows if r["scope"] == "in" and not r["passed"]]
    if args.short:
        for row in failed_in:
            print(f"FAILED {row['test']}: {row['message']}")
        ran = sum(r["scope"] == "in" for r in rows)
        print(f"fidelity (short): {ran - len(failed_in)}/{ran} in-scope SDK tests passed")
        return 1 if failed_in or not rows else 0
    suites = run_conformance()
    text = table(rows, suites, version, manifest["stubs"]["outside_test_bodies"])
    print(text)
    (HERE / "results.json").write_text(
        json.dumps({"sdk": f"cloudinary=={version}", "tests": rows, "conformance": suites}, indent=1) + "\n"
    )
    write_readme(text)
    for row in failed_in:
        print(f"FAILED (in scope) {row['test']}: {row['message']}")
    return 1 if failed_in or any(s["failed"] for s in suites.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
