"""The web app's committed API types match what the running services document at /schema/openapi.json.

The same generation `make api-types` runs (devstack.openapi) is applied to the documents the real
processes serve; a difference means a service changed its API and the types were not regenerated.
"""

from pathlib import Path

import httpx
import pytest

from devstack import openapi
from e2e.stack import ROOT, Stack

SERVICES = {"auth-service": "auth", "profile-service": "profile"}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_committed_api_types_match_the_running_service(stack: Stack, service: str, tmp_path: Path) -> None:
    document = httpx.get(stack.url(SERVICES[service], "/schema/openapi.json"), timeout=10).raise_for_status().json()
    generated = tmp_path / f"{service}.ts"
    openapi.generate(document, generated, ROOT / "web")
    committed = ROOT / openapi.GENERATED / f"{service}.ts"
    assert generated.read_text() == committed.read_text(), (
        f"{committed.relative_to(ROOT)} is out of date with {service}'s OpenAPI: run `{openapi.COMMAND}`"
    )
