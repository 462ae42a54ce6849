"""A small software authenticator, so tests perform real WebAuthn ceremonies over HTTP.

It does what a platform authenticator and the browser do between them: an EC P-256 key per credential,
`attestationObject` with the `none` attestation format (CBOR), assertions whose `authenticatorData` carries
the RP id hash, the flags and a signature counter, signed (ECDSA with SHA-256) over `authenticatorData ||
SHA-256(clientDataJSON)`, and `clientDataJSON` naming the ceremony type, the challenge and the page's origin.
Every knob a test needs to misbehave (origin, flags, counter, RP id) is an argument.
"""

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "http://localhost:8080"
# Authenticator data flags (WebAuthn Level 3, section 6.1).
UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes(16)


def b64url(data: bytes) -> str:
    """base64url without padding, as WebAuthn JSON writes binary values."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    """The bytes of a base64url value (padding optional)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One discoverable credential held by the authenticator."""

    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    @property
    def b64_id(self) -> str:
        """The credential id as the server stores it."""
        return b64url(self.id)

    def cose_public_key(self) -> bytes:
        """The public key as a COSE_Key: EC2, ES256, P-256."""
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


def _client_data(kind: str, challenge: str, origin: str) -> bytes:
    return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()


def _auth_data(rp_id: str, flags: int, sign_count: int, attested: bytes = b"") -> bytes:
    return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count) + attested


class SoftAuthenticator:
    """Creates credentials for registration options and answers sign-in options with assertions."""

    def __init__(self) -> None:
        self.credentials: list[Credential] = []

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        flags: int = UP | UV,
        rp_id: str | None = None,
    ) -> dict[str, Any]:
        """`navigator.credentials.create()` for the server's options: the RegistrationResponseJSON."""
        credential = Credential(
            id=os.urandom(32),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id or options["rp"]["id"],
            user_handle=unb64url(options["user"]["id"]),
        )
        self.credentials.append(credential)
        attested = AAGUID + struct.pack(">H", len(credential.id)) + credential.id + credential.cose_public_key()
        auth_data = _auth_data(credential.rp_id, flags | AT, credential.sign_count, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": credential.b64_id,
            "rawId": credential.b64_id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(_client_data("webauthn.create", options["challenge"], origin)),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: Credential | None = None,
        origin: str = ORIGIN,
        flags: int = UP | UV,
        sign_count: int | None = None,
    ) -> dict[str, Any]:
        """`navigator.credentials.get()`: an assertion by `credential` (default: the newest one), counter + 1."""
        chosen = credential or self.credentials[-1]
        chosen.sign_count = chosen.sign_count + 1 if sign_count is None else sign_count
        auth_data = _auth_data(chosen.rp_id, flags, chosen.sign_count)
        client_data = _client_data("webauthn.get", options["challenge"], origin)
        signature = chosen.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": chosen.b64_id,
            "rawId": chosen.b64_id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(chosen.user_handle),
            },
        }
