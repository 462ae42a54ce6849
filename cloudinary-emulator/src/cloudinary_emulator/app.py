"""`create_app()`: the only place the emulator is wired together."""

import os
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
from cloudinary_emulator.errors import EXCEPTION_HANDLERS, CloudinaryError
from cloudinary_emulator.tagging import TaggingController
from cloudinary_emulator.uploads.controller import UploadController
from service_kit.health import health_controller
from service_kit.logs import install_request_context, logging_config


async def data_dir_writable(state: State) -> bool:
    """Readiness: the data directory exists and is writable."""
    return os.access(state.settings.data_dir, os.W_OK)


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
            emulator.tracing.shutdown()

    app = Litestar(
        route_handlers=[
            health_controller(data_dir_writable, "The data directory is not writable."),
            UploadController,
            TaggingController,
            AdminController,
            DeliveryController,
            ControlController,
        ],
        middleware=[CloudinaryCorsMiddleware()],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        plugins=emulator.tracing.plugins(),
        logging_config=logging_config(settings.log_level, quiet={CloudinaryError}),
        openapi_config=OpenAPIConfig(
            title="cloudinary-emulator", version=__version__, path="/schema", render_plugins=[ScalarRenderPlugin()]
        ),
        state=State({"settings": settings, "emulator": emulator}),
        debug=False,
    )
    return install_request_context(app)
