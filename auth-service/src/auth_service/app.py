"""`create_app()`: the only place the auth service is wired together."""

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components

from auth_service import __version__
from auth_service.account.controller import AccountController
from auth_service.account.service import provide_accounts
from auth_service.activity.controller import ActivityController
from auth_service.activity.schemas import provide_client_info
from auth_service.admin.controller import AdminUserController, AuditController
from auth_service.admin.guard import provide_admin
from auth_service.clients.controller import CLIENT_CREDENTIALS, ClientTokenController
from auth_service.config import Settings
from auth_service.keys import JwksController
from auth_service.mfa.controller import MfaController
from auth_service.passkeys.controller import PasskeyController
from auth_service.services import Services, build, metrics_registry, mongo_ready, running
from auth_service.sessions.controller import SessionController, SessionListController
from auth_service.sessions.schemas import document_reauthentication
from auth_service.stepup import provide_fresh_user_claims
from auth_service.tokens import provide_user_claims
from auth_service.users.controller import UserController
from service_kit.errors import EXCEPTION_HANDLERS
from service_kit.health import health_controller
from service_kit.logs import install_request_context, logging_config
from service_kit.metrics import metrics_controller
from service_kit.openapi import SECURITY_SCHEMES, StrictRequest, allow_every_method, document_api

# Every body this service accepts is a few hundred bytes; anything near this is abuse (413).
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Litestar:
    """The app over `services` (tests pass `build(settings, clock=...)`), else over the environment's settings.

    Raises SettingsError when the signing keys are missing or unreadable: no tokens, no service.
    """
    services = services or build(settings or Settings.from_env())
    app = Litestar(
        route_handlers=[
            health_controller(mongo_ready, "MongoDB is not answering."),
            metrics_controller(metrics_registry),
            JwksController,
            UserController,
            SessionController,
            SessionListController,
            ClientTokenController,
            AccountController,
            MfaController,
            ActivityController,
            PasskeyController,
            AdminUserController,
            AuditController,
        ],
        dependencies={
            "current_user": Provide(provide_user_claims),
            "fresh_user": Provide(provide_fresh_user_claims),
            "admin": Provide(provide_admin),
            "client_info": Provide(provide_client_info, sync_to_thread=False),
            "accounts": Provide(provide_accounts, sync_to_thread=False),
        },
        lifespan=[running(services)],
        plugins=services.tracing.plugins(),
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=logging_config(services.settings.log_level),
        openapi_config=OpenAPIConfig(
            title="auth-service",
            version=__version__,
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
            use_handler_docstrings=True,
            components=Components(security_schemes={**SECURITY_SCHEMES, **CLIENT_CREDENTIALS}),
        ),
        request_class=StrictRequest,
        request_max_body_size=MAX_BODY_BYTES,
        state=State({"services": services}),
        debug=False,
    )
    openapi = document_api(
        app,
        database_paths_except=("/health", "/.well-known/jwks.json"),
    )
    document_reauthentication(openapi)
    allow_every_method(app)
    return install_request_context(app)
