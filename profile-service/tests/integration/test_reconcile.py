"""Reconciliation of overdue uploads (parameters lapsed, no notification applied): what each ends as, against
the Mongo stand-in with Cloudinary's assets in a dict."""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from profile_service.app import create_app
from profile_service.avatars.cloudinary import Asset
from profile_service.config import Settings
from profile_service.reconcile import ReconcileReport
from profile_service.services import Services, build
from tests.conftest import Client, TokenFactory, auth, wait_until_ready
from tests.fakes import FakeAssets
from tests.integration.helpers import post_notification, sign_upload, upload_notification

TTL_SECONDS = 5


@dataclass
class Overdue:
    """The app with parameters that lapse after TTL_SECONDS, no grace, and a clock the test moves."""

    client: Client
    assets: FakeAssets
    now: list[float]

    @property
    def services(self) -> Services:
        built: Services = self.client.app.state.services
        return built

    def uploaded(self, ticket: dict[str, Any], *, notify: bool) -> None:
        """Cloudinary stores the upload; its notification arrives only if `notify`."""
        body = upload_notification(ticket["public_id"])
        keys = ("public_id", "version", "secure_url", "format", "bytes", "width", "height", "created_at")
        self.assets.assets[ticket["public_id"]] = Asset(**{k: body[k] for k in keys})
        if notify:
            assert post_notification(self.client, body).json()["intent_status"] == "applied"

    def reconcile_after_the_parameters_lapsed(self) -> ReconcileReport:
        self.now[0] += TTL_SECONDS + 1
        with self.client.portal() as portal:
            report: ReconcileReport = portal.call(self.services.reconciler.reconcile_overdue)
        return report

    def status(self, bearer: str, ticket: dict[str, Any]) -> str:
        return str(self.client.get(ticket["status_url"], headers=auth(bearer)).json()["status"])


@pytest.fixture
def overdue(settings: Settings) -> Iterator[Overdue]:
    quick = msgspec.structs.replace(settings, upload_ttl_seconds=TTL_SECONDS, upload_grace_seconds=0)
    now = [time.time()]
    assets = FakeAssets()
    services = build(quick, assets=assets, clock=lambda: datetime.fromtimestamp(now[0], UTC))
    with TestClient(create_app(services=services)) as client:
        wait_until_ready(client)
        yield Overdue(client, assets, now)


def test_an_upload_cloudinary_never_had_expires_even_with_newer_ones_signed(
    overdue: Overdue, token: TokenFactory
) -> None:
    bearer = token("u1", "alice")
    never, later = sign_upload(overdue.client, bearer), sign_upload(overdue.client, bearer)

    report = overdue.reconcile_after_the_parameters_lapsed()

    # Signing a newer upload decides nothing: only a newer picture on the profile does.
    assert report.outcomes == {"expired": 2}
    assert (overdue.status(bearer, never), overdue.status(bearer, later)) == ("expired", "expired")


def test_an_upload_shown_then_replaced_while_its_own_status_write_was_lost_ends_superseded(
    overdue: Overdue, token: TokenFactory
) -> None:
    bearer = token("u1", "alice")
    older, newer = sign_upload(overdue.client, bearer), sign_upload(overdue.client, bearer)
    overdue.uploaded(older, notify=True)
    # MongoDB went away between the profile write and the intent's: the profile shows it, the intent is pending
    # (and the notification's retries have not come back yet).
    with overdue.client.portal() as portal:
        portal.call(
            overdue.services.mongo.db["upload_intents"].update_one,
            {"_id": older["upload_id"]},
            {"$set": {"status": "pending"}},
        )
    overdue.uploaded(newer, notify=True)  # replaces it; the outbox destroys its asset
    overdue.assets.assets.pop(older["public_id"], None)

    report = overdue.reconcile_after_the_parameters_lapsed()

    assert report.outcomes == {"superseded": 1}
    assert (overdue.status(bearer, older), overdue.status(bearer, newer)) == ("superseded", "applied")
