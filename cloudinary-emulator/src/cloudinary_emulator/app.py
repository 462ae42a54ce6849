"""`create_app()`: the only place the emulator is wired together."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin

from cloudinary_emulator import __version__
from cloudinary_emulator.admin.controller import AdminController
from cloudinary_emulator.config import Settings
from cloudinary_emulator.context import Emulator
from cloudinary_emulator.control import ControlController
from cloudinary_emulator.cors import CloudinaryCorsMiddleware
from cloudinary_emulator.delivery.controller import DeliveryController
from cloudinary_emulator.errors import EXCEPTION_HANDLERS
from cloudinary_emulator.health import HealthController
from cloudinary_emulator.logs import install_request_context, logging_config
from cloudinary_emulator.uploads.controller import UploadController


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; settings come from the environment unless given (tests pass them)."""
    settings = settings or Settings.from_env()
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    emulator = Emulator(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await emulator.notifier.start()
        try:
            yield
        finally:
            await emulator.notifier.close()
            emulator.storage.close()

    app = Litestar(
        route_handlers=[HealthController, UploadController, AdminController, DeliveryController, ControlController],
        middleware=[CloudinaryCorsMiddleware()],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        logging_config=logging_config(settings.log_level),
        openapi_config=OpenAPIConfig(
            title="cloudinary-emulator", version=__version__, path="/schema", render_plugins=[ScalarRenderPlugin()]
        ),
        state=State({"settings": settings, "emulator": emulator}),
        debug=False,
    )
    return install_request_context(app)
