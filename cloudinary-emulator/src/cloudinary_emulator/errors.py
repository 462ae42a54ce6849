"""Errors answered the way Cloudinary answers them: `{"error": {"message": ...}}` plus an `X-Cld-Error` header."""

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

logger = logging.getLogger(__name__)


class CloudinaryError(Exception):
    """An error with Cloudinary's status and exact message: an answer to the client, not a fault of ours."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> CloudinaryError:
    """400, Cloudinary's answer to invalid parameters and files."""
    return CloudinaryError(400, message)


def unauthorized(message: str) -> CloudinaryError:
    """401, Cloudinary's answer to bad credentials or signatures."""
    return CloudinaryError(401, message)


def not_found(message: str) -> CloudinaryError:
    """404, an unknown resource."""
    return CloudinaryError(404, message)


def error_response(status: int, message: str, *, body: bool = True) -> Response[Any]:
    """Cloudinary's error shape; delivery errors carry only the header, like res.cloudinary.com."""
    # Header values must be latin-1 and single-line; messages quote user input.
    header = message.replace("\r", " ").replace("\n", " ").encode("latin-1", "replace").decode("latin-1")
    content: Any = {"error": {"message": message}} if body else b""
    return Response(
        content,
        status_code=status,
        headers={"X-Cld-Error": header},
        media_type="application/json" if body else "text/plain",
    )


def _cloudinary_error(request: Request[Any, Any, Any], exc: CloudinaryError) -> Response[Any]:
    # One line with Cloudinary's message (app.py keeps Litestar from logging it again with a traceback): these are
    # answers, bad input or injected faults, not bugs. Tracebacks are for real 500s only.
    level = logging.INFO if exc.status in (400, 404) else logging.WARNING
    logger.log(level, "%s %s: %s", exc.status, request.url.path, exc.message, extra={"status": exc.status})
    return error_response(exc.status, exc.message, body=not _is_delivery(request))


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    message = {404: "Not found", 405: "Method not allowed", 413: "Request entity too large"}.get(
        exc.status_code, exc.detail
    )
    if exc.status_code in (404, 405) and request.url.path.startswith("/v1_1/"):
        # An Upload or Admin API route the emulator has no handler for: say so, rather than a bare "Not found"
        # that reads like a missing resource.
        message = f"{request.method} {request.url.path} is not supported by the emulator"
    return error_response(exc.status_code, message, body=not _is_delivery(request))


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # Litestar has already logged the traceback (log_exceptions="always"); never echo it to the client.
    return error_response(500, "General Error", body=not _is_delivery(request))


def _is_delivery(request: Request[Any, Any, Any]) -> bool:
    segments = request.url.path.split("/")
    return len(segments) > 2 and segments[2] == "image" and segments[1] not in ("v1_1", "_emulator")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    CloudinaryError: _cloudinary_error,
    HTTPException: _http_exception,
    Exception: _internal_error,
}
