"""The OpenAPI post-processing, strict bodies and the OPTIONS fix, on tiny apps."""

from typing import Annotated, Any

import msgspec
from litestar import Controller, Litestar, delete, get, patch, post
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components
from litestar.params import FromPath, JSONBody
from litestar.testing import TestClient

from service_kit.openapi import (
    BEARER,
    OPTIONAL_BEARER,
    PROBLEM_JSON,
    SECURITY_SCHEMES,
    StrictRequest,
    allow_every_method,
    document_api,
    problems,
)


class Settings(msgspec.Struct, forbid_unknown_fields=True):
    sms: bool
    count: Annotated[int, msgspec.Meta(ge=0)] = 0


class Change(msgspec.Struct, forbid_unknown_fields=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    settings: Settings | msgspec.UnsetType = msgspec.UNSET


class Lenient(msgspec.Struct):
    name: str


class Things(Controller):
    @get("/things/{thing_id:str}", operation_id="getThing", security=BEARER, responses=problems({404: "no thing."}))
    async def read(self, thing_id: FromPath[str]) -> Lenient:
        """One thing."""
        return Lenient(name=thing_id)

    @patch("/things/{thing_id:str}", operation_id="changeThing", security=BEARER)
    async def change(self, thing_id: FromPath[str], data: JSONBody[Change]) -> dict[str, Any]:
        """Change a thing."""
        return {"settings": msgspec.to_builtins(data.settings) if data.settings else None}

    @post(
        "/things/{thing_id:str}/copies",
        operation_id="copyThing",
        status_code=201,
        responses=problems({429: "too many copies."}),
    )
    async def copy(self, thing_id: FromPath[str]) -> Lenient:
        """Copy a thing."""
        return Lenient(name=thing_id)

    @delete("/things/{thing_id:str}", operation_id="deleteThing", security=OPTIONAL_BEARER)
    async def remove(self, thing_id: FromPath[str]) -> None:
        """Remove a thing."""

    @post("/things/{thing_id:str}", operation_id="postThing", status_code=200)
    async def lenient(self, thing_id: FromPath[str], data: JSONBody[Lenient]) -> Lenient:
        """Posted."""
        return data


@get("/health")
async def health() -> None:
    """Up."""


def make_app() -> Litestar:
    app = Litestar(
        [Things, health],
        openapi_config=OpenAPIConfig(
            title="t",
            version="1",
            use_handler_docstrings=True,
            components=Components(security_schemes=SECURITY_SCHEMES),
        ),
        request_class=StrictRequest,
    )
    document_api(app)
    allow_every_method(app)
    return app


def test_declared_problems_are_problem_json_with_their_reason() -> None:
    doc = make_app().openapi_schema.to_schema()

    response = doc["paths"]["/things/{thing_id}"]["get"]["responses"]["404"]
    assert response["description"] == "Not Found: no thing."
    assert response["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    assert doc["components"]["schemas"]["ProblemDetails"]["required"] == ["type", "title", "status"]


def test_a_429_documents_its_required_retry_after_header() -> None:
    doc = make_app().openapi_schema.to_schema()

    response = doc["paths"]["/things/{thing_id}/copies"]["post"]["responses"]["429"]
    assert response["headers"] == {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 1},
            "description": "Seconds to wait before trying again.",
            "required": True,
            "deprecated": False,
        }
    }
    assert "headers" not in doc["paths"]["/things/{thing_id}"]["get"]["responses"]["404"]


def test_litestar_validation_400_is_documented_as_problem_json() -> None:
    doc = make_app().openapi_schema.to_schema()

    assert list(doc["paths"]["/things/{thing_id}"]["patch"]["responses"]["400"]["content"]) == [PROBLEM_JSON]


def test_cross_cutting_statuses_follow_security_bodies_and_the_database() -> None:
    paths = make_app().openapi_schema.to_schema()["paths"]

    assert set(paths["/things/{thing_id}"]["patch"]["responses"]) == {"200", "400", "401", "413", "503"}
    # An optional token is never refused, so no 401 there; a 204 has no body.
    assert set(paths["/things/{thing_id}"]["delete"]["responses"]) == {"204", "400", "503"}
    assert "content" not in paths["/things/{thing_id}"]["delete"]["responses"]["204"]
    assert set(paths["/health"]["get"]["responses"]) == {"200"}


def test_handler_docstrings_describe_operations() -> None:
    paths = make_app().openapi_schema.to_schema()["paths"]

    assert paths["/things/{thing_id}"]["patch"]["description"] == "Change a thing."


def test_structs_refusing_unknown_fields_say_so_and_lenient_ones_do_not() -> None:
    schemas = make_app().openapi_schema.to_schema()["components"]["schemas"]

    assert schemas["Change"]["additionalProperties"] is False
    assert schemas["Settings"]["additionalProperties"] is False  # nested, reached through the union with UNSET
    assert "additionalProperties" not in schemas["Lenient"]


def test_a_json_number_is_not_a_boolean_in_a_request_body() -> None:
    with TestClient(make_app()) as client:
        response = client.patch("/things/a", json={"settings": {"sms": 0}})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")  # Litestar's own format, no handlers
    assert response.json()["extra"] == [
        {"message": "Expected `bool`, got `int`", "key": "settings.sms", "source": "body"}
    ]


def test_a_numeric_string_is_not_an_integer_in_a_request_body() -> None:
    with TestClient(make_app()) as client:
        response = client.patch("/things/a", json={"settings": {"sms": True, "count": "5"}})

    assert response.status_code == 400
    assert response.json()["extra"][0]["key"] == "settings.count"


def test_a_well_typed_body_reaches_the_handler() -> None:
    with TestClient(make_app()) as client:
        response = client.patch("/things/a", json={"settings": {"sms": False, "count": 2}})

    assert response.status_code == 200
    assert response.json() == {"settings": {"sms": False, "count": 2}}


def test_malformed_json_is_a_400() -> None:
    with TestClient(make_app()) as client:
        response = client.patch("/things/a", content=b"{nope", headers={"content-type": "application/json"})

    assert response.status_code == 400


def test_options_lists_every_method_of_a_path() -> None:
    with TestClient(make_app()) as client:
        allow = client.options("/things/a").headers["allow"]

    assert set(allow.split(", ")) == {"DELETE", "GET", "OPTIONS", "PATCH", "POST"}


def test_without_the_fix_litestar_lists_only_some_methods() -> None:
    # Pins the upstream bug `allow_every_method` works around (litestar#4169): when this starts failing, Litestar
    # fixed it and the function can go.
    app = Litestar([Things])
    with TestClient(app) as client:
        allow = client.options("/things/a").headers["allow"]

    assert set(allow.split(", ")) != {"DELETE", "GET", "OPTIONS", "PATCH", "POST"}
