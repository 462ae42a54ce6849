"""A development SMTP sink: catches every message, keeps it as a file, and shows what it caught.

`make dev` runs it as the `mail` process: SMTP on 127.0.0.1:`MAIL_PORT` (8025), each message stored as
`.eml` under `<data dir>/mail/`, one log line per message (subject, recipient, links), and a page of the
caught messages on `MAIL_WEB_PORT` (8026): `/` (HTML) and `/messages.json` (oldest first), which e2e and
browser tests read to follow a password-reset or e-mail-change link. Nothing is ever relayed.
"""

import argparse
import html
import json
import logging
import os
import re
import threading
import time
import uuid
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

logger = logging.getLogger("mailsink")

_LINK = re.compile(r"https?://[^\s<>\"']+")


def parse_message(path: Path) -> dict[str, Any]:
    """One stored message as the JSON the page serves."""
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)  # noqa: S101 -- policy.default always builds EmailMessage
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content().replace("\r\n", "\n") if body is not None else ""
    return {
        "id": path.stem,
        "received_at": message.get("X-Received-At", ""),
        "from": message.get("From", ""),
        "to": [a.strip() for a in message.get("X-Envelope-To", message.get("To", "")).split(",") if a.strip()],
        "subject": message.get("Subject", ""),
        "text": text,
        "links": _LINK.findall(text),
    }


class _Handler:
    """aiosmtpd handler: store the message, log one line."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        received = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        headers = f"X-Received-At: {received}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        with self._lock:
            name = f"{time.time_ns()}-{uuid.uuid4().hex[:6]}.eml"
            path = self._folder / name
            path.write_bytes(headers + content)
        caught = parse_message(path)
        logger.info(
            "mail to %s: %s%s",
            ", ".join(caught["to"]),
            caught["subject"],
            "".join(f"  {link}" for link in caught["links"]),
        )
        return "250 Message accepted for delivery"


def _page(messages: list[dict[str, Any]]) -> str:
    rows = "".join(
        "<article><h2>{subject}</h2><p><small>{received} · to {to} · from {sender}</small></p>"
        "<pre>{text}</pre>{links}</article>".format(
            subject=html.escape(m["subject"]),
            received=html.escape(m["received_at"]),
            to=html.escape(", ".join(m["to"])),
            sender=html.escape(m["from"]),
            text=html.escape(m["text"]),
            links="".join(f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>' for link in m["links"]),
        )
        for m in reversed(messages)
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dev mail</title>'
        "<style>body{font-family:system-ui;max-width:50rem;margin:2rem auto}article{border-top:1px solid #ccc}"
        "pre{white-space:pre-wrap}</style></head><body><h1>Caught mail</h1>"
        f"{rows or '<p>No mail yet.</p>'}</body></html>"
    )


class MailSink:
    """The SMTP listener and the web page, both on 127.0.0.1; `start()`/`stop()` for in-process use."""

    def __init__(self, folder: Path, *, smtp_port: int = 8025, web_port: int = 8026, host: str = "127.0.0.1") -> None:
        self.folder = folder
        self.host = host
        self.smtp_port = smtp_port
        self.web_port = web_port
        self._smtp: Controller | None = None
        self._web: ThreadingHTTPServer | None = None

    def messages(self) -> list[dict[str, Any]]:
        """Every caught message, oldest first."""
        return [parse_message(p) for p in sorted(self.folder.glob("*.eml"))]

    def start(self) -> "MailSink":
        """Listen for SMTP and HTTP (in threads)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._smtp = Controller(_Handler(self.folder), hostname=self.host, port=self.smtp_port)
        self._smtp.start()
        sink = self

        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] == "/messages.json":
                    body, kind = json.dumps(sink.messages()).encode(), "application/json"
                elif self.path.split("?")[0] == "/":
                    body, kind = _page(sink.messages()).encode(), "text/html; charset=utf-8"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._web = ThreadingHTTPServer((self.host, self.web_port), Page)
        self.web_port = self._web.server_address[1]
        threading.Thread(target=self._web.serve_forever, name="mailsink-web", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop both listeners."""
        if self._web is not None:
            self._web.shutdown()
            self._web.server_close()
            self._web = None
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None


def main() -> int:
    """`python -m devstack.mailsink`: run until interrupted."""
    parser = argparse.ArgumentParser(prog="devstack.mailsink")
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("DEVSTACK_DATA_DIR", ".data")) / "mail")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # aiosmtpd logs every connection step at INFO; one line per message (ours) is enough.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    smtp_port = int(os.environ.get("MAIL_PORT", "8025"))
    web_port = int(os.environ.get("MAIL_WEB_PORT", str(smtp_port + 1)))
    sink = MailSink(args.dir, smtp_port=smtp_port, web_port=web_port).start()
    logger.info("mail sink: SMTP on 127.0.0.1:%d, caught mail on http://127.0.0.1:%d/", smtp_port, web_port)
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
