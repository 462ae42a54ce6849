"""The hot routes resolve their dependencies one after another (service_kit.dependencies says why)."""

from profile_service.app import create_app
from profile_service.config import Settings
from service_kit.dependencies import concurrent_dependencies

# The upload path (sign, the status polls, confirm, Cloudinary's notifications) and the two hot reads.
HOT = {
    ("POST", "/profiles/me/avatar/uploads"),
    ("GET", "/profiles/me/avatar/uploads/{upload_id:str}"),
    ("POST", "/profiles/me/avatar/uploads/{upload_id:str}/confirm"),
    ("POST", "/webhooks/cloudinary"),
    ("GET", "/profiles/me"),
    ("GET", "/profiles/{username:str}"),
}


def test_no_hot_route_resolves_dependencies_in_a_task_group(settings: Settings) -> None:
    app = create_app(settings)
    routes = {(method, route.path) for route in app.routes for method in getattr(route, "route_handler_map", {})}

    assert routes >= HOT, HOT - routes
    assert {route: sets for route, sets in concurrent_dependencies(app).items() if route in HOT} == {}
