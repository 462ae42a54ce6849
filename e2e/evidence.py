"""What the processes' own logs (under e2e/artifacts/) say happened: server errors our services logged, and the
destroys the emulator performed. Read after the fact, so a test can assert on them and print them."""

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from e2e.stack import Stack

OUR_SERVICES = ("auth", "profile")


def log_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of one process log (non-JSON lines, e.g. a crash banner, come back as `{"raw": line}`)."""
    if not path.exists():
        return
    for line in path.read_text(errors="replace").splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            yield {"raw": line}
            continue
        yield parsed if isinstance(parsed, dict) else {"raw": line}


def server_errors(stack: Stack, names: tuple[str, ...] = OUR_SERVICES) -> list[str]:
    """Every request one of our services answered with a 5xx other than the documented 503 of an outage, and
    every logged exception or traceback whose request did not end in that 503.

    (Litestar logs a traceback for exceptions the app then maps to 503 problem details, e.g. MongoDB's
    ServerSelectionTimeoutError; those requests answered 503, which is the designed behaviour.)"""
    found = []
    for name in names:
        process = stack.processes.get(name)
        if process is None:
            continue
        entries = list(log_lines(process.log_path))
        answered = {e.get("request_id"): e.get("status") for e in entries if isinstance(e.get("status"), int)}
        for entry in entries:
            status = entry.get("status")
            crashed = "Uncaught exception" in str(entry.get("msg", "")) or "Traceback" in entry.get("raw", "")
            if (isinstance(status, int) and status >= 500 and status != 503) or (
                crashed and answered.get(entry.get("request_id")) != 503
            ):
                found.append(f"{name}: {json.dumps(entry)[:600]}")
    return found


def mapped_to_503(stack: Stack, names: tuple[str, ...] = OUR_SERVICES) -> int:
    """How many logged exceptions ended as a 503 (reported, not failed: the outage's designed answer)."""
    count = 0
    for name in names:
        process = stack.processes.get(name)
        if process is None:
            continue
        entries = list(log_lines(process.log_path))
        answered = {e.get("request_id"): e.get("status") for e in entries if isinstance(e.get("status"), int)}
        count += sum(
            1
            for e in entries
            if "Uncaught exception" in str(e.get("msg", "")) and answered.get(e.get("request_id")) == 503
        )
    return count


def destroys(log_path: Path) -> Counter[str]:
    """How many destroy calls the emulator carried out per public_id (its `destroy` log line)."""
    return Counter(
        str(entry["public_id"])
        for entry in log_lines(log_path)
        if entry.get("msg") == "destroy" and entry.get("logger", "").startswith("cloudinary_emulator")
    )


def metric(stack: Stack, name: str, labels: str = "", process: str = "profile") -> float:
    """The sum of one Prometheus series (optionally only lines containing `labels`) from a process's /metrics."""
    text = httpx.get(stack.url(process, "/metrics"), timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if (line.startswith(name + "{") or line.startswith(name + " ")) and labels in line
    )


def metric_by_label(stack: Stack, name: str, label: str, where: str = "", process: str = "profile") -> dict[str, float]:
    """One Prometheus series from a process's /metrics, summed by the value of `label` (optionally only lines
    containing `where`, e.g. `source="webhook"`)."""
    text = httpx.get(stack.url(process, "/metrics"), timeout=10).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(name + "{") and where in line and f'{label}="' in line:
            value = line.split(f'{label}="', 1)[1].split('"', 1)[0]
            found[value] = found.get(value, 0.0) + float(line.rsplit(" ", 1)[1])
    return found
