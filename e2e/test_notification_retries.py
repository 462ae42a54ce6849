"""Cloudinary's notification retry schedule against real processes: a notification that fails every attempt
(three further attempts 3, 6 and 9 minutes apart, here at 1/200) is still applied, by reconciliation, which
waits out the whole schedule first (the grace outlasts it, as in production, at the same scale)."""

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.mongo import MongoServer
from e2e.conftest import running_stack
from e2e.pipeline import (
    faults,
    image_bytes,
    notifications,
    profile,
    register,
    reset_emulator,
    sign,
    status,
    upload,
    wait_for,
    wait_for_status,
)
from e2e.stack import Stack

SCALE = 0.005
# Cloudinary's waits (emulator README "Notification retries"), scaled: attempts at 0, 0.9, 2.7 and 5.4 s.
EXPECTED_OFFSETS = [0.0, 180 * SCALE, 540 * SCALE, 1080 * SCALE]
TTL_SECONDS = 5
# profile-service's grace outlasts the schedule with margin, as its default (1500 s) does at full scale.
GRACE_SECONDS = 1500 * SCALE
ENV = {
    "profile": {
        "PROFILE_UPLOAD_TTL_SECONDS": str(TTL_SECONDS),
        "PROFILE_UPLOAD_GRACE_SECONDS": str(GRACE_SECONDS),
        "PROFILE_RECONCILE_INTERVAL_SECONDS": "0.5",
    },
    "emulator": {"EMULATOR_NOTIFICATION_TIME_SCALE": str(SCALE)},
}


@pytest.fixture(scope="module")
def retrying(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack on Cloudinary's retry schedule at 1/200, with a reconciliation grace scaled the same way."""
    with running_stack(mongo_server, tmp_path_factory, **ENV) as running:
        yield running


def test_a_notification_failing_every_attempt_is_applied_by_reconciliation(retrying: Stack) -> None:
    reset_emulator(retrying)
    user = register(retrying)
    faults(retrying, notification_failures=2)  # the upload and the eager notification
    ticket = sign(retrying, user)
    response = upload(ticket, image_bytes())
    assert response.status_code == 200, response.text

    def given_up() -> list[dict[str, Any]] | None:
        notes = notifications(retrying, ticket["public_id"])
        return notes if notes and all(n["status"] == "failed" for n in notes) else None

    failed = wait_for("every notification of the upload given up", given_up, timeout=30)
    # The whole schedule ran, at the scaled times, and reconciliation had not stepped in before its end.
    assert status(retrying, user, ticket)["status"] == "pending"
    upload_note = next(n for n in failed if n["notification_type"] == "upload")
    offsets = [attempt["offset_s"] for attempt in upload_note["attempts"]]
    assert len(offsets) == len(EXPECTED_OFFSETS)
    for offset, expected in zip(offsets, EXPECTED_OFFSETS, strict=True):
        assert expected <= offset < expected + 1.0, offsets
    assert all(attempt["status_code"] is None and attempt["error"] for attempt in upload_note["attempts"])

    wait_for_status(retrying, user, ticket, "applied", timeout=TTL_SECONDS + GRACE_SECONDS + 15)

    assert profile(retrying, user)["avatar"]["version"] == response.json()["version"]
