"""Schemathesis hooks for `test_schema_fuzz.py` (loaded by the CLI through `SCHEMATHESIS_HOOKS=e2e.schema_checks`):
the house rule on top of schemathesis' own checks, that every error is RFC 9457 problem details."""

from typing import Any

import schemathesis


@schemathesis.check
def problem_details(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx is `application/problem+json` with type, title and the same status."""
    if response.status_code < 400:
        return None
    content_type = ", ".join(response.headers.get("content-type", []))  # schemathesis keeps every value of a header
    assert "application/problem+json" in content_type, f"{response.status_code} with {content_type!r}"
    body = response.json()
    assert isinstance(body, dict), body
    missing = {"type", "title", "status"} - set(body)
    assert not missing, f"problem details without {sorted(missing)}: {body}"
    assert body["status"] == response.status_code, body
    return None


FEED = "/internal/profiles/changes"
LOOKUP = "/internal/profiles/lookup"


def _ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


@schemathesis.hook
def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
    """Give the stateful phase the change feed's links, where the document does not declare them itself: a page's
    `next_cursor` is the next request's `after`, and an event's `user_id` is what a consumer then looks up."""
    answer = raw_schema.get("paths", {}).get(FEED, {}).get("get", {}).get("responses", {}).get("200")
    if answer is None or answer.get("links") or LOOKUP not in raw_schema.get("paths", {}):
        return
    answer["links"] = {
        "NextPage": {"operationRef": _ref(FEED, "get"), "parameters": {"query.after": "$response.body#/next_cursor"}},
        "LookUpChanged": {
            "operationRef": _ref(LOOKUP, "post"),
            "requestBody": {"user_ids": ["$response.body#/changes/0/user_id"]},
        },
    }
