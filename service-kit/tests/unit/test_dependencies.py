"""`concurrent_dependencies` on tiny apps: which handlers Litestar resolves dependencies of in a task group."""

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from service_kit.dependencies import concurrent_dependencies


def provide_a() -> str:
    return "a"


def provide_b() -> int:
    return 1


async def provide_c(a: NamedDependency[str]) -> str:
    return a + "c"


@get("/two", sync_to_thread=False)
def two(a: NamedDependency[str], b: NamedDependency[int]) -> str:
    return a * b


@get("/chain", sync_to_thread=False)
def chain(c: NamedDependency[str]) -> str:
    return c


@get("/state", sync_to_thread=False)
def from_state(a: NamedDependency[str], state: State) -> str:
    return a


def app() -> Litestar:
    return Litestar(
        [two, chain, from_state],
        dependencies={
            "a": Provide(provide_a, sync_to_thread=False),
            "b": Provide(provide_b, sync_to_thread=False),
            "c": Provide(provide_c),
        },
    )


def test_independent_dependencies_of_one_handler_are_reported_together() -> None:
    assert concurrent_dependencies(app())[("GET", "/two")] == [frozenset({"a", "b"})]


def test_a_chain_of_dependencies_and_state_are_resolved_one_after_another() -> None:
    found = concurrent_dependencies(app())

    assert ("GET", "/chain") not in found
    assert ("GET", "/state") not in found
