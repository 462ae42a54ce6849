"""Liveness (`/health`: the process answers) and readiness (`/ready`: what the service depends on answers too)."""

from collections.abc import Awaitable, Callable

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException

ReadinessCheck = Callable[[State], Awaitable[bool]]


class Health(msgspec.Struct):
    """Status of the process or of its dependencies."""

    status: str


def health_controller(is_ready: ReadinessCheck, not_ready: str) -> type[Controller]:
    """The two probes; `/ready` answers 503 with `not_ready` as its detail while `is_ready(state)` is false.

    The 503 is a plain `HTTPException`, so each app answers it in its own error format (problem details in the
    services, Cloudinary's shape in the emulator).
    """

    class HealthController(Controller):
        """Probes for supervisors, load balancers and Kubernetes."""

        tags = ["health"]

        @get("/health", operation_id="getHealth")
        async def health(self) -> Health:
            """The process is up."""
            return Health(status="ok")

        @get("/ready", operation_id="getReadiness")
        async def ready(self, state: State) -> Health:
            """The service's dependencies answer; 503 otherwise."""
            if not await is_ready(state):
                raise HTTPException(status_code=503, detail=not_ready, headers={"Retry-After": "1"})
            return Health(status="ready")

    return HealthController
