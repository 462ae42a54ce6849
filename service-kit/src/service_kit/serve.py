"""Serving a service's app with uvicorn, the same way for every service."""

import sys
from collections.abc import Callable
from typing import Protocol

import uvicorn

from service_kit.settings import SettingsError
from service_kit.tracing import exporter_names


class Listens(Protocol):
    """Settings that say where to listen."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


def serve(name: str, app_factory: str, load_settings: Callable[[], Listens]) -> int:
    """Validate the settings with `load_settings`, then serve `app_factory` ("module:function") with uvicorn.

    Returns 2 with a one-line message on stderr when the configuration is wrong, so a misconfigured process
    exits at once instead of failing on its first request. Proxy headers are trusted because every deployment
    puts the services behind one reverse proxy; access logs are off because the request-context middleware
    logs each request once, with its id.
    """
    try:
        settings = load_settings()
        exporter_names()  # the OTEL_* variables the app reads when uvicorn builds it
    except SettingsError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        app_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )
    return 0
