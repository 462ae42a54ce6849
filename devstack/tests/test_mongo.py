from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from devstack import mongo
from devstack.mongo import MongoServer, docker_available, start_mongodb, start_nx


def connect(uri: str) -> "MongoClient[dict[str, Any]]":
    return MongoClient(uri, serverSelectionTimeoutMS=2000)


def test_nx_stand_in_answers_ping_and_stops(tmp_path: Path) -> None:
    server = start_nx(tmp_path / "nx")
    pid = server.pid
    try:
        with connect(server.uri) as client:
            assert client.admin.command("ping")["ok"] == 1
    finally:
        server.stop()

    assert pid is not None
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]


def test_nx_keeps_one_file_per_database_under_its_data_dir(tmp_path: Path) -> None:
    server = start_nx(tmp_path / "nx")
    try:
        with connect(server.uri) as client:
            client["alpha"]["things"].insert_one({"_id": "a"})
            client["beta"]["things"].insert_one({"_id": "b"})
            assert client["alpha"]["things"].count_documents({}) == 1
    finally:
        server.stop()

    assert {p.name for p in (tmp_path / "nx").glob("*.db")} >= {"alpha.db", "beta.db"}


def test_acknowledged_writes_survive_a_kill_and_restart(tmp_path: Path) -> None:
    server = start_nx(tmp_path / "nx")
    try:
        with connect(server.uri) as client:
            client["db"]["c"].insert_one({"_id": "kept"})
        server.kill()
        server.restart()
        with connect(server.uri) as client:
            assert client["db"]["c"].find_one({"_id": "kept"}) == {"_id": "kept"}
    finally:
        server.stop()


def test_mongodb_uri_wins_and_nothing_is_started(tmp_path: Path, mongo_server: MongoServer) -> None:
    server = start_mongodb(tmp_path, environ={"MONGODB_URI": mongo_server.uri})

    assert server.uri == mongo_server.uri
    assert server.backend.startswith("MONGODB_URI")
    assert server.pid is None
    server.stop()  # leaves the external server alone
    with connect(mongo_server.uri) as client:
        assert client.admin.command("ping")["ok"] == 1


def test_without_a_uri_the_launcher_uses_docker_when_it_answers_else_the_stand_in(tmp_path: Path) -> None:
    # Here no Docker engine runs, so this starts nx-27017; on GitHub's runners it starts mongo:8.
    docker = docker_available()
    server = start_mongodb(tmp_path, environ={})
    try:
        with connect(server.uri) as client:
            assert client.admin.command("ping")["ok"] == 1
        if docker:
            assert server.backend.startswith("MongoDB (mongo:8")
        else:
            assert server.backend.startswith("nx-27017")
            assert server.data_dir == tmp_path / "nx"
    finally:
        server.stop()


def test_free_port_never_hands_out_a_port_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel offering the same ephemeral port again and again, as it may right after a close.
    offered = iter([40001, 40001, 40001, 40002])

    class Socket:
        def __init__(self, *args: object) -> None:
            self.port = next(offered)

        def __enter__(self) -> "Socket":
            return self

        def __exit__(self, *args: object) -> None:
            return None

        def bind(self, address: tuple[str, int]) -> None:
            return None

        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", self.port)

    monkeypatch.setattr("devstack.mongo.socket.socket", Socket)
    monkeypatch.setattr(mongo, "_handed_out", set())

    assert [mongo.free_port(), mongo.free_port()] == [40001, 40002]
