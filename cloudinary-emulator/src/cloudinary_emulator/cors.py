"""CORS the way api.cloudinary.com does it: echo the Origin, allow the requested headers except Authorization.

Raw ASGI so preflights are answered before routing (Litestar would otherwise answer OPTIONS itself).
"""

from typing import cast

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    Scope,
    Send,
)

ALLOW_METHODS = b"GET, POST, PUT, DELETE, OPTIONS"
MAX_AGE = b"1728000"
EXPOSE_HEADERS = b"X-Cld-Error, ETag"


class CloudinaryCorsMiddleware(ASGIMiddleware):
    """Cross-origin access to the Upload, Admin and delivery paths (not to /_emulator)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Answer preflights; add Access-Control-* headers to responses of cross-origin requests."""
        http_scope = cast("HTTPScope", scope)
        headers = dict(http_scope["headers"])
        origin = headers.get(b"origin")
        if origin is None or http_scope["path"].startswith("/_emulator"):
            await next_app(scope, receive, send)
            return
        if http_scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            requested = headers.get(b"access-control-request-headers", b"").decode("latin-1")
            # Browsers cannot send Basic auth cross-origin to Cloudinary: it is never allowed in a preflight.
            allowed = ", ".join(
                name.strip()
                for name in requested.split(",")
                if name.strip() and name.strip().lower() != "authorization"
            )
            response_headers = [
                (b"access-control-allow-origin", origin),
                (b"access-control-allow-methods", ALLOW_METHODS),
                (b"access-control-max-age", MAX_AGE),
                (b"vary", b"Origin"),
                (b"content-length", b"0"),
            ]
            if allowed:
                response_headers.append((b"access-control-allow-headers", allowed.encode("latin-1")))
            start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 200, "headers": response_headers}
            await send(start)
            body: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(body)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", origin),
                    (b"access-control-expose-headers", EXPOSE_HEADERS),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await next_app(scope, receive, send_with_cors)
