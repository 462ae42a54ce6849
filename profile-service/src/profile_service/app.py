"""`create_app()`: the only place the profile service is wired together."""

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin

from profile_service import __version__
from profile_service.config import Settings
from profile_service.db import mongo_lifespan, provide_db
from profile_service.errors import EXCEPTION_HANDLERS
from profile_service.health import HealthController
from profile_service.logs import RequestContextMiddleware, logging_config


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; settings come from the environment unless given (tests pass them)."""
    settings = settings or Settings.from_env()
    return Litestar(
        route_handlers=[HealthController],
        dependencies={"db": Provide(provide_db, sync_to_thread=False)},
        lifespan=[mongo_lifespan],
        middleware=[RequestContextMiddleware()],
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=logging_config(settings.log_level),
        openapi_config=OpenAPIConfig(
            title="profile-service", version=__version__, path="/schema", render_plugins=[ScalarRenderPlugin()]
        ),
        state=State({"settings": settings}),
        debug=False,
    )
