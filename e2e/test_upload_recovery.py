"""Recovery without the webhook: reconciliation of lapsed intents, and a MongoDB outage while a notification
arrives. Its own stack, with short-lived upload parameters and a fast reconciliation loop; the outage test
kills the session's MongoDB, so it runs last in this module and waits for every process to recover."""

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from devstack.mongo import MongoServer
from e2e.conftest import running_stack
from e2e.pipeline import (
    exists,
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
from e2e.stack import API_KEY, CLOUD_NAME, Stack

TTL_SECONDS = 5
ENV = {
    "profile": {
        "PROFILE_UPLOAD_TTL_SECONDS": str(TTL_SECONDS),
        "PROFILE_UPLOAD_GRACE_SECONDS": "0",
        "PROFILE_RECONCILE_INTERVAL_SECONDS": "0.5",
        "PROFILE_OUTBOX_POLL_SECONDS": "0.2",
        "PROFILE_MONGODB_TIMEOUT_MS": "1000",
    },
    "emulator": {"EMULATOR_NOTIFICATION_TIME_SCALE": "0.03"},
}


@pytest.fixture(scope="module")
def recovering(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack whose upload parameters lapse after 5 s and whose reconciliation runs twice a second."""
    with running_stack(mongo_server, tmp_path_factory, **ENV) as running:
        yield running


@pytest.fixture(autouse=True)
def clean_emulator(recovering: Stack) -> None:
    """Faults off, empty notification log."""
    reset_emulator(recovering)


def test_a_dropped_notification_is_recovered_by_reconciliation(recovering: Stack) -> None:
    user = register(recovering)
    faults(recovering, notification_drop=2)  # the upload and the eager notification
    ticket = sign(recovering, user)
    response = upload(ticket, image_bytes())
    assert response.status_code == 200, response.text
    wait_for("both notifications dropped", lambda: len(notifications(recovering, ticket["public_id"])) >= 2)
    assert status(recovering, user, ticket)["status"] == "pending"

    wait_for_status(recovering, user, ticket, "applied", timeout=TTL_SECONDS + 15)

    assert profile(recovering, user)["avatar"]["version"] == response.json()["version"]


def test_an_unused_intent_expires_and_cloudinary_refuses_its_parameters(recovering: Stack) -> None:
    user = register(recovering)
    ticket = sign(recovering, user)

    wait_for_status(recovering, user, ticket, "expired", timeout=TTL_SECONDS + 15)
    response = upload(ticket, image_bytes())

    # The signed timestamp is back-dated, so Cloudinary's one-hour window closes with the intent.
    assert response.status_code == 401
    assert "Stale request" in response.json()["error"]["message"]
    assert profile(recovering, user)["avatar"] is None


def test_mongodb_down_when_the_notification_arrives_is_a_503_and_the_retry_applies_it(
    recovering: Stack, mongo_server: MongoServer
) -> None:
    user = register(recovering)
    profile(recovering, user)  # the token's key is cached before the outage
    ticket = sign(recovering, user)
    if mongo_server.can_restart:
        mongo_server.kill()
        restore = mongo_server.restart
    else:
        # An external MongoDB cannot be stopped from here: cut the profile service off from it instead.
        process = recovering.processes["profile"]
        process.stop()
        process.env = {**process.env, "MONGODB_URI": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=500"}
        process.start()
        restore = _reconnect(recovering)
    try:
        response = upload(ticket, image_bytes())
        assert response.status_code == 200, response.text
        refused = wait_for(
            "a notification attempt answered 503",
            lambda: any(
                attempt.get("status_code") == 503
                for note in notifications(recovering, ticket["public_id"])
                for attempt in note["attempts"]
            ),
        )
        assert refused
    finally:
        restore()
    recovering.processes["profile"].wait_until("/ready", timeout=30)
    recovering.processes["auth"].wait_until("/ready", timeout=30)

    wait_for_status(recovering, user, ticket, "applied", timeout=30)

    # On Cloudinary's schedule (at 1/33 here: retries 5.4, 10.8 and 16.2 s apart) the retry that gets through may
    # come after reconciliation or the eager notification has applied the upload: wait for it.
    upload_note = wait_for(
        "the upload notification delivered by a retry",
        lambda: next(
            (
                n
                for n in notifications(recovering, ticket["public_id"])
                if n["notification_type"] == "upload" and n["status"] != "pending"
            ),
            None,
        ),
        timeout=45,
    )
    assert upload_note["status"] == "delivered"
    assert [a.get("status_code") for a in upload_note["attempts"]][-1] == 200
    assert profile(recovering, user)["avatar"]["public_id"] == ticket["public_id"]


def _reconnect(stack: Stack) -> Callable[[], None]:
    def restore() -> None:
        process = stack.processes["profile"]
        process.stop()
        process.env = {**process.env, "MONGODB_URI": stack.mongodb_uri}
        process.start()

    return restore


def test_orphan_sweep_reports_in_dry_run_then_destroys_unreferenced_assets(recovering: Stack) -> None:
    user = register(recovering)
    kept = sign(recovering, user)
    assert upload(kept, image_bytes()).status_code == 200
    wait_for_status(recovering, user, kept, "applied")
    orphan = f"profiles/{user.id}/left-behind"
    params = {"public_id": orphan, "timestamp": str(int(time.time()))}
    params["signature"] = cloudinary_signature(params, recovering.api_secret)
    manual = httpx.post(
        recovering.url("emulator", f"/v1_1/{CLOUD_NAME}/image/upload"),
        data={**params, "api_key": API_KEY},
        files={"file": ("o.png", image_bytes(), "image/png")},
        timeout=30,
    )
    assert manual.status_code == 200, manual.text
    env = {**os.environ, **recovering.environments()["profile"], "PROFILE_ORPHAN_MIN_AGE_SECONDS": "0"}

    dry = reconcile_cli(env, "--dry-run")
    assert orphan in dry["orphans"]["orphans"]
    assert kept["public_id"] not in dry["orphans"]["orphans"]
    assert exists(recovering, orphan)

    reconcile_cli(env, "--orphans")

    wait_for("the orphan to be destroyed by the service's outbox", lambda: not exists(recovering, orphan))
    assert exists(recovering, kept["public_id"])


def cloudinary_signature(params: dict[str, str], secret: str) -> str:
    to_sign = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return hashlib.sha1((to_sign + secret).encode()).hexdigest()  # noqa: S324 - Cloudinary's scheme


def reconcile_cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "profile_service.reconcile", *args],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    report: dict[str, Any] = json.loads(done.stdout)
    return report
