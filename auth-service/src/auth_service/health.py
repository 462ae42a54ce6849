"""Liveness (`/health`: the process answers) and readiness (`/ready`: MongoDB answers too)."""

import msgspec
from litestar import Controller, get
from litestar.datastructures import State

from auth_service.errors import ServiceUnavailable


class Health(msgspec.Struct):
    """Status of the process or of its dependencies."""

    status: str


class HealthController(Controller):
    """Probes for supervisors, load balancers and Kubernetes."""

    tags = ["health"]

    @get("/health")
    async def health(self) -> Health:
        """The process is up."""
        return Health(status="ok")

    @get("/ready")
    async def ready(self, state: State) -> Health:
        """MongoDB answers and the indexes exist; 503 otherwise."""
        if not await state.mongo.ping():
            raise ServiceUnavailable("MongoDB is not answering.", headers={"Retry-After": "1"})
        return Health(status="ready")
