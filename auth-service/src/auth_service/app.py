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
from auth_service.clients.controller import CLIENT_CREDENTIALS, ClientTokenController
from auth_service.clock import Clock, utc_now
from auth_service.config import Settings
from auth_service.db import mongo_lifespan, provide_db
from auth_service.errors import EXCEPTION_HANDLERS
from auth_service.health import HealthController
from auth_service.keys import JwksController, load_keys
from auth_service.logs import install_request_context, logging_config
from auth_service.mfa.controller import MfaController
from auth_service.mfa.totp import TotpCipher
from auth_service.passwords import Passwords
from auth_service.sessions.controller import SessionController
from auth_service.tokens import TokenService, provide_user_claims
from auth_service.users.controller import UserController
from auth_service.workers import workers_lifespan
from service_kit.openapi import SECURITY_SCHEMES, StrictRequest, allow_every_method, document_api

# Every body this service accepts is a few hundred bytes; anything near this is abuse (413).
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None, *, clock: Clock = utc_now) -> Litestar:
    """Build the app; settings come from the environment unless given, the clock is injectable for tests.

    Raises SettingsError when the signing keys are missing or unreadable: no tokens, no service.
    """
    settings = settings or Settings.from_env()
    keys = load_keys(settings)
    tokens = TokenService(keys, issuer=settings.issuer, ttl_seconds=settings.access_token_ttl_seconds, clock=clock)
    app = Litestar(
        route_handlers=[
            HealthController,
            JwksController,
            UserController,
            SessionController,
            ClientTokenController,
            AccountController,
            MfaController,
            ActivityController,
        ],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "current_user": Provide(provide_user_claims),
            "client_info": Provide(provide_client_info, sync_to_thread=False),
            "accounts": Provide(provide_accounts, sync_to_thread=False),
        },
        # Workers start after (and stop before) the Mongo client.
        lifespan=[mongo_lifespan, workers_lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=logging_config(settings.log_level),
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
        state=State(
            {
                "settings": settings,
                "clock": clock,
                "key_set": keys,
                "tokens": tokens,
                "passwords": Passwords.from_settings(settings),
                "totp_cipher": TotpCipher(settings.mfa_encryption_key) if settings.mfa_encryption_key else None,
            }
        ),
        debug=False,
    )
    document_api(
        app,
        database_paths_except=("/health", "/.well-known/jwks.json"),
        operation_ids={"GET /health": "getHealth", "GET /ready": "getReadiness"},
    )
    allow_every_method(app)
    return install_request_context(app)
