"""The hot routes resolve their dependencies one after another (service_kit.dependencies says why)."""

from auth_service.app import create_app
from auth_service.config import Settings
from service_kit.dependencies import concurrent_dependencies

HOT = {("POST", "/auth/refresh"), ("GET", "/auth/me"), ("GET", "/.well-known/jwks.json")}


def test_no_hot_route_resolves_dependencies_in_a_task_group(settings: Settings) -> None:
    app = create_app(settings)
    routes = {(method, route.path) for route in app.routes for method in getattr(route, "route_handler_map", {})}

    assert routes >= HOT, HOT - routes
    assert {route: sets for route, sets in concurrent_dependencies(app).items() if route in HOT} == {}
