"""`create_app()`: the only place the profile service is wired together."""

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components

from profile_service import __version__
from profile_service.admin.controller import ModerationAdminController
from profile_service.auth import provide_caller, provide_optional_caller, provide_service_caller, provide_user_id
from profile_service.avatars.controller import AvatarController
from profile_service.avatars.webhook import CloudinaryWebhookController
from profile_service.config import Settings
from profile_service.feed.controller import InternalProfilesController, document_lookup
from profile_service.profiles.controller import InternalController, ProfileController
from profile_service.profiles.freshness import mark_writes
from profile_service.services import (
    Services,
    build,
    metrics_registry,
    mongo_ready,
    provide_account,
    provide_applier,
    provide_assets,
    provide_db,
    provide_deletion,
    provide_intents,
    provide_metrics,
    provide_moderation,
    provide_outbox,
    provide_profiles,
    provide_settings,
    refresh_metrics,
    running,
)
from service_kit.errors import EXCEPTION_HANDLERS
from service_kit.health import health_controller
from service_kit.logs import install_request_context, logging_config
from service_kit.metrics import metrics_controller
from service_kit.openapi import SECURITY_SCHEMES, StrictRequest, allow_every_method, document_api


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Litestar:
    """Build the app; settings come from the environment unless given, services from them unless given (tests)."""
    services = services or build(settings or Settings.from_env())
    settings = services.settings
    app = Litestar(
        route_handlers=[
            health_controller(mongo_ready, "MongoDB is not answering."),
            metrics_controller(metrics_registry, refresh_metrics),
            ProfileController,
            AvatarController,
            CloudinaryWebhookController,
            InternalController,
            InternalProfilesController,
            ModerationAdminController,
        ],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "metrics": Provide(provide_metrics, sync_to_thread=False),
            "account": Provide(provide_account, sync_to_thread=False),
            "assets": Provide(provide_assets, sync_to_thread=False),
            "caller": Provide(provide_caller),
            "optional_caller": Provide(provide_optional_caller),
            "service_caller": Provide(provide_service_caller),
            "user_id": Provide(provide_user_id),
            "profiles": Provide(provide_profiles, sync_to_thread=False),
            "intents": Provide(provide_intents, sync_to_thread=False),
            "outbox": Provide(provide_outbox, sync_to_thread=False),
            "applier": Provide(provide_applier, sync_to_thread=False),
            "deletion": Provide(provide_deletion, sync_to_thread=False),
            "moderation": Provide(provide_moderation, sync_to_thread=False),
        },
        lifespan=[running(services)],
        plugins=services.tracing.plugins(),
        middleware=[DefineMiddleware(mark_writes, ttl_seconds=settings.read_cache_seconds, clock=services.clock)],
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=logging_config(settings.log_level),
        openapi_config=OpenAPIConfig(
            title="profile-service",
            version=__version__,
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
            use_handler_docstrings=True,
            components=Components(security_schemes=SECURITY_SCHEMES),
        ),
        request_class=StrictRequest,
        state=State({"services": services}),
        debug=False,
    )
    document_lookup(document_api(app))
    allow_every_method(app)
    return install_request_context(app)
