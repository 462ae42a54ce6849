"""Read-your-writes for a profile's owner across instances, while `GET /profiles/me` is served from a
per-instance cache (`profiles/cache.py`).

Right after a write of theirs, the owner's next read may reach another instance that cached their profile just
before the write, for up to the cache's ttl. So every successful write under `/profiles/me`, and every upload
status the browser polls (it reports what the webhook wrote), answers with a short-lived cookie holding the time;
while that time is younger than the ttl plus an allowance for clock skew between instances, `GET /profiles/me`
reads the database. It is the rule of Rails' `DatabaseSelector`, which sends a session's reads to the primary for
two seconds after it wrote, applied to a cache instead of a replica.

The cookie is no credential and holds nothing private: forging one only costs its sender a database read. It is
`Secure` when the request reached the service over https (uvicorn's proxy headers behind a TLS proxy).
"""

import math
import re

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service_kit.clock import Clock, to_ms

COOKIE = "profile_wrote"
PATH = "/profiles/me"
# How far the clocks of two instances may disagree (NTP keeps them within milliseconds).
CLOCK_SKEW_MS = 1000
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_UPLOAD_STATUS = re.compile(r"/profiles/me/avatar/uploads/[^/]+")


def wrote_recently(cookie: str | None, ttl_seconds: float, now: int) -> bool:
    """Whether the cookie says its sender wrote recently enough that a cached profile may predate the write."""
    # Anything but a plain epoch-milliseconds number is ignored (int() refuses "²" and numbers of 4,300+ digits).
    if not cookie or len(cookie) > 16 or not (cookie.isascii() and cookie.isdigit()):
        return False
    return now - int(cookie) < ttl_seconds * 1000 + CLOCK_SKEW_MS


def _reports_a_write(scope: Scope) -> bool:
    if scope["type"] != ScopeType.HTTP or not (scope["path"] == PATH or scope["path"].startswith(PATH + "/")):
        return False
    return scope["method"] in _WRITES or _UPLOAD_STATUS.fullmatch(scope["path"]) is not None


def mark_writes(app: ASGIApp, *, ttl_seconds: float, clock: Clock) -> ASGIApp:
    """ASGI middleware: successful answers that report a write of the owner's profile set the cookie."""
    max_age = math.ceil(ttl_seconds + CLOCK_SKEW_MS / 1000)

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if not _reports_a_write(scope):
            await app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                header = f"{COOKIE}={to_ms(clock())}; Path={PATH}; Max-Age={max_age}; HttpOnly; SameSite=Lax"
                if scope.get("scheme") == "https":
                    header += "; Secure"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", header.encode())]}
            await send(message)

        await app(scope, receive, send_marked)

    return middleware
