"""Notification deliveries are traced: a client span each, and the receiver gets its `traceparent`."""

import asyncio
import time

from opentelemetry.trace import SpanKind

from cloudinary_emulator.faults import Faults
from cloudinary_emulator.notifications import Notifier
from service_kit.tracing import Tracing
from tests.conftest import Receiver


async def test_a_delivery_is_a_client_span_whose_traceparent_reaches_the_receiver(receiver: Receiver) -> None:
    tracing, exporter = Tracing.in_memory("cloudinary-emulator")
    notifier = Notifier(
        secret="s", algorithm="sha1", retry_delays=(), time_scale=1.0, timeout=5.0, faults=Faults({}), tracing=tracing
    )
    await notifier.start()
    try:
        with tracing.tracer.start_as_current_span("upload") as upload:
            notifier.send(receiver.url + "/hook", {"notification_type": "upload", "public_id": "p"})
        deadline = time.monotonic() + 10
        # The span ends once the receiver's answer is in (after it recorded the request).
        while not any(s.name == "POST" for s in exporter.get_finished_spans()):
            assert time.monotonic() < deadline, "the notification never arrived"
            await asyncio.sleep(0.01)
    finally:
        await notifier.close()
    [post] = [s for s in exporter.get_finished_spans() if s.name == "POST"]
    assert post.kind is SpanKind.CLIENT and post.context is not None
    # A child of the upload request that caused it, and the receiver continues that trace.
    assert post.parent is not None and post.parent.span_id == upload.get_span_context().span_id
    sent = receiver.received[0].headers["traceparent"]
    assert sent.startswith(f"00-{post.context.trace_id:032x}-{post.context.span_id:016x}-")
