"""JSON log lines on the root logger, each carrying the id of the request it belongs to, and one access line per
request (the router's own 404s and 405s included)."""

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.logging.config import LoggingConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from opentelemetry import trace
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    NetworkTimeout,
    NotPrimaryError,
    ServerSelectionTimeoutError,
    WaitQueueTimeoutError,
    WTimeoutError,
)

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# A caller-supplied id is kept only if it is short and harmless in a log line.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Attributes every LogRecord has; anything else came in through `extra=` and is logged as a field.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# What service_kit.errors answers with 503 (and logs as one warning line): no traceback for an outage. Litestar matches
# `disable_stack_trace` by exact type, not isinstance, so every concrete class pymongo raises is listed.
DATABASE_OUTAGE: set[type[Exception]] = {
    ConnectionFailure,
    AutoReconnect,
    NetworkTimeout,
    NotPrimaryError,
    ServerSelectionTimeoutError,
    WaitQueueTimeoutError,
    ExecutionTimeout,
    WTimeoutError,
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, trace and span ids (while traced) and
    any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON."""
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (request_id := request_id_var.get()) is not None:
            line["request_id"] = request_id
        # While a span is being traced, the line names it, so a trace's spans lead to its log lines and back.
        if (span := trace.get_current_span().get_span_context()).is_valid:
            line["trace_id"] = f"{span.trace_id:032x}"
            line["span_id"] = f"{span.span_id:016x}"
        line.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


# Answers that are the client's business (or an outage with its own warning line), never worth a traceback.
QUIET_STATUSES = {400, 401, 403, 404, 405, 409, 410, 413, 429, 503}


def logging_config(level: str, *, quiet: Iterable[type[Exception]] = ()) -> LoggingConfig:
    """Litestar's logging config: JSON on stderr; 500s logged with tracebacks, client errors and outages not.

    Litestar skips its "Uncaught exception" record for an exception whose type, or whose `status_code`
    attribute, is in `disable_stack_trace`: errors that carry one of QUIET_STATUSES, and the exception types in
    `quiet` (matched exactly), are logged by whoever raised or answered them, as one line.
    """
    return LoggingConfig(
        formatters={"json": {"()": f"{__name__}.JsonFormatter"}},
        handlers={"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        root={"level": level.upper(), "handlers": ["console"]},
        # Litestar logs uncaught exceptions on its own "litestar" logger: send it to the JSON root handler too.
        loggers={"litestar": {"level": "INFO", "propagate": True}, "uvicorn.access": {"level": "WARNING"}},
        log_exceptions="always",
        disable_stack_trace={*QUIET_STATUSES, *DATABASE_OUTAGE, *quiet},
    )


class RequestContext:
    """Give every request an id (kept from `X-Request-ID` when sane), echo it, and log one access line.

    Installed around the whole app by `install_request_context`, outside Litestar's router: route middleware
    never sees the 404 and 405 the router answers for unknown paths and methods, and those need an id too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request; other scopes pass through."""
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        supplied = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if _ACCEPTABLE_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self._app(scope, receive, send_with_id)
        finally:
            logging.getLogger("access").info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={"status": status, "duration_ms": round((time.perf_counter() - started) * 1000, 2)},
            )
            request_id_var.reset(token)


def install_request_context(app: Litestar) -> Litestar:
    """Wrap the outermost handler `Litestar.__call__` runs for every request (after lifespan) in `RequestContext`.

    `asgi_handler` is not a documented hook, but it is the only layer outside the router: app-level middleware is
    applied per route, and `before_send` runs too late to put the request id on the handler's own log lines.
    `tests/unit/test_logs.py` fails if Litestar stops dispatching through it.
    """
    app.asgi_handler = RequestContext(app.asgi_handler)
    return app
