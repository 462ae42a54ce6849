"""The one error format: RFC 9457 problem details for every error response, 4xx and 5xx alike (`openapi.py`
documents it)."""

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from pymongo.errors import ConnectionFailure, PyMongoError

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# Problem `type`s clients act on (RFC 9457 3.1.1) are URNs under this prefix, listed in the README's
# "Problem types"; every other problem is `about:blank`. A URN, not a URL: there is no page to dereference.
PROBLEM_TYPE_BASE = "urn:profile-pictures:problem:"


def problem_type(name: str) -> str:
    """The `type` URI of a problem a client recognises by name (e.g. `step-up-required`)."""
    return PROBLEM_TYPE_BASE + name


class AppError(Exception):
    """A domain error with the HTTP status it maps to."""

    status_code: int = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class BadRequest(AppError):
    """The request is well-formed JSON but makes no sense."""

    status_code = HTTPStatus.BAD_REQUEST


class Unauthorized(AppError):
    """No valid credentials."""

    status_code = HTTPStatus.UNAUTHORIZED


class Forbidden(AppError):
    """Valid credentials that do not allow this."""

    status_code = HTTPStatus.FORBIDDEN


class NotFound(AppError):
    """The resource does not exist (or is not visible to the caller)."""

    status_code = HTTPStatus.NOT_FOUND


class Conflict(AppError):
    """The request conflicts with stored state (a duplicate, say)."""

    status_code = HTTPStatus.CONFLICT


class Gone(AppError):
    """The thing existed but can no longer be used (a used or expired link)."""

    status_code = HTTPStatus.GONE


class TooManyRequests(AppError):
    """Throttled; `Retry-After` says when to try again."""

    status_code = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(
        self, detail: str, *, retry_after: int | None = None, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        """`retry_after` (whole seconds, at least 1) becomes the `Retry-After` header."""
        if retry_after is not None:
            # A client told "0" retries at once and is refused again: never promise less than a second.
            headers = {**(headers or {}), "Retry-After": str(max(1, retry_after))}
        super().__init__(detail, headers=headers, **extra)


class ServiceUnavailable(AppError):
    """A dependency (the database) is not answering; the client may retry."""

    status_code = HTTPStatus.SERVICE_UNAVAILABLE


def problem(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """A problem-details response; `extra` members (such as `errors`) are added beside the standard ones."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _app_error(request: Request[Any, Any, Any], exc: AppError) -> Response[dict[str, Any]]:
    return problem(request, exc.status_code, exc.detail, headers=exc.headers, **exc.extra)


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        extra["errors"] = exc.extra
    elif isinstance(exc.extra, dict):
        extra.update(exc.extra)
    return problem(request, exc.status_code, exc.detail, headers=exc.headers, **extra)


def _database_error(request: Request[Any, Any, Any], exc: PyMongoError) -> Response[dict[str, Any]]:
    if isinstance(exc, ConnectionFailure) or exc.timeout:
        logger.warning("database unavailable: %s", type(exc).__name__)
        return problem(
            request,
            HTTPStatus.SERVICE_UNAVAILABLE,
            "The database is not answering; try again shortly.",
            headers={"Retry-After": "1"},
        )
    return _internal_error(request, exc)


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # Litestar has already logged the traceback (log_exceptions="always"); never echo it to the client.
    return problem(request, HTTPStatus.INTERNAL_SERVER_ERROR, "An unexpected error occurred.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    AppError: _app_error,
    HTTPException: _http_exception,
    PyMongoError: _database_error,
    Exception: _internal_error,
}
