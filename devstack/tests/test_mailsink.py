import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from devstack.mailsink import MailSink
from devstack.mongo import free_port


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    running = MailSink(tmp_path / "mail", smtp_port=free_port(), web_port=free_port()).start()
    try:
        yield running
    finally:
        running.stop()


def _send(sink: MailSink, to: str, subject: str, text: str) -> None:
    message = EmailMessage()
    message["From"] = "no-reply@localhost"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    with smtplib.SMTP(sink.host, sink.smtp_port, timeout=5) as smtp:
        smtp.send_message(message)


def test_a_caught_message_is_stored_listed_as_json_and_its_link_found(
    sink: MailSink, caplog: pytest.LogCaptureFixture
) -> None:
    link = "http://localhost:8080/reset-password?token=abc_DEF-123"
    with caplog.at_level("INFO", logger="mailsink"):
        _send(sink, "alice@example.com", "Reset your password", f"Choose a new password:\n\n{link}\n")

    messages = httpx.get(f"http://127.0.0.1:{sink.web_port}/messages.json").json()

    assert len(messages) == 1
    assert messages[0]["to"] == ["alice@example.com"]
    assert messages[0]["subject"] == "Reset your password"
    assert messages[0]["links"] == [link]
    assert len(list(sink.folder.glob("*.eml"))) == 1
    assert any("alice@example.com" in r.message and link in r.message for r in caplog.records)


def test_the_page_shows_messages_newest_first_and_escapes_them(sink: MailSink) -> None:
    _send(sink, "a@example.com", "first <b>", "one")
    _send(sink, "b@example.com", "second", "two")

    page = httpx.get(f"http://127.0.0.1:{sink.web_port}/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.index("second") < page.text.index("first &lt;b&gt;")
    assert httpx.get(f"http://127.0.0.1:{sink.web_port}/nope").status_code == 404


def test_messages_survive_a_restart_of_the_sink(sink: MailSink) -> None:
    _send(sink, "a@example.com", "kept", "text")
    sink.stop()

    again = MailSink(sink.folder, smtp_port=free_port(), web_port=free_port()).start()
    try:
        assert [m["subject"] for m in again.messages()] == ["kept"]
    finally:
        again.stop()
