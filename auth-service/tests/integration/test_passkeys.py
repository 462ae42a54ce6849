"""Passkeys through HTTP with real WebAuthn ceremonies (a software authenticator): register, list, rename,
remove (a dangerous action: step-up), sign in without a password, step up; and every way an assertion is refused."""

import json
from datetime import timedelta
from typing import Any

import cbor2
import jwt
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from litestar import Litestar
from litestar.testing import TestClient

from auth_service.config import Settings
from auth_service.stepup import STEP_UP_REQUIRED
from tests.conftest import FakeClock, bearer, login, refresh, register, running, stored, wait_until_ready
from tests.webauthn_authenticator import UP, Credential, SoftAuthenticator, b64url, unb64url

Client = TestClient[Litestar]


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator()


def stale(client: Client, token: str) -> str:
    """The same session's token, as if its authentication were older than the step-up window.

    Minted by the app's own signer: moving the app clock forward instead would make every later token look
    issued in the future to the verifier, which checks `iat`/`nbf` against real time.
    """
    services = client.app.state.services
    old = claims(token)
    issued = services.tokens.issue_user(
        user_id=old["sub"],
        username=old["username"],
        session_id=old["sid"],
        audience=old["aud"],
        auth_time=services.clock() - timedelta(seconds=services.settings.fresh_seconds + 1),
        amr=old["amr"],
        role=old["role"],
    )
    return str(issued.access_token)


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def add_passkey(
    client: Client, token: str, authenticator: SoftAuthenticator, name: str | None = "Laptop"
) -> dict[str, Any]:
    started = client.post("/auth/passkeys/register/options", headers=bearer(token))
    assert started.status_code == 200, started.text
    body: dict[str, Any] = {
        "ceremony_id": started.json()["ceremony_id"],
        "credential": authenticator.create(started.json()["options"]),
    }
    if name is not None:
        body["name"] = name
    created = client.post("/auth/passkeys", json=body, headers=bearer(token))
    assert created.status_code == 201, created.text
    passkey: dict[str, Any] = created.json()
    return passkey


def sign_in_options(client: Client) -> dict[str, Any]:
    started = client.post("/auth/passkeys/login/options")
    assert started.status_code == 200, started.text
    options: dict[str, Any] = started.json()
    return options


def sign_in(client: Client, authenticator: SoftAuthenticator, **assertion: Any) -> Any:
    started = sign_in_options(client)
    credential = authenticator.get(started["options"], **assertion)
    return client.post("/auth/passkeys/login", json={"ceremony_id": started["ceremony_id"], "credential": credential})


def signed_up(client: Client, authenticator: SoftAuthenticator) -> tuple[str, dict[str, Any]]:
    register(client)
    token, _ = login(client)
    return token, add_passkey(client, token, authenticator)


def test_register_list_rename_and_remove_a_passkey(client: Client, authenticator: SoftAuthenticator) -> None:
    token, passkey = signed_up(client, authenticator)

    listed = client.get("/auth/passkeys", headers=bearer(token))
    renamed = client.patch(f"/auth/passkeys/{passkey['id']}", json={"name": "  Work phone "}, headers=bearer(token))
    removed = client.delete(f"/auth/passkeys/{passkey['id']}", headers=bearer(token))
    after = client.get("/auth/passkeys", headers=bearer(token))

    assert passkey["id"] == authenticator.credentials[0].b64_id
    assert passkey["name"] == "Laptop"
    assert passkey["last_used_at"] is None
    assert set(passkey) == {"id", "name", "created_at", "last_used_at"}
    assert listed.status_code == 200
    assert listed.json() == {"passkeys": [passkey]}
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Work phone"
    assert removed.status_code == 204
    assert after.json() == {"passkeys": []}
    events = [e["kind"] for e in client.get("/auth/activity", headers=bearer(token)).json()["events"]]
    # The fake clock stands still, so events of one test share a time and their order is not defined.
    assert {"passkey_added", "passkey_removed"} <= set(events)


def test_registration_options_ask_for_a_discoverable_verified_passkey_and_exclude_existing_ones(
    client: Client, authenticator: SoftAuthenticator
) -> None:
    token, passkey = signed_up(client, authenticator)

    response = client.post("/auth/passkeys/register/options", headers=bearer(token))

    options = response.json()["options"]
    assert response.headers["cache-control"] == "no-store"
    assert options["rp"] == {"id": "localhost", "name": "Profile pictures"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert [c["id"] for c in options["excludeCredentials"]] == [passkey["id"]]
    assert options["excludeCredentials"][0]["transports"] == ["internal"]


def test_a_passkey_without_a_name_is_named_by_its_date(client: Client, authenticator: SoftAuthenticator) -> None:
    register(client)
    token, _ = login(client)

    passkey = add_passkey(client, token, authenticator, name=None)

    assert passkey["name"].startswith("Passkey (20")


def test_sign_in_with_a_passkey_counts_as_two_factors_and_sets_the_refresh_cookie(
    client: Client, authenticator: SoftAuthenticator
) -> None:
    signed_up(client, authenticator)
    client.cookies.clear()

    response = sign_in(client, authenticator)
    refreshed = refresh(client, response.cookies["refresh_token"])

    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "token_type", "expires_in"}
    assert response.headers["cache-control"] == "no-store"
    assert "HttpOnly" in response.headers["set-cookie"]
    token_claims = claims(response.json()["access_token"])
    assert {"hwk", "mfa"} <= set(token_claims["amr"])
    assert token_claims["username"] == "alice"
    assert refreshed.status_code == 200
    assert claims(refreshed.json()["access_token"])["amr"] == token_claims["amr"]
    listed = client.get("/auth/passkeys", headers=bearer(response.json()["access_token"])).json()["passkeys"]
    assert listed[0]["last_used_at"] is not None
    assert stored(client, "passkeys")[0]["sign_count"] == 1
    events = client.get("/auth/activity", headers=bearer(response.json()["access_token"])).json()["events"]
    assert ("sign_in", "passkey") in {(e["kind"], e["detail"]) for e in events}


def test_sign_in_options_are_discoverable_and_require_user_verification(client: Client) -> None:
    started = sign_in_options(client)

    assert started["options"]["allowCredentials"] == []
    assert started["options"]["userVerification"] == "required"
    assert started["options"]["rpId"] == "localhost"


def test_a_replayed_assertion_is_refused(client: Client, authenticator: SoftAuthenticator) -> None:
    signed_up(client, authenticator)
    started = sign_in_options(client)
    body = {"ceremony_id": started["ceremony_id"], "credential": authenticator.get(started["options"])}

    first = client.post("/auth/passkeys/login", json=body)
    replayed = client.post("/auth/passkeys/login", json=body)

    assert first.status_code == 200
    assert replayed.status_code == 401
    assert replayed.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("counter", [1, 2], ids=["lower", "equal"])
def test_an_assertion_whose_counter_did_not_increase_is_refused_and_logged(
    client: Client, authenticator: SoftAuthenticator, counter: int, caplog: pytest.LogCaptureFixture
) -> None:
    signed_up(client, authenticator)
    assert sign_in(client, authenticator, sign_count=2).status_code == 200

    cloned = sign_in(client, authenticator, sign_count=counter)

    assert cloned.status_code == 401
    assert stored(client, "passkeys")[0]["sign_count"] == 2
    assert any("possible cloned authenticator" in r.getMessage() for r in caplog.records)


def test_an_assertion_without_user_verification_is_refused(client: Client, authenticator: SoftAuthenticator) -> None:
    signed_up(client, authenticator)

    response = sign_in(client, authenticator, flags=UP)

    assert response.status_code == 401


def test_an_assertion_from_another_origin_is_refused(client: Client, authenticator: SoftAuthenticator) -> None:
    signed_up(client, authenticator)

    response = sign_in(client, authenticator, origin="https://evil.example")

    assert response.status_code == 401


def test_an_assertion_signed_by_another_key_is_refused(client: Client, authenticator: SoftAuthenticator) -> None:
    signed_up(client, authenticator)
    genuine = authenticator.credentials[0]
    forged = Credential(
        id=genuine.id, key=ec.generate_private_key(ec.SECP256R1()), rp_id="localhost", user_handle=genuine.user_handle
    )

    response = sign_in(client, authenticator, credential=forged)

    assert response.status_code == 401


def test_an_unknown_passkey_is_refused(client: Client) -> None:
    stranger = SoftAuthenticator()
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": "eA"}, "challenge": "AAAA"})

    response = sign_in(client, stranger)

    assert response.status_code == 401


def test_registration_needs_user_verification_and_our_origin(client: Client, authenticator: SoftAuthenticator) -> None:
    register(client)
    token, _ = login(client)
    attempts: list[dict[str, Any]] = [{"flags": UP}, {"origin": "https://evil.example"}, {"rp_id": "evil.example"}]

    answers = []
    for attempt in attempts:
        started = client.post("/auth/passkeys/register/options", headers=bearer(token)).json()
        credential = authenticator.create(started["options"], **attempt)
        answers.append(
            client.post(
                "/auth/passkeys",
                json={"ceremony_id": started["ceremony_id"], "credential": credential},
                headers=bearer(token),
            )
        )

    assert [a.status_code for a in answers] == [400, 400, 400]
    assert all(a.json()["field"] == "credential" for a in answers)
    assert client.get("/auth/passkeys", headers=bearer(token)).json() == {"passkeys": []}


def test_a_registration_ceremony_works_once_and_only_for_its_user(
    client: Client, authenticator: SoftAuthenticator
) -> None:
    register(client)
    register(client, email="bob@example.com", username="bob")
    alice, _ = login(client)
    bob, _ = login(client, "bob")
    started = client.post("/auth/passkeys/register/options", headers=bearer(alice)).json()
    body = {"ceremony_id": started["ceremony_id"], "credential": authenticator.create(started["options"])}

    as_bob = client.post("/auth/passkeys", json=body, headers=bearer(bob))
    as_alice = client.post("/auth/passkeys", json=body, headers=bearer(alice))
    again = client.post("/auth/passkeys", json=body, headers=bearer(alice))

    assert as_bob.status_code == 400
    assert as_bob.json()["field"] == "ceremony_id"
    assert as_alice.status_code == 201
    assert again.status_code == 400


def test_an_expired_ceremony_is_refused(client: Client, authenticator: SoftAuthenticator, clock: FakeClock) -> None:
    signed_up(client, authenticator)
    started = sign_in_options(client)
    clock.advance(301)

    response = client.post(
        "/auth/passkeys/login",
        json={"ceremony_id": started["ceremony_id"], "credential": authenticator.get(started["options"])},
    )

    assert response.status_code == 401


def test_another_users_passkey_is_not_found(client: Client, authenticator: SoftAuthenticator) -> None:
    _, passkey = signed_up(client, authenticator)
    register(client, email="bob@example.com", username="bob")
    bob, _ = login(client, "bob")

    renamed = client.patch(f"/auth/passkeys/{passkey['id']}", json={"name": "mine"}, headers=bearer(bob))
    removed = client.delete(f"/auth/passkeys/{passkey['id']}", headers=bearer(bob))
    unknown = client.delete("/auth/passkeys/nope", headers=bearer(bob))

    assert renamed.status_code == 404
    assert removed.status_code == 404
    assert unknown.status_code == 404
    assert renamed.headers["content-type"] == "application/problem+json"
    assert len(stored(client, "passkeys")) == 1


def test_removing_a_passkey_needs_a_recent_authentication(client: Client, authenticator: SoftAuthenticator) -> None:
    token, passkey = signed_up(client, authenticator)

    refused = client.delete(f"/auth/passkeys/{passkey['id']}", headers=bearer(stale(client, token)))

    assert refused.status_code == 401
    assert refused.json()["type"] == STEP_UP_REQUIRED
    assert len(stored(client, "passkeys")) == 1


def test_stepping_up_with_a_passkey_makes_a_stale_token_fresh(client: Client, authenticator: SoftAuthenticator) -> None:
    fresh_one, passkey = signed_up(client, authenticator)
    token = stale(client, fresh_one)
    started = client.post("/auth/passkeys/reauthenticate/options", headers=bearer(token))
    credential = authenticator.get(started.json()["options"])

    stepped = client.post(
        "/auth/passkeys/reauthenticate",
        json={"ceremony_id": started.json()["ceremony_id"], "credential": credential},
        headers=bearer(token),
    )
    fresh = stepped.json()["access_token"]
    refused = client.delete(f"/auth/passkeys/{passkey['id']}", headers=bearer(token))
    removed = client.delete(f"/auth/passkeys/{passkey['id']}", headers=bearer(fresh))

    assert started.status_code == 200
    assert [c["id"] for c in started.json()["options"]["allowCredentials"]] == [passkey["id"]]
    assert stepped.status_code == 200, stepped.text
    assert "set-cookie" not in stepped.headers
    assert claims(fresh)["sid"] == claims(token)["sid"]
    assert claims(fresh)["auth_time"] > claims(token)["auth_time"]
    assert "hwk" in claims(fresh)["amr"]
    assert refused.status_code == 401
    assert removed.status_code == 204
    events = client.get("/auth/activity", headers=bearer(fresh)).json()["events"]
    assert ("reauthenticated", "passkey") in {(e["kind"], e["detail"]) for e in events}


def test_stepping_up_needs_the_callers_own_passkey(client: Client, authenticator: SoftAuthenticator) -> None:
    signed_up(client, authenticator)
    register(client, email="bob@example.com", username="bob")
    bob, _ = login(client, "bob")
    add_passkey(client, bob, SoftAuthenticator())
    started = client.post("/auth/passkeys/reauthenticate/options", headers=bearer(bob)).json()

    # Bob's ceremony answered with Alice's passkey.
    response = client.post(
        "/auth/passkeys/reauthenticate",
        json={"ceremony_id": started["ceremony_id"], "credential": authenticator.get(started["options"])},
        headers=bearer(bob),
    )

    assert response.status_code == 401


def test_a_sign_in_ceremony_cannot_be_used_to_step_up(client: Client, authenticator: SoftAuthenticator) -> None:
    token, _ = signed_up(client, authenticator)
    started = sign_in_options(client)

    response = client.post(
        "/auth/passkeys/reauthenticate",
        json={"ceremony_id": started["ceremony_id"], "credential": authenticator.get(started["options"])},
        headers=bearer(token),
    )

    assert response.status_code == 401


def test_step_up_options_need_a_passkey(client: Client) -> None:
    register(client)
    token, _ = login(client)

    response = client.post("/auth/passkeys/reauthenticate/options", headers=bearer(token))

    assert response.status_code == 404


def test_passkey_routes_need_a_token(client: Client) -> None:
    answers = [
        client.post("/auth/passkeys/register/options"),
        client.get("/auth/passkeys"),
        client.delete("/auth/passkeys/x"),
        client.post("/auth/passkeys/reauthenticate/options"),
    ]

    assert [a.status_code for a in answers] == [401, 401, 401, 401]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ceremony_id": "x"},
        {"ceremony_id": "x", "credential": "not an object"},
        {"ceremony_id": "x", "credential": {}, "extra": 1},
        {"ceremony_id": "x", "credential": {"id": "a", "rawId": "a", "response": {}}},
        {"ceremony_id": "x", "credential": {"id": 1, "rawId": "%%", "type": "public-key", "response": {"x": 1}}},
    ],
)
def test_malformed_sign_in_bodies_are_400_problems(client: Client, body: dict[str, Any]) -> None:
    response = client.post("/auth/passkeys/login", json=body)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_a_credential_with_broken_binary_fields_is_a_400_naming_it(client: Client) -> None:
    register(client)
    token, _ = login(client)
    started = client.post("/auth/passkeys/register/options", headers=bearer(token)).json()
    broken = {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": "!!", "attestationObject": "AAAA"},
    }

    response = client.post(
        "/auth/passkeys", json={"ceremony_id": started["ceremony_id"], "credential": broken}, headers=bearer(token)
    )

    assert response.status_code == 400
    assert response.json()["field"] == "credential"


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_a_passkey_name_must_have_text(client: Client, authenticator: SoftAuthenticator, name: str) -> None:
    token, passkey = signed_up(client, authenticator)

    response = client.patch(f"/auth/passkeys/{passkey['id']}", json={"name": name}, headers=bearer(token))

    assert response.status_code == 400


def test_sign_in_options_are_throttled_per_address(client: Client, settings: Settings) -> None:
    answers = [
        client.post("/auth/passkeys/login/options").status_code
        for _ in range(settings.login_max_failures_per_address + 1)
    ]

    assert answers[:-1] == [200] * settings.login_max_failures_per_address
    assert answers[-1] == 429


def _mutated(credential: dict[str, Any], field: str, kind: int) -> dict[str, Any]:
    """The credential with one binary field truncated, noise, empty or a CBOR oddity (`kind` picks which)."""
    original = unb64url(credential["response"][field])
    values = [
        original[: len(original) // 2],
        bytes((i * 37 + 11) % 256 for i in range(len(original))),  # noise of the same length
        b"",
        b"\xa0",
        b"\x80",
        b"\xff" * 3,
        cbor2.dumps(
            {"fmt": "packed", "attStmt": {"alg": -7, "sig": b"x", "x5c": [b"not a certificate"]}, "authData": original}
        ),
    ]
    mutated: dict[str, Any] = json.loads(json.dumps(credential))
    mutated["response"][field] = b64url(values[kind])
    return mutated


KINDS = range(7)


def test_mangled_credentials_are_refused_with_4xx_never_500(
    settings: Settings, clock: FakeClock, authenticator: SoftAuthenticator
) -> None:
    statuses = []
    with running(msgspec.structs.replace(settings, login_max_failures_per_address=1000), clock) as client:
        wait_until_ready(client)
        token, _ = signed_up(client, authenticator)
        for field in ["clientDataJSON", "authenticatorData", "signature", "userHandle"]:
            for kind in KINDS:
                started = sign_in_options(client)
                credential = _mutated(authenticator.get(started["options"]), field, kind)
                body = {"ceremony_id": started["ceremony_id"], "credential": credential}
                statuses.append(client.post("/auth/passkeys/login", json=body).status_code)
        for field in ["clientDataJSON", "attestationObject"]:
            for kind in KINDS:
                started = client.post("/auth/passkeys/register/options", headers=bearer(token)).json()
                credential = _mutated(SoftAuthenticator().create(started["options"]), field, kind)
                body = {"ceremony_id": started["ceremony_id"], "credential": credential}
                statuses.append(client.post("/auth/passkeys", json=body, headers=bearer(token)).status_code)

    assert len(statuses) == 6 * len(KINDS)
    assert set(statuses) <= {400, 401}, statuses
