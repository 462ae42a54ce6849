"""The two probes: `/health` always answers, `/ready` follows the check it is given and answers 503 otherwise."""

from litestar.datastructures import State
from litestar.testing import create_test_client

from service_kit.errors import EXCEPTION_HANDLERS
from service_kit.health import health_controller


def test_health_answers_ok_whatever_readiness_says() -> None:
    async def never(state: State) -> bool:
        return False

    with create_test_client([health_controller(never, "down")], exception_handlers=EXCEPTION_HANDLERS) as client:
        response = client.get("/health")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_ready_follows_the_check_and_reads_app_state() -> None:
    async def flag(state: State) -> bool:
        return bool(state.up)

    controller = health_controller(flag, "MongoDB is not answering.")
    with create_test_client([controller], exception_handlers=EXCEPTION_HANDLERS, state=State({"up": False})) as client:
        down = client.get("/ready")
        client.app.state.up = True
        up = client.get("/ready")

    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    assert down.headers["retry-after"] == "1"
    assert down.json()["detail"] == "MongoDB is not answering."
    assert (up.status_code, up.json()) == (200, {"status": "ready"})
