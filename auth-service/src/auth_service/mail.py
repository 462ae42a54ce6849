"""Account e-mail: messages are written to the outbox by request handlers and sent over SMTP by its worker."""

import logging
from email.message import EmailMessage
from urllib.parse import urlencode

import aiosmtplib
import msgspec

from auth_service.config import Settings
from auth_service.outbox import EMAIL, FORGET_PAYLOAD, OutboxJob, new_job
from service_kit.outbox import Finished, JobQueue

logger = logging.getLogger(__name__)


class Email(msgspec.Struct, kw_only=True):
    """A plain-text message to one recipient."""

    to: str
    subject: str
    text: str


class MailNotConfigured(Exception):
    """AUTH_SMTP_HOST is not set: the job waits (and retries) until it is."""


def web_link(settings: Settings, page: str, **query: str) -> str:
    """A link to a page of the web app, e.g. `/reset-password?token=...`."""
    return f"{settings.public_web_url.rstrip('/')}/{page.lstrip('/')}?{urlencode(query)}"


async def enqueue_email(outbox: JobQueue[OutboxJob], email: Email) -> None:
    """Write the message to the outbox; the worker sends it."""
    await outbox.enqueue(new_job(EMAIL, msgspec.to_builtins(email)))


class Mailer:
    """Sends outbox e-mail jobs over SMTP (aiosmtplib)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send_job(self, job: OutboxJob) -> Finished:
        """How an e-mail job is performed: raise to retry later; once sent, the job forgets the message."""
        await self.send(msgspec.convert(job.payload, Email))
        return FORGET_PAYLOAD

    async def send(self, email: Email) -> None:
        """Deliver one message."""
        settings = self._settings
        if settings.smtp_host is None:
            raise MailNotConfigured("AUTH_SMTP_HOST is not set")
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = email.to
        message["Subject"] = email.subject
        message.set_content(email.text)
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
        logger.info("mail sent", extra={"subject": email.subject})
