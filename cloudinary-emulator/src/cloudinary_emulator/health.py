"""Liveness (`/health`) and readiness (`/ready`: the data directory is writable)."""

import os

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException


class Health(msgspec.Struct):
    """Status of the process or of its storage."""

    status: str


class HealthController(Controller):
    """Probes for supervisors and tests."""

    tags = ["health"]

    @get("/health")
    async def health(self) -> Health:
        """The process is up."""
        return Health(status="ok")

    @get("/ready")
    async def ready(self, state: State) -> Health:
        """The data directory exists and is writable; 503 otherwise."""
        if not os.access(state.settings.data_dir, os.W_OK):
            raise HTTPException(status_code=503, detail="The data directory is not writable.")
        return Health(status="ready")
