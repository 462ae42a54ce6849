"""`/auth/login`, `/auth/refresh`, `/auth/logout`, `/auth/reauthenticate` and the sessions list `/auth/sessions`.

The refresh token travels only in an HttpOnly cookie.
"""

from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromCookie, FromPath, JSONBody, PathParameter

from auth_service.account.service import AccountService
from auth_service.activity.schemas import ClientInfo
from auth_service.config import Settings
from auth_service.mfa.schemas import MfaLogin, MfaRequired
from auth_service.sessions.schemas import IssuedSession, NotMe, Reauthentication, SessionList
from auth_service.sessions.service import SessionService
from auth_service.stepup import STEP_UP_REASON, FreshUser
from auth_service.tokens import AccessToken, CurrentUser
from auth_service.users.schemas import Credentials
from auth_service.users.suspension import SUSPENDED_REASON
from service_kit.clock import Clock
from service_kit.errors import Unauthorized
from service_kit.openapi import BEARER, problems

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
                403: "the account is being deleted, or " + SUSPENDED_REASON,
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
                403: "the account is being deleted, or " + SUSPENDED_REASON,
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
        responses={
            # Stated here: the handler's return type admits the 204's empty body, which the 200 never has.
            200: ResponseSpec(
                data_container=AccessToken,
                description="A new access token; the refresh cookie is rotated (`Set-Cookie`).",
            ),
            204: ResponseSpec(
                data_container=None,
                description="No Content: the request carries no refresh cookie at all, so there is no session to "
                "refresh (a signed-out visitor); no body.",
            ),
            **problems(
                {
                    401: "the refresh cookie is empty, unknown, expired, rotated or revoked; the answer clears it.",
                    403: SUSPENDED_REASON,
                }
            ),
        },
    )
    async def refresh(
        self, state: State, sessions: NamedDependency[SessionService], refresh_token: FromCookie[str | None] = None
    ) -> Response[AccessToken | None]:
        """A new access token for the refresh cookie, which is rotated (the old one stops working).

        Without any refresh cookie the answer is 204: every signed-out page load asks, and having no session is not
        an error (a 401 there is printed as a failed request by every browser console). A cookie that does not
        work is still a 401, so a session that ended is told apart from none.
        """
        if refresh_token is None:
            return Response(None, status_code=204, headers=NO_STORE)
        try:
            issued = await sessions.refresh(refresh_token)
        except Unauthorized as refused:
            # A refused refresh token never works again: clearing it makes this browser's next page load a plain
            # "no session" (204) instead of the same 401 on every visit.
            refused.headers["Set-Cookie"] = _cookie(state, "", 0).to_header(header="")
            raise
        return _with_cookie(state, issued)  # type: ignore[return-value]

    @post("/logout", operation_id="logout", status_code=204)
    async def logout(
        self, state: State, sessions: NamedDependency[SessionService], refresh_token: FromCookie[str | None] = None
    ) -> Response[None]:
        """End the session of the refresh cookie (if any) and clear the cookie."""
        await sessions.logout(refresh_token)
        return Response(None, status_code=204, cookies=[_cookie(state, "", 0)])

    @post(
        "/reauthenticate",
        operation_id="reauthenticate",
        status_code=200,
        security=BEARER,
        responses=problems(
            {
                400: "the body does not match the schema (exactly one of `password` or `code`).",
                401: "no valid access token, the session has ended, or the password or code is wrong"
                " (`field: password | code`; a code only works while two-step verification is on).",
                403: SUSPENDED_REASON,
                429: "too many wrong passwords or codes; `Retry-After` says when to try again.",
            }
        ),
    )
    async def reauthenticate(
        self,
        data: JSONBody[Reauthentication],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        sessions: NamedDependency[SessionService],
        accounts: NamedDependency[AccountService],
    ) -> Response[AccessToken]:
        """Prove who you are again (step-up): the password, or a TOTP or recovery code when two-step is on.

        Answers a new access token for the same session, authenticated now; the refresh cookie is unchanged.
        Routes answering the `step-up-required` problem type accept the new token.
        """
        amr = await accounts.reauthenticate(current_user, data, client_info)
        return Response(await sessions.stepped_up(current_user, amr), headers=NO_STORE)


SessionId = Annotated[str, PathParameter(min_length=1, max_length=100, description="A session's `id`.")]


class SessionListController(Controller):
    """Where the account is signed in, and ending those sessions."""

    path = "/auth/sessions"
    tags = ["sessions"]
    dependencies = {"sessions": Provide(provide_sessions, sync_to_thread=False)}

    @get("/", operation_id="listSessions", security=BEARER)
    async def list_sessions(self, current_user: CurrentUser, sessions: NamedDependency[SessionService]) -> SessionList:
        """The signed-in user's live sessions (device, network, created, last used), newest first.

        `current` marks the session of the access token making the call.
        """
        return await sessions.live_sessions(current_user)

    @delete(
        "/{session_id:str}",
        operation_id="revokeSession",
        security=BEARER,
        responses=problems({404: "no live session of this account has that id."}),
    )
    async def revoke_session(
        self,
        session_id: FromPath[SessionId],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        sessions: NamedDependency[SessionService],
    ) -> None:
        """Sign one session out: its refresh token stops working at once (the caller's own too: a sign-out).

        Access tokens it already holds stay valid until they expire (at most the access-token lifetime).
        """
        await sessions.end(current_user, session_id, client_info)

    @post(
        "/revoke-others",
        operation_id="revokeOtherSessions",
        status_code=204,
        security=BEARER,
        responses=problems({401: STEP_UP_REASON}),
    )
    async def revoke_others(
        self,
        fresh_user: FreshUser,
        client_info: NamedDependency[ClientInfo],
        sessions: NamedDependency[SessionService],
    ) -> None:
        """Sign out everywhere else: every session but this one ends. Needs a recent sign-in (step-up)."""
        await sessions.end_others(fresh_user, client_info)

    @post(
        "/not-me",
        operation_id="reportSignIn",
        status_code=204,
        responses=problems(
            {
                400: "the body does not match the schema, or `token` is not a live link this server issued"
                " (`reason: invalid_token | used_token | expired_token`).",
            }
        ),
    )
    async def not_me(
        self,
        data: JSONBody[NotMe],
        client_info: NamedDependency[ClientInfo],
        accounts: NamedDependency[AccountService],
    ) -> None:
        """Report a sign-in ("This wasn't me" in a new-sign-in e-mail): that session is signed out.

        A password-reset link is mailed to the account. Each link works once.
        """
        await accounts.not_me(data.token, client_info)
