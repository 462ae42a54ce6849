from typing import Any

from auth_service.app import create_app
from auth_service.config import Settings


def schema(settings: Settings) -> dict[str, Any]:
    document: dict[str, Any] = create_app(settings).openapi_schema.to_schema()
    return document


def test_every_documented_error_is_problem_details(settings: Settings) -> None:
    document = schema(settings)
    errors = [
        (path, method, status, response)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        for status, response in operation.get("responses", {}).items()
        if status.startswith(("4", "5"))
    ]

    assert errors, "no error responses documented at all"
    for path, method, status, response in errors:
        assert list(response.get("content", {})) == ["application/problem+json"], (path, method, status)
    assert set(document["components"]["schemas"]["ProblemDetails"]["required"]) == {"type", "title", "status"}


def test_no_content_responses_document_no_body(settings: Settings) -> None:
    response = schema(settings)["paths"]["/auth/logout"]["post"]["responses"]["204"]

    assert "content" not in response


def test_admin_routes_need_a_token_and_document_the_admin_refusal(settings: Settings) -> None:
    document = schema(settings)
    operations = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        if path.startswith("/admin/")
        for method, operation in item.items()
        if isinstance(operation, dict) and method != "options"
    }

    assert {op["operationId"] for op in operations.values()} == {
        "listUsers",
        "getUser",
        "suspendUser",
        "unsuspendUser",
        "listAudit",
    }
    for key, operation in operations.items():
        assert operation["security"] == [{"bearerAuth": []}], key
        assert {"401", "403", "503"} <= set(operation["responses"]), key
        assert "admin-required" in operation["responses"]["403"]["description"], key


def test_the_suspension_body_refuses_unknown_fields_and_states_its_rules(settings: Settings) -> None:
    body = schema(settings)["components"]["schemas"]["SuspensionRequest"]

    assert body["additionalProperties"] is False
    assert body["required"] == ["reason"]
    assert (body["properties"]["reason"]["minLength"], body["properties"]["reason"]["maxLength"]) == (1, 500)
    assert "pattern" in body["properties"]["reason"]
