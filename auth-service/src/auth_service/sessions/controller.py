"""`/auth/login`, `/auth/refresh`, `/auth/logout`: the refresh token travels only in an HttpOnly cookie."""

from litestar import Controller, Response, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency, Provide
from litestar.params import FromCookie, JSONBody

from auth_service.activity.schemas import ClientInfo
from auth_service.config import Settings
from auth_service.mfa.schemas import MfaLogin, MfaRequired
from auth_service.sessions.schemas import IssuedSession
from auth_service.sessions.service import SessionService
from auth_service.tokens import AccessToken
from auth_service.users.schemas import Credentials
from service_kit.clock import Clock
from service_kit.openapi import problems

COOKIE = "refresh_token"
# Sent only to /auth/refresh and /auth/logout, never to profile-service or the web app's own routes.
COOKIE_PATH = "/auth"
NO_STORE = {"Cache-Control": "no-store"}


def provide_sessions(state: State) -> SessionService:
    """The session service, once the database is ready."""
    sessions: SessionService = state.services.ready().sessions
    return sessions


def _cookie(state: State, value: str, max_age: int) -> Cookie:
    settings: Settings = state.services.settings
    return Cookie(
        key=COOKIE,
        value=value,
        path=COOKIE_PATH,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
    )


def _with_cookie(state: State, issued: IssuedSession) -> Response[AccessToken]:
    clock: Clock = state.services.clock
    max_age = int((issued.refresh_expires_at - clock()).total_seconds())
    return Response(issued.access, headers=NO_STORE, cookies=[_cookie(state, issued.refresh_token, max_age)])


class SessionController(Controller):
    """Sign-in sessions."""

    path = "/auth"
    tags = ["sessions"]
    dependencies = {"sessions": Provide(provide_sessions, sync_to_thread=False)}

    @post(
        "/login",
        operation_id="login",
        status_code=200,
        responses=problems(
            {
                400: "the body does not match the schema.",
                401: "wrong login or password (the same answer for unknown users).",
                403: "the account is being deleted.",
                429: "too many failed sign-ins for this login or from this client; `Retry-After` says when.",
            }
        ),
    )
    async def login(
        self,
        data: JSONBody[Credentials],
        state: State,
        client_info: NamedDependency[ClientInfo],
        sessions: NamedDependency[SessionService],
    ) -> Response[AccessToken | MfaRequired]:
        """Sign in with an e-mail address or username and the password.

        Answers an access token and sets the HttpOnly refresh cookie, or, when two-factor sign-in is on, an
        `mfa_token` to finish with `/auth/login/mfa` (no cookie yet).
        """
        outcome = await sessions.login(data, client_info)
        if isinstance(outcome, MfaRequired):
            return Response(outcome, headers=NO_STORE)
        return _with_cookie(state, outcome)  # type: ignore[return-value]

    @post(
        "/login/mfa",
        operation_id="loginMfa",
        status_code=200,
        responses=problems(
            {
                400: "the body does not match the schema.",
                401: "the code is wrong or used, or the challenge is unknown, expired or out of tries.",
                403: "the account is being deleted.",
                429: "too many wrong codes; `Retry-After` says when to try again.",
            }
        ),
    )
    async def login_mfa(
        self,
        data: JSONBody[MfaLogin],
        state: State,
        client_info: NamedDependency[ClientInfo],
        sessions: NamedDependency[SessionService],
    ) -> Response[AccessToken]:
        """Finish a two-factor sign-in: the `mfa_token` from `/auth/login` and a TOTP or recovery code."""
        return _with_cookie(state, await sessions.login_mfa(data.mfa_token, data.code, client_info))

    @post(
        "/refresh",
        operation_id="refreshSession",
        status_code=200,
        responses=problems({401: "no refresh cookie, or it is unknown, expired, rotated or revoked."}),
    )
    async def refresh(
        self, state: State, sessions: NamedDependency[SessionService], refresh_token: FromCookie[str | None] = None
    ) -> Response[AccessToken]:
        """A new access token for the refresh cookie, which is rotated (the old one stops working)."""
        return _with_cookie(state, await sessions.refresh(refresh_token))

    @post("/logout", operation_id="logout", status_code=204)
    async def logout(
        self, state: State, sessions: NamedDependency[SessionService], refresh_token: FromCookie[str | None] = None
    ) -> Response[None]:
        """End the session of the refresh cookie (if any) and clear the cookie."""
        await sessions.logout(refresh_token)
        return Response(None, status_code=204, cookies=[_cookie(state, "", 0)])
