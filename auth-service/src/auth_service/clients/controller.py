"""`POST /auth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 4.4) for service-to-service calls.

Clients come from AUTH_SERVICE_CLIENTS (only the SHA-256 of each secret); secrets are random and long,
so a fast hash is enough, and it is compared in constant time. Errors are problem details that also
carry RFC 6749's `error` code.
"""

import base64
import hashlib
import hmac
import logging
from typing import Annotated

import msgspec
from litestar import Controller, Response, post
from litestar.datastructures import State
from litestar.openapi.spec import OAuthFlow, OAuthFlows, SecurityScheme
from litestar.params import FromHeader, URLEncodedBody

from auth_service.config import ServiceClient, Settings
from auth_service.tokens import ServiceToken, TokenService
from service_kit.errors import BadRequest, Unauthorized
from service_kit.openapi import problems

logger = logging.getLogger(__name__)

_DUMMY_SHA256 = "0" * 64
_Field = Annotated[str, msgspec.Meta(max_length=1000)]


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The form a client posts; credentials in the body or in HTTP Basic."""

    grant_type: _Field
    client_id: _Field | None = None
    client_secret: _Field | None = None
    scope: _Field | None = None


def _basic(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text (a latin-1 header) all are
        return None
    return client_id, secret


def authenticate(settings: Settings, client_id: str, secret: str) -> ServiceClient:
    """The configured client with this id and secret; Unauthorized (invalid_client) otherwise."""
    client = next((c for c in settings.service_clients if c.client_id == client_id), None)
    presented = hashlib.sha256(secret.encode()).hexdigest()
    # Compare even for an unknown id, so timing does not tell which client ids exist.
    matches = hmac.compare_digest(presented, client.secret_sha256 if client else _DUMMY_SHA256)
    if client is None or not matches:
        logger.info("client authentication failed", extra={"client_id": client_id[:100]})
        raise Unauthorized(
            "Client authentication failed.", headers={"WWW-Authenticate": "Basic"}, error="invalid_client"
        )
    return client


def granted_scopes(client: ServiceClient, requested: str | None) -> list[str]:
    """The requested scopes (all of the client's when none are asked for); invalid_scope beyond them."""
    if requested is None or not requested.strip():
        return list(client.scopes)
    wanted = requested.split()
    if not set(wanted) <= set(client.scopes):
        raise BadRequest("A requested scope is not allowed for this client.", error="invalid_scope")
    return wanted


# Declared so the OpenAPI document says what `/auth/token` is (RFC 6749 4.4); no route requires it, as the
# service tokens it mints are for profile-service's internal routes.
CLIENT_CREDENTIALS = {
    "clientCredentials": SecurityScheme(
        type="oauth2",
        description="Service tokens for other services (configured clients, `AUTH_SERVICE_CLIENTS`).",
        flows=OAuthFlows(client_credentials=OAuthFlow(token_url="/auth/token", scopes={})),  # noqa: S106 - a path
    )
}


class ClientTokenController(Controller):
    """Service tokens."""

    tags = ["service clients"]

    @post(
        "/auth/token",
        operation_id="issueServiceToken",
        status_code=200,
        responses=problems(
            {
                400: "the form does not match the schema, or `error: unsupported_grant_type | invalid_scope`.",
                401: "unknown client or wrong secret (`error: invalid_client`, `WWW-Authenticate: Basic`).",
            }
        ),
    )
    async def token(
        self, data: URLEncodedBody[TokenRequest], state: State, authorization: FromHeader[str | None] = None
    ) -> Response[ServiceToken]:
        """The OAuth 2.0 client-credentials grant: a service token for a configured client.

        The client authenticates with HTTP Basic or `client_id`/`client_secret` in the form.
        """
        if data.grant_type != "client_credentials":
            raise BadRequest("Only grant_type=client_credentials is supported.", error="unsupported_grant_type")
        client_id, secret = _basic(authorization) or (data.client_id or "", data.client_secret or "")
        client = authenticate(state.services.settings, client_id, secret)
        tokens: TokenService = state.services.tokens
        issued = tokens.issue_service(
            client_id=client.client_id, audience=client.audience, scopes=granted_scopes(client, data.scope)
        )
        return Response(issued, headers={"Cache-Control": "no-store"})
