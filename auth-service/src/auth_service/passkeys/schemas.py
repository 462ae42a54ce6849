"""Wire and storage shapes of passkeys and of the WebAuthn ceremonies that create and use them."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

# What a person may call a passkey: something other than spaces (trimmed of them) of at most 64 characters. The
# pattern names the same four white-space characters that are trimmed, so schema and server agree on every input.
PasskeyName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern="[^ \t\r\n]",
        description="A name for the passkey, such as the device it is on; surrounding spaces are trimmed.",
    ),
]
# The PublicKeyCredential JSON (`toJSON()` of what `navigator.credentials.create/get` resolve to), read by the
# WebAuthn library; no schema can say more about it than that it is an object.
CREDENTIAL_DESCRIPTION = "The PublicKeyCredential from the browser, as JSON (`credential.toJSON()`)."

REGISTER, LOGIN, REAUTHENTICATE = "register", "login", "reauthenticate"


def trim_name(name: str) -> str:
    """The name without the surrounding white space the pattern allows."""
    return name.strip(" \t\r\n")


class Passkey(msgspec.Struct, kw_only=True):
    """A passkey as its owner sees it."""

    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None = None


class PasskeyList(msgspec.Struct, kw_only=True):
    """The caller's passkeys, oldest first."""

    passkeys: list[Passkey]


class CeremonyOptions(msgspec.Struct, kw_only=True):
    """What the browser needs for one ceremony: pass `options` to `navigator.credentials.create/get` (after
    `PublicKeyCredential.parseCreationOptionsFromJSON/parseRequestOptionsFromJSON`) and send `ceremony_id` back
    with the result. A ceremony is used once and expires after a few minutes."""

    ceremony_id: str
    options: dict[str, Any]


class NewPasskey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The browser's answer to a registration ceremony, and what to call the passkey."""

    ceremony_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    credential: Annotated[dict[str, Any], msgspec.Meta(description=CREDENTIAL_DESCRIPTION)]
    name: PasskeyName | None = None

    def __post_init__(self) -> None:
        if self.name is not None:
            self.name = trim_name(self.name)


class PasskeyRename(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A passkey's new name."""

    name: PasskeyName

    def __post_init__(self) -> None:
        self.name = trim_name(self.name)


class PasskeyAssertion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The browser's answer to a sign-in or step-up ceremony."""

    ceremony_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    credential: Annotated[dict[str, Any], msgspec.Meta(description=CREDENTIAL_DESCRIPTION)]


class StoredPasskey(msgspec.Struct, kw_only=True):
    """A stored passkey (lenient: stored documents may grow fields). `id` is the credential id."""

    id: str
    user_id: str
    name: str
    # The credential's COSE public key, base64url.
    public_key: str
    sign_count: int = 0
    transports: list[str] = []
    aaguid: str = ""
    backed_up: bool = False
    created_at: datetime
    last_used_at: datetime | None = None

    def public(self) -> Passkey:
        """What the owner sees."""
        return Passkey(id=self.id, name=self.name, created_at=self.created_at, last_used_at=self.last_used_at)


class Ceremony(msgspec.Struct, kw_only=True):
    """A consumed ceremony: what it was for, whose it was and the challenge the browser had to sign."""

    id: str
    purpose: str
    user_id: str | None = None
    challenge: str
