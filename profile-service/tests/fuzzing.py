"""Schema fuzzing in-process: the whole app over ASGI on the MongoDB stand-in, schemathesis generating requests
from its OpenAPI document (valid and invalid ones) and checking every answer with every check. Shared by the
admin and internal route fuzz tests, which differ only in the token they send and the inputs no schema can judge.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import schemathesis
from hypothesis import HealthCheck, given, settings
from litestar import Litestar
from schemathesis.checks import CheckFunction
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode
from schemathesis.python.asgi import get_client, shutdown_lifespans

from profile_service.app import create_app
from profile_service.services import build
from tests.conftest import make_settings
from tests.fakes import FakeAssets

# Per case, before it is sent: adjusts what no schema can judge and returns the checks to leave out for it.
Prepare = Callable[["schemathesis.Case[Any]"], list[CheckFunction]]


@contextmanager
def fuzzed_app(mongodb_uri: str, jwks_url: str, **overrides: Any) -> Iterator[Litestar]:
    """An app on a database of its own, its lifespan running (schemathesis keeps it running), ready to serve."""
    database = f"fuzz_{uuid.uuid4().hex[:8]}"
    configured = make_settings(mongodb_uri=mongodb_uri, database=database, auth_jwks_url=jwks_url, **overrides)
    app = create_app(services=build(configured, assets=FakeAssets()))
    # Entered, the client starts the app's lifespan (kept running until `shutdown_lifespans`).
    with get_client(cast(Any, app)) as client:
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the app never became ready"
            time.sleep(0.05)
    try:
        yield app
    finally:
        # Schemathesis keeps an app's lifespan running for the whole process; this one's MongoDB client and
        # worker must stop with the test module.
        shutdown_lifespans()


def operations(app: Litestar, path_regex: str) -> tuple[Any, set[str]]:
    """The app's schema narrowed to `path_regex`, and the labels of its operations (each must load)."""
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app).include(path_regex=path_regex)
    labels = set()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        labels.add(result.ok().label)
    return schema, labels


def fuzz(schema: Any, mode: GenerationMode, headers: dict[str, str], prepare: Prepare) -> set[str]:
    """Send generated requests of `mode` with `headers`, checking every answer; the operations reached."""
    labels: set[str] = set()

    @given(case=schema.as_strategy(mode))
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case[Any]) -> None:
        labels.add(case.operation.label)
        excluded = prepare(case)
        # The token goes into the case too (not only the call), so the checks judge the request as sent.
        for name, value in headers.items():
            case.headers[name] = value
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()
    return labels
