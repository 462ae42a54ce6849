"""The emulator's long-lived parts, built once per app and reached from handlers through `state.emulator`."""

import time

from cloudinary_emulator.config import Account, Settings
from cloudinary_emulator.faults import Faults
from cloudinary_emulator.notifications import Notifier
from cloudinary_emulator.storage import Storage
from cloudinary_emulator.uploads.chunks import ChunkStore
from service_kit.tracing import Tracing


class Emulator:
    """Settings, account, storage, notifier and fault switches."""

    def __init__(self, settings: Settings, tracing: Tracing | None = None) -> None:
        self.settings = settings
        # Off unless the OTEL_* environment exports somewhere; tests pass an in-memory one.
        self.tracing = tracing or Tracing.from_env("cloudinary-emulator")
        self.account: Account = settings.account()
        self.base_url = settings.base_url()
        self.storage = Storage(settings.data_dir)
        self.chunks = ChunkStore(self.storage.root, settings.max_image_bytes)
        self.faults = Faults(dict(settings.faults))
        self.notifier = Notifier(
            secret=self.account.api_secret,
            algorithm=settings.signature_algorithm,
            retry_delays=settings.notification_retry_delays,
            time_scale=settings.notification_time_scale,
            timeout=settings.notification_timeout,
            faults=self.faults,
            tracing=self.tracing,
        )
        self._admin_calls: dict[int, int] = {}

    @property
    def max_pixels(self) -> int:
        """The megapixel limit in pixels."""
        return int(self.settings.max_megapixels * 1_000_000)

    def count_admin_call(self) -> tuple[int, int, int]:
        """(limit, remaining, reset epoch) of the hourly Admin API budget, reported like Cloudinary's headers."""
        hour = int(time.time()) // 3600
        used = self._admin_calls.get(hour, 0) + 1
        self._admin_calls = {hour: used}
        limit = 500
        return limit, max(limit - used, 0), (hour + 1) * 3600
