"""Which routes pay for Litestar resolving their dependencies concurrently.

Litestar resolves the independent dependencies of a handler (those of one level of its dependency graph) in an
anyio task group of their own, one task each, on every request. For providers that only look a service up on
`state` that is pure cost: measured on profile-service's upload path, ~4 ms of CPU per upload of ~18
(bench/README.md, "The seeds' way"). Hot routes declare at most one dependency per level and take the rest from
`state`; their tests keep it so with `concurrent_dependencies`.
"""

from litestar import Litestar
from litestar.routes import HTTPRoute


def concurrent_dependencies(app: Litestar) -> dict[tuple[str, str], list[frozenset[str]]]:
    """Every (method, path) whose handler has dependencies Litestar resolves together in a task group, with the
    names of each such set; a route absent from the answer resolves its dependencies one after another."""
    found: dict[tuple[str, str], list[frozenset[str]]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (_, kwargs_model) in route.route_handler_map.items():
            together = [frozenset(d.key for d in batch) for batch in kwargs_model.dependency_batches if len(batch) > 1]
            if together:
                found[(method, route.path)] = together
    return found
