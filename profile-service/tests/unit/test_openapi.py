from typing import Any

from profile_service.app import create_app
from profile_service.config import Settings


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
    response = schema(settings)["paths"]["/profiles/me/avatar"]["delete"]["responses"]["204"]

    assert "content" not in response


def test_the_lookup_documents_the_pattern_of_each_user_id(settings: Settings) -> None:
    user_ids = schema(settings)["components"]["schemas"]["ProfileLookup"]["properties"]["user_ids"]

    # Without it the document allowed `[""]`, which the server refuses with 400 (found by schema fuzzing).
    assert user_ids["items"]["pattern"].startswith("^[A-Za-z0-9_-]{1,64}")
    assert (user_ids["minItems"], user_ids["maxItems"]) == (1, 100)


def test_the_avatar_policy_describes_every_field(settings: Settings) -> None:
    policy = schema(settings)["components"]["schemas"]["AvatarPolicy"]

    assert "upload_long_edge" in policy["required"]
    undescribed = [name for name, field in policy["properties"].items() if not field.get("description")]
    assert undescribed == []
