"""One upload's life as one connected trace: the signing request's span is stored on the intent, and the webhook's
apply and the outbox destroy of the picture it replaced start spans linked to it (in-memory exporter, the real
app over the MongoDB stand-in)."""

import time
from collections.abc import Iterator, Sequence

import pytest
from litestar.testing import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from profile_service.app import create_app
from profile_service.config import Settings
from profile_service.services import Services, build
from service_kit.tracing import Tracing
from tests.conftest import Client, TokenFactory, wait_until_ready
from tests.fakes import FakeAssets
from tests.integration.helpers import post_notification, sign_upload, upload_notification

BROWSER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def traced(settings: Settings) -> Iterator[tuple[Client, Services, InMemorySpanExporter, FakeAssets]]:
    tracing, exporter = Tracing.in_memory("profile-service")
    assets = FakeAssets()
    services = build(settings, assets=assets, tracing=tracing)
    with TestClient(create_app(services=services)) as client:
        wait_until_ready(client)
        yield client, services, exporter, assets


def _span_id(traceparent: str) -> int:
    return int(traceparent.split("-")[2], 16)


def _one(spans: Sequence[ReadableSpan], name: str, intent_id: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name and (s.attributes or {}).get("upload.intent_id") == intent_id]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


def _wait_for(condition: object, exporter: InMemorySpanExporter, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not callable(condition) or not condition():
        assert time.monotonic() < deadline, [s.name for s in exporter.get_finished_spans()]
        time.sleep(0.02)


def test_an_uploads_apply_and_the_destroy_it_causes_link_to_its_signing_request(
    traced: tuple[Client, Services, InMemorySpanExporter, FakeAssets], token: TokenFactory
) -> None:
    client, services, exporter, assets = traced
    bearer = token("u-trace")
    first = sign_upload(client, bearer)
    assert post_notification(client, upload_notification(first["public_id"])).status_code == 200
    # The browser's traceparent continues into the signing request's server span.
    client.headers["traceparent"] = f"00-{BROWSER_TRACE}-00f067aa0ba902b7-01"
    second = sign_upload(client, bearer)
    del client.headers["traceparent"]
    assert post_notification(client, upload_notification(second["public_id"], version=1700000001)).status_code == 200
    # The first picture was replaced: the outbox destroys it in the background.
    _wait_for(lambda: any(s.name == "outbox job" for s in exporter.get_finished_spans()), exporter)
    assert assets.destroyed == [first["public_id"]]

    spans = exporter.get_finished_spans()
    with client.portal() as portal:
        intent = portal.call(services.intents.get, second["upload_id"])
        job = portal.call(services.outbox.queue.get, f"destroy:{first['public_id']}")
    assert intent is not None and intent.traceparent is not None
    [sign] = [s for s in spans if s.context is not None and s.context.span_id == _span_id(intent.traceparent)]
    assert sign.kind is SpanKind.SERVER and "/profiles/me/avatar/uploads" in sign.name
    assert sign.context is not None and f"{sign.context.trace_id:032x}" == BROWSER_TRACE
    # The signing request's own MongoDB commands are its children (the intent's insert among them).
    children = [s for s in spans if s.parent is not None and s.parent.span_id == sign.context.span_id]
    assert any(s.kind is SpanKind.CLIENT and s.name == "insert upload_intents" for s in children)

    apply = _one(spans, "upload apply", second["upload_id"])
    assert [link.context.span_id for link in apply.links] == [sign.context.span_id]
    assert (apply.attributes or {})["upload.source"] == "webhook"
    assert (apply.attributes or {})["upload.status"] == "applied"
    # The apply runs inside the webhook's server span (a trace of its own, linked back to the signing one).
    [webhook] = [s for s in spans if apply.parent is not None and s.context.span_id == apply.parent.span_id]
    assert webhook.kind is SpanKind.SERVER and "/webhooks/cloudinary" in webhook.name

    destroy = _one(spans, "outbox job", first["upload_id"])
    assert [link.context.span_id for link in destroy.links] == [sign.context.span_id]
    assert (destroy.attributes or {})["cloudinary.public_id"] == first["public_id"]
    assert (destroy.attributes or {})["outbox.reason"] == "replaced"
    assert job is not None and job["traceparent"] == intent.traceparent


def test_without_tracing_nothing_is_stored_or_recorded(client: Client, token: TokenFactory) -> None:
    ticket = sign_upload(client, token("u-untraced"))
    services: Services = client.app.state.services
    with client.portal() as portal:
        intent = portal.call(services.intents.get, ticket["upload_id"])
    assert intent is not None and intent.traceparent is None
    assert not services.tracing.enabled
