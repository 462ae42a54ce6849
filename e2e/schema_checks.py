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
