"""OpenTelemetry tracing, set up once per process from the standard `OTEL_*` variables.

- `OTEL_SDK_DISABLED=true` turns everything off; so does the default `OTEL_TRACES_EXPORTER=none` without
  `OTEL_TRACES_FILE`. Off means a no-op tracer, no ASGI middleware, no PyMongo listener and plain httpx clients:
  the hot paths pay nothing but a few no-op calls.
- `OTEL_TRACES_EXPORTER`: `none` (the default here, unlike the SDK's `otlp`: nothing listens on a laptop),
  `console` (one JSON span per line on stdout), `otlp` (OTLP over HTTP; `OTEL_EXPORTER_OTLP_ENDPOINT` and the
  other standard `OTEL_EXPORTER_OTLP_*` variables are read by the exporter itself). A comma-separated list works.
- `OTEL_TRACES_FILE` (this project's): also append every span as one JSON line to that file (`make dev`).
- `OTEL_SERVICE_NAME` overrides the service's own name (and `OTEL_RESOURCE_ATTRIBUTES` adds attributes).

The provider is the process's own object, passed explicitly (not the SDK's global one): a test builds an app with
an in-memory exporter and reads exactly that app's spans. Context propagation is the API's, so the W3C
`traceparent` of the current span is the same wherever it is read.
"""

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import httpx
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from pymongo import monitoring

from service_kit.settings import SettingsError

logger = logging.getLogger(__name__)

EXPORTERS = ("none", "console", "otlp")
# Health probes and metric scrapes, every few seconds on every instance: traced, they would bury the requests.
UNTRACED_PATHS = ("^/health$", "^/ready$", "^/metrics$")
AttributeValue = str | bool | int | float


class TracingError(SettingsError):
    """The OTEL_* variables ask for something this setup cannot do; the message names the variable."""


def _json_line(span: ReadableSpan) -> str:
    line: str = span.to_json(indent=None)
    return line + "\n"


class JsonLinesFileExporter(ConsoleSpanExporter):
    """Appends each span as one JSON line to a file a person can read (`jq` it, or `tail -f`)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()
        super().__init__(out=self._file, formatter=_json_line)

    def export(self, spans: Sequence[ReadableSpan]) -> Any:
        """Write the batch (several processes may append to one file: one write per line keeps lines whole)."""
        with self._lock:
            return super().export(spans)

    def shutdown(self) -> None:
        """Close the file."""
        self._file.close()


def exporter_names(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The exporters `OTEL_TRACES_EXPORTER` names; TracingError for an unknown one (`serve()` checks this before
    uvicorn starts, so a typo stops the process with one line)."""
    names = [n.strip().lower() for n in environ.get("OTEL_TRACES_EXPORTER", "none").split(",") if n.strip()]
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown:
        raise TracingError(f"invalid configuration: OTEL_TRACES_EXPORTER {unknown[0]!r} is none of {EXPORTERS}")
    return names


def _exporters(environ: Mapping[str, str]) -> list[tuple[SpanExporter, bool]]:
    """Each exporter the environment asks for, and whether it exports in batches (everything but the console)."""
    names = exporter_names(environ)
    exporters: list[tuple[SpanExporter, bool]] = []
    if "console" in names:
        exporters.append((ConsoleSpanExporter(out=sys.stdout, formatter=_json_line), False))
    if "otlp" in names:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append((OTLPSpanExporter(), True))
    if path := environ.get("OTEL_TRACES_FILE", "").strip():
        exporters.append((JsonLinesFileExporter(Path(path)), True))
    return exporters


class Tracing:
    """The process's tracer (a no-op one when off) and the instrumentation built on it."""

    def __init__(self, provider: TracerProvider | None) -> None:
        self.provider = provider
        self.enabled = provider is not None
        self.tracer: trace.Tracer = trace.NoOpTracer() if provider is None else provider.get_tracer("service_kit")

    @classmethod
    def disabled(cls) -> "Tracing":
        """No tracing at all."""
        return cls(None)

    @classmethod
    def from_env(cls, service_name: str, environ: Mapping[str, str] = os.environ) -> "Tracing":
        """The setup the OTEL_* variables describe (see the module docstring); off unless something exports."""
        if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            return cls.disabled()
        exporters = _exporters(environ)
        if not exporters:
            return cls.disabled()
        provider = _provider(service_name, environ)
        for exporter, batched in exporters:
            provider.add_span_processor(BatchSpanProcessor(exporter) if batched else SimpleSpanProcessor(exporter))
        return cls(provider)

    @classmethod
    def in_memory(cls, service_name: str) -> tuple["Tracing", InMemorySpanExporter]:
        """Tracing into memory, span by span as each ends (tests read `exporter.get_finished_spans()`)."""
        exporter = InMemorySpanExporter()
        provider = _provider(service_name, {})
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return cls(provider), exporter

    def shutdown(self) -> None:
        """Flush and stop the exporters (the end of the app's lifespan)."""
        if self.provider is not None:
            self.provider.shutdown()

    def plugins(self) -> list[OpenTelemetryPlugin]:
        """Litestar's OpenTelemetry plugin (one server span per request, W3C context taken from the request's
        `traceparent`), or nothing when off. Only the server span: ASGI send/receive spans are noise here, and so
        are the probes' and scrapers' requests (`UNTRACED_PATHS`)."""
        if self.provider is None:
            return []
        config = OpenTelemetryConfig(
            tracer_provider=self.provider, exclude_spans=["receive", "send"], exclude=list(UNTRACED_PATHS)
        )
        return [OpenTelemetryPlugin(config)]

    def mongo_listeners(self) -> list[monitoring.CommandListener]:
        """Event listeners for the MongoDB client: one client span per command, or none when off."""
        return [] if self.provider is None else [MongoCommandSpans(self.tracer)]

    def http_client(self, **options: Any) -> httpx.AsyncClient:
        """An httpx client whose requests are client spans carrying `traceparent`, or a plain one when off."""
        if self.provider is None:
            return httpx.AsyncClient(**options)
        return httpx.AsyncClient(transport=TracedTransport(self.tracer, httpx.AsyncHTTPTransport()), **options)

    @contextlib.contextmanager
    def linked_span(
        self, name: str, traceparent: str | None, attributes: Mapping[str, AttributeValue | None] | None = None
    ) -> Iterator[Span]:
        """A span (child of the current one, if any) that links to the span `traceparent` names: work done later
        for something a request started (an upload's apply links to its signing request)."""
        links = []
        if traceparent and self.provider is not None:
            context = trace.get_current_span(extract({"traceparent": traceparent})).get_span_context()
            if context.is_valid:
                links.append(Link(context))
        values = {k: v for k, v in (attributes or {}).items() if v is not None}
        with self.tracer.start_as_current_span(name, links=links, attributes=values) as span:
            yield span


def _provider(service_name: str, environ: Mapping[str, str]) -> TracerProvider:
    name = environ.get("OTEL_SERVICE_NAME", "").strip() or service_name
    # Resource.create also reads OTEL_RESOURCE_ATTRIBUTES from the process environment.
    return TracerProvider(resource=Resource.create({"service.name": name}))


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, or None when nothing is being traced (stored on records so
    later work can link back to the request that caused it)."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent")


class TracedTransport(httpx.AsyncBaseTransport):
    """Wraps a transport: each request is a client span, and carries its `traceparent` to the server."""

    def __init__(self, tracer: trace.Tracer, inner: httpx.AsyncBaseTransport) -> None:
        self._tracer = tracer
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` inside a span named by its method (the URL without its query: it may hold secrets)."""
        url = request.url
        attributes: dict[str, AttributeValue] = {
            "http.request.method": request.method,
            "url.full": str(url.copy_with(query=None, fragment=None, username=None, password=None)),
            "server.address": url.host,
        }
        with self._tracer.start_as_current_span(request.method, kind=SpanKind.CLIENT, attributes=attributes) as span:
            inject(request.headers)
            response = await self._inner.handle_async_request(request)
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


class MongoCommandSpans(monitoring.CommandListener):
    """A client span per MongoDB command, from PyMongo's command monitoring.

    Written here rather than taken from opentelemetry-instrumentation-pymongo: that package patches the global
    listener list for every client, and we want it per client and only when tracing is on. The events of one
    command come in the task that runs it, so the span is a child of the caller's span.
    """

    # A command whose end event never comes (its task was cancelled mid-flight) must not leak its span forever.
    MAX_OPEN = 10_000

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer
        self._open: dict[tuple[object, int], Span] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        """Open the command's span."""
        collection = event.command.get(event.command_name)
        target = collection if isinstance(collection, str) else event.database_name
        if len(self._open) >= self.MAX_OPEN:
            self._open.clear()
        self._open[(event.connection_id, event.request_id)] = self._tracer.start_span(
            f"{event.command_name} {target}",
            kind=SpanKind.CLIENT,
            attributes={
                "db.system.name": "mongodb",
                "db.namespace": event.database_name,
                "db.operation.name": event.command_name,
                "db.collection.name": target,
            },
        )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """End the command's span."""
        if (span := self._open.pop((event.connection_id, event.request_id), None)) is not None:
            span.end()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """End the command's span as an error, with the server's error code."""
        if (span := self._open.pop((event.connection_id, event.request_id), None)) is not None:
            code = event.failure.get("code") if isinstance(event.failure, Mapping) else None
            span.set_status(Status(StatusCode.ERROR, str(event.failure.get("errmsg", ""))[:200]))
            if isinstance(code, int):
                span.set_attribute("db.response.status_code", str(code))
            span.end()
