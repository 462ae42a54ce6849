"""Durable side effects (e-mail, account deletion): what auth's outbox jobs carry, on service-kit's leased-job core.

The core (`service_kit.outbox`) claims, leases, retries with backoff, dead-letters and purges; this module says
which collections exist, what a job carries, and what a finished e-mail job forgets. How a kind is performed
lives with its domain: `Mailer.send_job` (mail.py) and `AccountDeleter` (account/deletion.py).
"""

import uuid
from typing import Any

from service_kit.mongo import Database
from service_kit.outbox import Finished, Job, create_job_indexes

EMAIL_OUTBOX = "email_outbox"
DELETION_OUTBOX = "account_deletions"
# The kinds of job, one per outbox.
EMAIL = "email"
DELETE_ACCOUNT = "delete_account"

# A sent message's body holds a single-use link: keep no copy of it once it is delivered.
FORGET_PAYLOAD = Finished(unset=("payload",))


class OutboxJob(Job, kw_only=True):
    """One side effect to perform; `payload` is the kind's own data."""

    kind: str
    payload: dict[str, Any] = {}


def new_job(kind: str, payload: dict[str, Any], *, job_id: str | None = None) -> OutboxJob:
    """A job to enqueue; with `job_id`, enqueueing twice is one job."""
    return OutboxJob(id=job_id or str(uuid.uuid4()), kind=kind, payload=payload)


def log_fields(job: OutboxJob) -> dict[str, Any]:
    """What the worker's log lines say about a job beside its id and attempt."""
    return {"kind": job.kind}


async def create_indexes(db: Database) -> None:
    """The core's indexes (due jobs, TTL purge) on both outboxes."""
    for name in (EMAIL_OUTBOX, DELETION_OUTBOX):
        await create_job_indexes(db[name])
