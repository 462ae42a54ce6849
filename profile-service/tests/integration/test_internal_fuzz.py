"""Schema fuzzing of the internal routes (`/internal/*`: the lookup, the change feed, the account deletion) with a
service token granting `profiles:read` and `profiles:delete` (`tests/fuzzing.py`: every check, valid and invalid
requests, the whole app on the MongoDB stand-in)."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from litestar import Litestar
from schemathesis.checks import CheckFunction
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import JwksServer, SigningKey, auth, mint
from tests.fuzzing import fuzz, fuzzed_app, operations


@pytest.fixture(scope="module")
def app(mongodb_uri: str, jwks_server: JwksServer) -> Iterator[Litestar]:
    with fuzzed_app(mongodb_uri, jwks_server.url) as running:
        yield running


@pytest.fixture(scope="module")
def service_headers(signing_key: SigningKey) -> dict[str, str]:
    scope = "profiles:read profiles:delete"
    return auth(mint(signing_key, "comments-service", aud="profile-service-internal", scope=scope, username=None))


def prepare(case: schemathesis.Case[Any]) -> list[CheckFunction]:
    query = case.query or {}
    wait = query.get("wait")
    if isinstance(wait, int | float) and not isinstance(wait, bool) and 0 < wait <= 30:
        # A long poll of an empty feed lasts `wait`: a valid value all the same, without the waiting.
        query["wait"] = 0
    # A cursor of the right shape may still be older than the retention: the documented 410, for a reason no
    # schema can state (the time inside it). Every other check runs.
    return [positive_data_acceptance] if "after" in query else []


# One test, the cases from schemathesis' Hypothesis strategy: see `test_admin_fuzz.py` for why (pytest 9, one
# lifespan per app, the `random` deprecation warning).
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_internal_routes_answer_every_generated_request_per_their_schema(
    app: Litestar, service_headers: dict[str, str]
) -> None:
    schema, labels = operations(app, "^/internal/")
    assert len(labels) == 3, labels

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        assert fuzz(schema, mode, service_headers, prepare) == labels, mode
