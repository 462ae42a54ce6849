"""`/auth/passkeys/*`: register, list, rename and remove passkeys; sign in and step up with one."""

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from auth_service.activity.schemas import ClientInfo
from auth_service.passkeys.schemas import (
    CeremonyOptions,
    NewPasskey,
    Passkey,
    PasskeyAssertion,
    PasskeyList,
    PasskeyRename,
)
from auth_service.passkeys.service import PasskeyService
from auth_service.sessions.controller import NO_STORE, _with_cookie
from auth_service.stepup import FreshUser
from auth_service.tokens import AccessToken, CurrentUser
from auth_service.users.suspension import SUSPENDED_REASON
from service_kit.openapi import BEARER, problems

BAD_BODY = "the body does not match the schema."
STALE = (
    "no valid access token (`WWW-Authenticate: Bearer`), or its authentication is too old for this action: the"
    " problem `type` is `urn:profile-pictures:problem:step-up-required`; step up and retry."
)


def provide_passkeys(state: State) -> PasskeyService:
    """The passkey service, once the database is ready."""
    passkeys: PasskeyService = state.services.ready().passkeys
    return passkeys


class PasskeyController(Controller):
    """Passkeys (WebAuthn)."""

    path = "/auth/passkeys"
    tags = ["passkeys"]
    dependencies = {"passkeys": Provide(provide_passkeys, sync_to_thread=False)}

    @post("/register/options", operation_id="startPasskeyRegistration", status_code=200, security=BEARER)
    async def registration_options(
        self, current_user: CurrentUser, passkeys: NamedDependency[PasskeyService]
    ) -> Response[CeremonyOptions]:
        """Start adding a passkey: options for `navigator.credentials.create()` and the ceremony to answer.

        The passkey is discoverable and user-verified; the caller's existing passkeys are excluded.
        """
        return Response(await passkeys.registration_options(current_user), headers=NO_STORE)

    @post(
        "",
        operation_id="registerPasskey",
        status_code=201,
        security=BEARER,
        responses=problems(
            {
                400: "the body does not match the schema, the ceremony is unknown, used or expired (`field:"
                " ceremony_id`), or the credential is not one or does not verify (`field: credential`).",
                409: "this passkey is registered already.",
            }
        ),
    )
    async def register(
        self,
        data: JSONBody[NewPasskey],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        passkeys: NamedDependency[PasskeyService],
    ) -> Passkey:
        """Finish adding a passkey with the browser's credential; `name` defaults to "Passkey (date)"."""
        return await passkeys.register(current_user, data, client_info)

    @get("", operation_id="listPasskeys", security=BEARER)
    async def list_passkeys(self, current_user: CurrentUser, passkeys: NamedDependency[PasskeyService]) -> PasskeyList:
        """The caller's passkeys, oldest first."""
        return PasskeyList(passkeys=await passkeys.owned(current_user))

    @patch(
        "/{passkey_id:str}",
        operation_id="renamePasskey",
        security=BEARER,
        responses=problems({400: BAD_BODY, 404: "the caller has no passkey with this id."}),
    )
    async def rename(
        self,
        passkey_id: FromPath[str],
        data: JSONBody[PasskeyRename],
        current_user: CurrentUser,
        passkeys: NamedDependency[PasskeyService],
    ) -> Passkey:
        """Rename one of the caller's passkeys."""
        return await passkeys.rename(current_user, passkey_id, data.name)

    @delete(
        "/{passkey_id:str}",
        operation_id="deletePasskey",
        security=BEARER,
        responses=problems({401: STALE, 404: "the caller has no passkey with this id."}),
    )
    async def remove(
        self,
        passkey_id: FromPath[str],
        fresh_user: FreshUser,
        client_info: NamedDependency[ClientInfo],
        passkeys: NamedDependency[PasskeyService],
    ) -> None:
        """Remove one of the caller's passkeys; needs a recent authentication (step-up)."""
        await passkeys.remove(fresh_user, passkey_id, client_info)

    @post(
        "/login/options",
        operation_id="startPasskeySignIn",
        status_code=200,
        responses=problems({429: "too many passkey sign-ins from this client; `Retry-After` says when."}),
    )
    async def sign_in_options(
        self, client_info: NamedDependency[ClientInfo], passkeys: NamedDependency[PasskeyService]
    ) -> Response[CeremonyOptions]:
        """Start signing in with a passkey: options for `navigator.credentials.get()` (any passkey of this site)."""
        return Response(await passkeys.sign_in_options(client_info), headers=NO_STORE)

    @post(
        "/login",
        operation_id="signInWithPasskey",
        status_code=200,
        responses=problems(
            {
                400: "the body does not match the schema, or the credential is not a WebAuthn assertion.",
                401: "the ceremony is unknown, used or expired, or the passkey is unknown or its assertion does not"
                " verify (signature, origin, user verification, a signature counter that did not increase).",
                403: "the account is being deleted, or " + SUSPENDED_REASON,
            }
        ),
    )
    async def sign_in(
        self,
        data: JSONBody[PasskeyAssertion],
        state: State,
        client_info: NamedDependency[ClientInfo],
        passkeys: NamedDependency[PasskeyService],
    ) -> Response[AccessToken]:
        """Sign in with a passkey (no password; it counts as two factors): answers like `/auth/login`.

        An access token, and the HttpOnly refresh cookie.
        """
        return _with_cookie(state, await passkeys.sign_in(data, client_info))

    @post(
        "/reauthenticate/options",
        operation_id="startPasskeyReauthentication",
        status_code=200,
        security=BEARER,
        responses=problems({404: "the caller has no passkey."}),
    )
    async def reauthentication_options(
        self, current_user: CurrentUser, passkeys: NamedDependency[PasskeyService]
    ) -> Response[CeremonyOptions]:
        """Start a step-up with a passkey: options for `navigator.credentials.get()` (the caller's passkeys)."""
        return Response(await passkeys.reauthentication_options(current_user), headers=NO_STORE)

    @post(
        "/reauthenticate",
        operation_id="reauthenticateWithPasskey",
        status_code=200,
        security=BEARER,
        responses=problems(
            {
                400: "the body does not match the schema, or the credential is not a WebAuthn assertion.",
                401: "no valid access token, the ceremony is unknown, used or expired, or the assertion is not of"
                " one of the caller's passkeys or does not verify.",
                403: SUSPENDED_REASON,
            }
        ),
    )
    async def reauthenticate(
        self,
        data: JSONBody[PasskeyAssertion],
        current_user: CurrentUser,
        client_info: NamedDependency[ClientInfo],
        passkeys: NamedDependency[PasskeyService],
    ) -> Response[AccessToken]:
        """Step up with a passkey: a new access token for this session with a fresh `auth_time`.

        The refresh cookie is unchanged.
        """
        return Response(await passkeys.reauthenticate(current_user, data, client_info), headers=NO_STORE)
