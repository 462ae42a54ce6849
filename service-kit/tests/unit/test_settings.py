"""Settings from the environment: prefixes, standard names, list and JSON fields, and errors that name the variable."""

from typing import Annotated

import msgspec
import pytest

from service_kit.settings import SettingsError, settings_from_env


class Client(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    secret_sha256: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    mongodb_uri: str
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8000
    debug: bool = False
    sizes: tuple[int, ...] = (64,)
    formats: tuple[str, ...] = ("jpg",)
    clients: list[Client] = []


def read(environ: dict[str, str]) -> Settings:
    return settings_from_env(
        Settings,
        environ,
        prefix="SVC_",
        standard_names=("MONGODB_URI",),
        list_fields=("sizes", "formats"),
        json_fields=("clients",),
        foreign_names=("SVC_JWKS_URL",),
    )


def test_prefixed_values_are_converted_from_strings() -> None:
    settings = read({"MONGODB_URI": "mongodb://db", "SVC_PORT": "8123", "SVC_DEBUG": "true", "OTHER": "x"})

    assert settings == Settings(mongodb_uri="mongodb://db", port=8123, debug=True)


def test_list_fields_are_comma_separated_trimmed_and_lowercased() -> None:
    settings = read({"MONGODB_URI": "m", "SVC_SIZES": "64, 128,,256", "SVC_FORMATS": "JPG,webp "})

    assert (settings.sizes, settings.formats) == ((64, 128, 256), ("jpg", "webp"))


def test_json_fields_are_decoded() -> None:
    clients = '[{"name": "feed", "secret_sha256": "' + "a" * 64 + '"}]'

    assert read({"MONGODB_URI": "m", "SVC_CLIENTS": clients}).clients == [Client(name="feed", secret_sha256="a" * 64)]


def test_foreign_names_with_the_prefix_are_not_ours_to_reject() -> None:
    assert read({"MONGODB_URI": "m", "SVC_JWKS_URL": "http://auth/jwks"}).port == 8000


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MONGODB_URI": "m", "SVC_PROT": "1"}, "invalid configuration: unknown variable SVC_PROT"),
        ({}, "invalid configuration: missing required variable MONGODB_URI"),
        ({"MONGODB_URI": "m", "SVC_PORT": "http"}, "invalid configuration: Expected `int`, got `str` - at SVC_PORT"),
        ({"MONGODB_URI": "m", "SVC_PORT": "70000"}, "invalid configuration: Expected `int` <= 65535 - at SVC_PORT"),
        ({"MONGODB_URI": "m", "SVC_CLIENTS": "[{"}, "invalid configuration: SVC_CLIENTS is not JSON"),
        (
            {"MONGODB_URI": "m", "SVC_CLIENTS": '[{"name": "x", "secret_sha256": "nope"}]'},
            "at SVC_CLIENTS[0].secret_sha256",
        ),
    ],
    ids=["misspelt", "missing standard name", "wrong type", "out of range", "not json", "inside json"],
)
def test_errors_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        read(environ)

    assert message in str(raised.value)
    assert "$." not in str(raised.value)
