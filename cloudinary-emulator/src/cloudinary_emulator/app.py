"""`create_app()`: the only place the emulator is wired together."""

from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin

from cloudinary_emulator import __version__
from cloudinary_emulator.config import Settings
from cloudinary_emulator.health import HealthController
from cloudinary_emulator.logs import RequestContextMiddleware, logging_config


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; settings come from the environment unless given (tests pass them)."""
    settings = settings or Settings.from_env()
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    return Litestar(
        route_handlers=[HealthController],
        middleware=[RequestContextMiddleware()],
        logging_config=logging_config(settings.log_level),
        openapi_config=OpenAPIConfig(
            title="cloudinary-emulator", version=__version__, path="/schema", render_plugins=[ScalarRenderPlugin()]
        ),
        state=State({"settings": settings}),
        debug=False,
    )
