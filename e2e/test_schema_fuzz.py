"""Schema fuzzing with schemathesis against both services' own OpenAPI documents, over the real processes:
generated requests (valid and invalid) to every operation, with a real access token from auth-service.
Every answer must be below 500, match its documented schema and content type, and every error must be
RFC 9457 problem details (`application/problem+json` with `type`, `title`, `status` equal to the status)."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.core.result import Ok

from devstack.mongo import MongoServer
from e2e.conftest import running_stack
from e2e.evidence import server_errors
from e2e.pipeline import User, register
from e2e.stack import Stack

EXAMPLES = 12  # per operation, in make test
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def fuzzed(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own (fuzzing creates accounts and may lock some out)."""
    with running_stack(mongo_server, tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def user(fuzzed: Stack) -> User:
    """A real account; its access token authenticates the generated requests."""
    return register(fuzzed)


def problem_details(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx is `application/problem+json` with type, title and the same status."""
    if response.status_code < 400:
        return None
    content_type = str(response.headers.get("content-type", ""))
    assert "application/problem+json" in content_type, f"{response.status_code} with {content_type!r}"
    body = response.json()
    assert isinstance(body, dict), body
    missing = {"type", "title", "status"} - set(body)
    assert not missing, f"problem details without {sorted(missing)}: {body}"
    assert body["status"] == response.status_code, body
    return None


def fuzz(stack: Stack, service: str, user: User) -> list[str]:
    """EXAMPLES generated requests (valid and invalid) per operation; returns one entry per failing operation."""
    schema = schemathesis.openapi.from_url(stack.url(service, "/schema/openapi.json"))
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"{service}: an operation its OpenAPI describes unusably: {result.err()}"
        operation = result.ok()
        operations += 1
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def call(case: Any) -> None:
            case.call_and_validate(
                base_url=stack.url(service),
                headers=user.headers,
                checks=CHECKS,
                additional_checks=[problem_details],
                timeout=30,
            )

        try:
            call()
        except (Exception, BaseExceptionGroup) as exc:  # every operation is fuzzed; all failures reported together
            failures.append(f"{service} {operation.method.upper()} {operation.path}: {exc}"[:3000])
    assert operations >= 5, f"{service}: only {operations} operations in its OpenAPI document"
    return failures


def test_profile_service_answers_every_generated_request_per_its_schema(fuzzed: Stack, user: User) -> None:
    failures = fuzz(fuzzed, "profile", user)
    assert failures == [], "\n\n".join(failures)


def test_auth_service_answers_every_generated_request_per_its_schema(fuzzed: Stack, user: User) -> None:
    failures = fuzz(fuzzed, "auth", user)
    assert failures == [], "\n\n".join(failures)


def test_fuzzing_left_no_server_error_in_the_logs(fuzzed: Stack) -> None:
    # Runs after the fuzzing tests of this module: a 500 swallowed into a 4xx would still show up here.
    assert httpx.get(fuzzed.url("profile", "/health"), timeout=10).status_code == 200
    assert server_errors(fuzzed) == []
