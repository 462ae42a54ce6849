"""Account e-mail through the outbox to a real SMTP server (aiosmtpd, via devstack's dev mail sink)."""

import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from auth_service.config import Settings
from devstack.mailsink import MailSink
from devstack.mongo import free_port
from tests.conftest import FakeClock, drain, register, running, stored, wait_until_ready


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    running_sink = MailSink(tmp_path / "mail", smtp_port=free_port(), web_port=free_port()).start()
    try:
        yield running_sink
    finally:
        running_sink.stop()


def _with_smtp(settings: Settings, port: int, **overrides: object) -> Settings:
    return msgspec.structs.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, mail_from="no-reply@auth.test", **overrides
    )


def test_a_reset_link_is_delivered_over_smtp_and_then_forgotten(
    settings: Settings, clock: FakeClock, sink: MailSink
) -> None:
    with running(_with_smtp(settings, sink.smtp_port), clock) as client:
        wait_until_ready(client)
        register(client)
        client.post("/auth/password-reset", json={"email": "alice@example.com"})

        sent = drain(client)
        job = stored(client, "email_outbox")[0]

    [message] = sink.messages()
    assert sent == 1
    assert message["to"] == ["alice@example.com"]
    assert message["from"] == "no-reply@auth.test"
    assert message["subject"] == "Reset your password"
    assert message["links"][0].startswith("http://localhost:8080/reset-password?token=")
    assert job["status"] == "done"
    assert "payload" not in job


def test_the_lifespan_worker_sends_without_being_asked(settings: Settings, clock: FakeClock, sink: MailSink) -> None:
    with running(_with_smtp(settings, sink.smtp_port, outbox_worker=True, outbox_poll_seconds=0.2), clock) as client:
        wait_until_ready(client)
        register(client)
        client.post("/auth/password-reset", json={"email": "alice@example.com"})
        deadline = time.monotonic() + 10
        while not sink.messages() and time.monotonic() < deadline:
            time.sleep(0.05)

    assert [m["subject"] for m in sink.messages()] == ["Reset your password"]


def test_undeliverable_mail_is_retried_with_backoff_then_dead_lettered(settings: Settings, clock: FakeClock) -> None:
    nobody_listens = free_port()
    with running(_with_smtp(settings, nobody_listens, outbox_max_attempts=3, smtp_timeout_seconds=2), clock) as client:
        wait_until_ready(client)
        register(client)
        client.post("/auth/password-reset", json={"email": "alice@example.com"})

        attempts = []
        for delay in (0, 5, 10):
            clock.advance(delay)
            drain(client)
            job = stored(client, "email_outbox")[0]
            attempts.append((job["attempts"], job["status"]))

    assert attempts == [(1, "pending"), (2, "pending"), (3, "dead")]
    assert job["last_error"]
