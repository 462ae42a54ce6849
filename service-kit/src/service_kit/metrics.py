"""Prometheus metrics every service shares: MongoDB commands by name and collection
(`mongodb_commands_total{command,collection}`), counted through PyMongo's command monitoring on the service's one
client, and the `/metrics` scrape endpoint.

Counting at the client is machine-independent (a command is a round trip to the server, whatever the server is),
so a benchmark can diff the counter around one operation and compare runs across machines.
"""

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from litestar import Controller, MediaType, Response, get
from litestar.datastructures import State
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from pymongo import monitoring

# The connection handshake and server monitoring: the driver's own traffic, not the service's work (heartbeats are
# server events and never reach a command listener; the handshake's `hello` may, on some drivers and servers).
NOT_COUNTED = frozenset({"hello", "ismaster", "isMaster"})


def _collection_of(command: Mapping[str, Any], name: str) -> str:
    # CRUD commands name their collection as the command's value; getMore names it under "collection"; the rest
    # (ping, endSessions, ...) address the database or the server, not a collection.
    value = command.get(name)
    if isinstance(value, str):
        return value
    collection = command.get("collection")
    return collection if isinstance(collection, str) else ""


class MongoCommandCounter(monitoring.CommandListener, Collector):
    """Counts `CommandStartedEvent`s by command name and collection; also a Prometheus collector reading them.

    A plain dict increment: the async client's events fire on the event loop's thread, and a Prometheus counter's
    lock would be paid on every command.
    """

    def __init__(self) -> None:
        self.by_collection: dict[tuple[str, str], int] = {}

    @property
    def counts(self) -> dict[str, int]:
        """The tallies by command name alone."""
        totals: dict[str, int] = {}
        for (name, _), count in self.by_collection.items():
            totals[name] = totals.get(name, 0) + count
        return totals

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        """Count the command, unless it is the driver's handshake."""
        name = event.command_name
        if name not in NOT_COUNTED:
            key = (name, _collection_of(event.command, name))
            self.by_collection[key] = self.by_collection.get(key, 0) + 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Nothing: a command is counted when it is sent, whatever its outcome."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Nothing: a failed command was still a round trip."""

    def total(self) -> int:
        """Every command counted so far."""
        return sum(self.by_collection.values())

    def collect(self) -> Iterator[CounterMetricFamily]:
        """One sample per (command name, collection) seen so far."""
        family = CounterMetricFamily(
            "mongodb_commands",
            "MongoDB commands sent by this process, by command name and collection",
            labels=["command", "collection"],
        )
        for (name, collection), count in sorted(self.by_collection.items()):
            family.add_metric([name, collection], count)
        yield family


RefreshGauges = Callable[[State], Awaitable[None]]


def metrics_controller(
    registry_of: Callable[[State], CollectorRegistry], refresh: RefreshGauges | None = None
) -> type[Controller]:
    """`GET /metrics` in Prometheus' text format over the registry `registry_of(state)` returns; `refresh(state)`
    runs first (gauges read at scrape time) and handles its own failures."""

    class MetricsController(Controller):
        """The Prometheus scrape endpoint."""

        tags = ["operations"]

        @get("/metrics", media_type=MediaType.TEXT, include_in_schema=False)
        async def metrics(self, state: State) -> Response[bytes]:
            """Prometheus text format."""
            if refresh is not None:
                await refresh(state)
            return Response(generate_latest(registry_of(state)), media_type=CONTENT_TYPE_LATEST)

    return MetricsController
