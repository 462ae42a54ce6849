"""The MongoDB command counter (by command name and collection, the driver's handshake left out) and the `/metrics`
endpoint."""

from litestar.datastructures import State
from litestar.testing import create_test_client
from prometheus_client import CollectorRegistry
from pymongo import monitoring

from service_kit.errors import EXCEPTION_HANDLERS
from service_kit.metrics import MongoCommandCounter, metrics_controller


def started(name: str, collection: str = "profiles") -> monitoring.CommandStartedEvent:
    command: dict[str, object] = {name: collection if name != "hello" else 1, "$db": "test"}
    return monitoring.CommandStartedEvent(command, "test", 1, ("127.0.0.1", 27017), 1)


def test_counts_commands_by_name_without_the_handshake() -> None:
    counter = MongoCommandCounter()

    for name in ("find", "find", "insert", "hello", "isMaster", "ismaster", "findAndModify"):
        counter.started(started(name))

    assert counter.counts == {"find": 2, "insert": 1, "findAndModify": 1}
    assert counter.total() == 4


def test_counts_each_collection_apart_and_commands_without_one_under_none() -> None:
    counter = MongoCommandCounter()
    getmore = monitoring.CommandStartedEvent(
        {"getMore": 12345, "collection": "intents", "$db": "test"}, "test", 1, ("127.0.0.1", 27017), 1
    )

    for event in (started("find"), started("find", "intents"), getmore, started("ping", "")):
        counter.started(event)

    assert counter.by_collection == {
        ("find", "profiles"): 1,
        ("find", "intents"): 1,
        ("getMore", "intents"): 1,
        ("ping", ""): 1,
    }


def test_metrics_serves_the_counter_as_a_prometheus_counter() -> None:
    counter = MongoCommandCounter()
    registry = CollectorRegistry()
    registry.register(counter)
    counter.started(started("find"))
    counter.started(started("update"))
    counter.started(started("find"))

    with create_test_client(
        [metrics_controller(lambda state: state.registry)],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"registry": registry}),
    ) as client:
        response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'mongodb_commands_total{collection="profiles",command="find"} 2.0' in response.text
    assert 'mongodb_commands_total{collection="profiles",command="update"} 1.0' in response.text


def test_metrics_refreshes_before_each_scrape() -> None:
    refreshed: list[int] = []

    async def refresh(state: State) -> None:
        refreshed.append(1)

    with create_test_client(
        [metrics_controller(lambda state: CollectorRegistry(), refresh)], exception_handlers=EXCEPTION_HANDLERS
    ) as client:
        client.get("/metrics")
        client.get("/metrics")

    assert refreshed == [1, 1]
