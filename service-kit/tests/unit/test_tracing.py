"""The tracing setup from the OTEL_* environment, and the instrumentation it hands out."""

import json
import logging
from pathlib import Path

import httpx
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from opentelemetry.trace import SpanKind

from service_kit.logs import JsonFormatter
from service_kit.tracing import Tracing, TracingError, current_traceparent

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_tracing_is_off_by_default_and_when_the_sdk_is_disabled(tmp_path: Path) -> None:
    assert not Tracing.from_env("svc", {}).enabled
    assert not Tracing.from_env("svc", {"OTEL_TRACES_EXPORTER": "none"}).enabled
    disabled = Tracing.from_env("svc", {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_FILE": str(tmp_path / "t.jsonl")})
    assert not disabled.enabled
    assert disabled.plugins() == [] and disabled.mongo_listeners() == []
    assert not (tmp_path / "t.jsonl").exists()


def test_an_unknown_exporter_is_refused_naming_the_variable() -> None:
    with pytest.raises(TracingError, match="OTEL_TRACES_EXPORTER 'jaeger'"):
        Tracing.from_env("svc", {"OTEL_TRACES_EXPORTER": "jaeger"})


def test_the_file_exporter_writes_one_json_span_per_line(tmp_path: Path) -> None:
    path = tmp_path / "data" / "traces.jsonl"
    tracing = Tracing.from_env("svc", {"OTEL_TRACES_FILE": str(path), "OTEL_SERVICE_NAME": "renamed"})
    assert tracing.enabled
    with tracing.tracer.start_as_current_span("one"), tracing.tracer.start_as_current_span("two"):
        pass
    tracing.shutdown()
    lines = path.read_text().splitlines()
    spans = [json.loads(line) for line in lines]
    assert [s["name"] for s in spans] == ["two", "one"]
    assert spans[0]["resource"]["attributes"]["service.name"] == "renamed"
    assert spans[0]["context"]["trace_id"] == spans[1]["context"]["trace_id"]


def test_the_console_exporter_prints_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    tracing = Tracing.from_env("svc", {"OTEL_TRACES_EXPORTER": "console"})
    with tracing.tracer.start_as_current_span("printed"):
        pass
    tracing.shutdown()
    assert json.loads(capsys.readouterr().out.splitlines()[0])["name"] == "printed"


def test_the_otlp_exporter_is_configured_from_the_standard_variables() -> None:
    tracing = Tracing.from_env("svc", {"OTEL_TRACES_EXPORTER": "otlp"})
    assert tracing.enabled
    tracing.shutdown()


def test_current_traceparent_names_the_current_span_and_none_outside_one() -> None:
    tracing, _ = Tracing.in_memory("svc")
    assert current_traceparent() is None
    with tracing.tracer.start_as_current_span("work") as span:
        context = span.get_span_context()
        assert (current_traceparent() or "").startswith(f"00-{context.trace_id:032x}-{context.span_id:016x}-")


def test_a_linked_span_links_to_the_stored_traceparent_and_drops_missing_attributes() -> None:
    tracing, exporter = Tracing.in_memory("svc")
    with tracing.linked_span("later", TRACEPARENT, {"upload.intent_id": "i1", "absent": None}):
        pass
    with tracing.linked_span("unlinked", "garbage", {}):
        pass
    later, unlinked = exporter.get_finished_spans()
    assert [f"{link.context.trace_id:032x}" for link in later.links] == ["0af7651916cd43dd8448eb211c80319c"]
    assert later.attributes == {"upload.intent_id": "i1"}
    assert later.context is not None and f"{later.context.trace_id:032x}" != "0af7651916cd43dd8448eb211c80319c"
    assert unlinked.links == ()


def test_linked_span_costs_nothing_when_off() -> None:
    tracing = Tracing.disabled()
    with tracing.linked_span("later", TRACEPARENT, {"upload.intent_id": "i1"}) as span:
        assert not span.is_recording()
    assert current_traceparent() is None


async def test_http_client_spans_carry_the_traceparent_to_the_server() -> None:
    tracing, exporter = Tracing.in_memory("svc")
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("traceparent"))
        return httpx.Response(503)

    client = tracing.http_client()
    # The traced transport wraps the real one; swap the inner transport for a mock server.
    client._transport._inner = httpx.MockTransport(answer)  # type: ignore[attr-defined]
    async with client:
        await client.get("https://user:secret@example.test/jwks?key=secret")
    (span,) = exporter.get_finished_spans()
    assert span.kind is SpanKind.CLIENT and span.name == "GET"
    assert span.attributes is not None and span.attributes["url.full"] == "https://example.test/jwks"
    assert span.attributes["http.response.status_code"] == 503
    assert span.context is not None
    (sent,) = seen
    assert sent is not None and sent.startswith(f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-")


async def test_the_plugin_makes_a_server_span_continuing_the_callers_trace() -> None:
    tracing, exporter = Tracing.in_memory("svc")

    @get("/ping")
    async def ping() -> dict[str, str | None]:
        return {"traceparent": current_traceparent()}

    @get("/health")
    async def health() -> None:
        return None

    app = Litestar([ping, health], plugins=tracing.plugins())
    async with AsyncTestClient(app) as client:
        answer = (await client.get("/ping", headers={"traceparent": TRACEPARENT})).json()
        # Probes are not traced.
        assert (await client.get("/health")).status_code == 200
    (span,) = exporter.get_finished_spans()
    assert span.kind is SpanKind.SERVER
    assert span.context is not None and f"{span.context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert answer["traceparent"].startswith(f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-")


def test_a_log_line_written_inside_a_traced_span_names_the_trace_and_span() -> None:
    tracing, _ = Tracing.in_memory("svc")
    formatter = JsonFormatter()
    record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "name": "t"})
    assert "trace_id" not in json.loads(formatter.format(record))
    with tracing.tracer.start_as_current_span("work") as span:
        line = json.loads(formatter.format(record))
    context = span.get_span_context()
    assert (line["trace_id"], line["span_id"]) == (f"{context.trace_id:032x}", f"{context.span_id:016x}")
