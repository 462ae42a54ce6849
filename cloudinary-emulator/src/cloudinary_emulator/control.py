"""Emulator-only endpoints under `/_emulator/`: fault switches and the notification log. Not part of Cloudinary."""

from typing import Any

from litestar import Controller, delete, get, post, put
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import JSONBody

from cloudinary_emulator.context import Emulator
from cloudinary_emulator.faults import FaultError, FaultSettings
from cloudinary_emulator.notifications import Notification


class ControlController(Controller):
    """Test hooks; never reachable on real Cloudinary, so code under test must not depend on them."""

    path = "/_emulator"
    tags = ["emulator"]

    @get("/faults")
    async def get_faults(self, state: State) -> FaultSettings:
        """The current fault switches."""
        emulator: Emulator = state.emulator
        return emulator.faults.current

    @put("/faults")
    async def put_faults(self, state: State, data: JSONBody[dict[str, Any]]) -> FaultSettings:
        """Change some switches (a partial document); the others keep their values."""
        emulator: Emulator = state.emulator
        try:
            return emulator.faults.update(data)
        except FaultError as exc:
            raise ValidationException(detail=str(exc)) from None

    @delete("/faults", status_code=204)
    async def reset_faults(self, state: State) -> None:
        """Back to the start-up defaults (EMULATOR_FAULTS)."""
        emulator: Emulator = state.emulator
        emulator.faults.reset()

    @get("/notifications")
    async def notifications(self, state: State) -> list[Notification]:
        """Every notification sent (or dropped) since start or the last clear, oldest first."""
        emulator: Emulator = state.emulator
        return list(emulator.notifier.log)

    @delete("/notifications", status_code=204)
    async def clear_notifications(self, state: State) -> None:
        """Forget the notification log."""
        emulator: Emulator = state.emulator
        emulator.notifier.clear()

    @post("/reset", status_code=204)
    async def reset(self, state: State) -> None:
        """Faults back to defaults and an empty notification log (stored assets stay)."""
        emulator: Emulator = state.emulator
        emulator.faults.reset()
        emulator.notifier.clear()
