"""The MongoDB commands a test's code sends, in order, counted at the driver: one listener for the whole test
process (PyMongo's global listeners attach to every client created afterwards and cannot be removed), armed for
one database at a time."""

from collections.abc import Iterator
from contextlib import contextmanager

from pymongo import monitoring


class CommandRecorder(monitoring.CommandListener):
    """The commands sent to one database's request-path collections while armed. The outbox is left out: its
    worker polls it on its own schedule."""

    COLLECTIONS = ("profiles", "upload_intents", "deleted_users", "counters", "profile_changes")

    def __init__(self) -> None:
        self.database: str | None = None
        self.seen: list[tuple[str, str]] = []  # (command name, collection)
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        if event.database_name == self.database and collection in self.COLLECTIONS:
            self.seen.append((event.command_name, str(collection)))
            self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    @contextmanager
    def recording(self, database: str) -> Iterator[list[tuple[str, str]]]:
        """(command name, collection) of each command sent to `database` inside the block."""
        self.database, self.seen, self.names = database, [], []
        try:
            yield self.seen
        finally:
            self.database = None

    @contextmanager
    def counting(self, database: str) -> Iterator[list[str]]:
        """The name of each command sent to `database` inside the block."""
        with self.recording(database):
            yield self.names


COMMANDS = CommandRecorder()
monitoring.register(COMMANDS)
