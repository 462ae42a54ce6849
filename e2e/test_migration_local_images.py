"""`profile-service migrate-local-images` as a real subprocess against the stack: killed mid-way it resumes,
and however often it runs each image is uploaded to the emulator exactly once and applied to its profile."""

import csv
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.pipeline import faults, image_bytes, notifications, reset_emulator, resources, wait_for
from e2e.stack import ROOT, Stack

USERS = 6


@pytest.fixture
def legacy(tmp_path: Path) -> Iterator[tuple[Path, Path, list[tuple[str, str]]]]:
    """A folder of avatars and the CSV mapping them to (user id, username)."""
    images = tmp_path / "uploads"
    images.mkdir()
    users = [(uuid.uuid4().hex[:12], f"legacy{uuid.uuid4().hex[:8]}") for _ in range(USERS)]
    with (tmp_path / "map.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["filename", "user_id", "username"])
        for number, (user_id, username) in enumerate(users):
            (images / f"{user_id}.png").write_bytes(image_bytes(200, 200, seed=number))
            writer.writerow([f"{user_id}.png", user_id, username])
    yield images, tmp_path / "map.csv", users


def command(images: Path, mapping: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "profile_service", "migrate-local-images",
        "--images", str(images), "--csv", str(mapping), "--workers", "1", *extra,
    ]  # fmt: skip


def run(stack: Stack, args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **stack.environments()["profile"]}
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def migrated(stack: Stack) -> int:
    with stack.profile_db() as db:
        return db["migrations"].count_documents({"status": "migrated"})


def test_a_dry_run_then_a_killed_run_then_two_full_runs_upload_each_image_once(
    stack: Stack, legacy: tuple[Path, Path, list[tuple[str, str]]]
) -> None:
    images, mapping, users = legacy
    reset_emulator(stack)

    dry = run(stack, command(images, mapping, "--dry-run"))
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and f"would migrate {USERS:>6}" in dry.stdout
    assert all(resources(stack, f"profiles/{user_id}/") == [] for user_id, _ in users)

    faults(stack, response_delay_ms=600)  # slow uploads, so the first run can be killed part-way
    env = {**os.environ, **stack.environments()["profile"]}
    killed = subprocess.Popen(
        command(images, mapping), env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_for("two pictures migrated by the first run", lambda: migrated(stack) >= 2, timeout=30)
    finally:
        killed.kill()
        killed.communicate(timeout=10)
    assert migrated(stack) < USERS
    faults(stack, response_delay_ms=0)

    resumed = run(stack, command(images, mapping))
    again = run(stack, command(images, mapping))

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"skipped    {USERS:>6}" in again.stdout and f"migrated   {0:>6}" in again.stdout
    assert "/6" in resumed.stderr  # the progress bar
    for user_id, username in users:
        held = resources(stack, f"profiles/{user_id}/")
        assert len(held) == 1, (user_id, held)
        uploads = [n for n in notifications(stack, held[0]) if n["notification_type"] == "upload"]
        assert len([n for n in uploads if not n["duplicate"]]) == 1
        shown = httpx.get(stack.url("profile", f"/profiles/{username}"), timeout=30)
        assert shown.status_code == 200, shown.text
        assert shown.json()["avatar"]["secure_url"].split("/")[-1].startswith(held[0].split("/")[-1])
