"""Benchmark: what one MongoDB command costs the server and the client, by kind, with no HTTP in the way.

Issue 16's rotation and webhook-burst goals are bound here by the database: the nx-27017 stand-in is a Python,
SQLite-backed server that handles one command at a time. This measures that directly. ROUNDS sequential
commands of each kind go through a bare `AsyncMongoClient` against a fresh database with auth-service's real
indexes, and each side's CPU per command is reported: the server's from /proc, this process's from
`time.process_time`. The kinds:
- the account read of every refresh, `find` by `_id` on `users`;
- a rotation's compare-and-set, `FamilyRepository.rotate` itself, on a family whose spent list is full;
- a sign-in's family `insert`, `FamilyRepository.create`;
- the webhook's first command, `IntentRepository.by_public_id`, on `upload_intents` (profile-service's real
  indexes, one of them a TTL index) holding 100 and then 4,000 intents. The stand-in enforces a TTL index by two
  purge deletes on every access to the collection (neosqlite's `_auto_purge_ttl`), whose cost grows with the
  collection; real MongoDB purges in a background task once a minute. The `profile webhook notifications
  applied` row of `profile_service` runs with ~4,000-9,000 intents signed before it, hence its low rate.

One command at a time is the upper end of what a command costs the stand-in: under concurrent load it spends
less per command (in `auth_tokens`' rotation phase, 860-1,130 µs per rotation against the 1,300-1,400 µs these
rows add up to), so these rows say what each kind costs relative to the others, and `auth_tokens` and
`webhook_burst` give the cost under load. With `MONGODB_URI` (a real server, whose CPU is not ours to read) only
the client side is reported. Run: `uv run python -m bench.standin_commands`.
"""

import asyncio
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from pymongo import AsyncMongoClient

from auth_service.sessions import repository as sessions
from auth_service.sessions.repository import SPENT_KEPT, FamilyRepository
from auth_service.sessions.schemas import Family
from auth_service.users import repository as users
from bench.cpu import cpu_seconds
from bench.measure import Row, save
from devstack.mongo import MongoServer, start_mongodb
from profile_service.avatars import intents as intents_module
from profile_service.avatars.intents import IntentRepository, new_intent

ROUNDS = 2000
ACCOUNTS = 200  # distinct documents the commands cycle through, so no one document is hot
INTENTS = (100, 4000)  # upload_intents' sizes for the webhook's lookup


class Kind:
    """One kind of command: `run(i)` sends the i-th one."""

    def __init__(self, name: str, run: Callable[[int], Awaitable[None]]) -> None:
        self.name = name
        self.run = run


async def measure(server: MongoServer, kinds: list[Kind]) -> dict[str, dict[str, float | None]]:
    """Microseconds of server and client CPU per command of each kind (server: None when not ours to read)."""
    results: dict[str, dict[str, float | None]] = {}
    for kind in kinds:
        for i in range(ROUNDS // 10):  # warm-up: caches, the pool's connection, SQLite's pages
            await kind.run(i)
        server_before = cpu_seconds(server.pid) if server.pid else None
        client_before, wall_before = time.process_time(), time.perf_counter()
        for i in range(ROUNDS):
            await kind.run(i)
        wall = time.perf_counter() - wall_before
        client = time.process_time() - client_before
        server_cpu = None if server_before is None or server.pid is None else cpu_seconds(server.pid) - server_before
        results[kind.name] = {
            "server_us": None if server_cpu is None else round(server_cpu / ROUNDS * 1e6, 1),
            "client_us": round(client / ROUNDS * 1e6, 1),
            "wall_us": round(wall / ROUNDS * 1e6, 1),
        }
    return results


async def run_against(server: MongoServer) -> dict[str, dict[str, float | None]]:
    """Set up the documents and indexes, then measure every kind."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(server.uri, tz_aware=True)
    db = client["bench_standin"]
    try:
        await client.drop_database("bench_standin")
        await users.create_indexes(db)
        await sessions.create_indexes(db)
        families = FamilyRepository(db[sessions.FAMILIES])
        now = datetime.now(UTC)
        await db["users"].insert_many(
            [
                {"_id": f"u{n}", "email": f"u{n}@example.com", "username": f"u{n}", "role": "user", "status": "active"}
                for n in range(ACCOUNTS)
            ]
        )
        current: dict[str, str] = {}
        for n in range(ACCOUNTS):
            spent = [secrets.token_hex(32) for _ in range(SPENT_KEPT)]
            family = Family(
                id=f"f{n}",
                user_id=f"u{n}",
                created_at=now,
                expires_at=now + timedelta(days=30),
                token_hash=secrets.token_hex(32),
                spent_hashes=spent,
            )
            await families.create(family)
            current[family.id] = family.token_hash or ""

        async def read_account(i: int) -> None:
            assert await db["users"].find_one({"_id": f"u{i % ACCOUNTS}"}) is not None

        async def rotate(i: int) -> None:
            family_id, new_hash = f"f{i % ACCOUNTS}", secrets.token_hex(32)
            assert await families.rotate(family_id, current[family_id], new_hash, now) is not None
            current[family_id] = new_hash

        async def sign_in(i: int) -> None:
            await families.create(
                Family(
                    id=secrets.token_hex(8),
                    user_id=f"u{i % ACCOUNTS}",
                    created_at=now,
                    expires_at=now + timedelta(days=30),
                    token_hash=secrets.token_hex(32),
                )
            )

        kinds = [
            Kind("find by _id (the account read)", read_account),
            Kind("compare-and-set (a rotation)", rotate),
            Kind("insert (a sign-in's family)", sign_in),
        ]
        results = await measure(server, kinds)
        await intents_module.create_indexes(db)
        intents = IntentRepository(db, lambda: now)
        for size in INTENTS:
            await fill_intents(db, size, now)

            async def lookup(i: int, size: int = size) -> None:
                n = i % size
                assert await intents.by_public_id(f"avatars/u{n % ACCOUNTS}/{n:024x}") is not None

            results |= await measure(server, [Kind(f"find by public_id (the webhook's first), {size} intents", lookup)])
        return results
    finally:
        await client.drop_database("bench_standin")
        await client.close()


async def fill_intents(db: Any, size: int, now: datetime) -> None:
    """`upload_intents` up to `size` pending intents, as signing stores them (inserted in bulk: the stand-in's
    purge on each access would make one insert at a time the slow part of the run)."""
    have = await db["upload_intents"].count_documents({})
    docs = [
        msgspec.to_builtins(
            new_intent(
                intent_id=f"{n:024x}",
                user_id=f"u{n % ACCOUNTS}",
                public_id=f"avatars/u{n % ACCOUNTS}/{n:024x}",
                seq=n,
                created_at=now,
                ttl_seconds=3600,
                retention_days=30,
            ),
            builtin_types=(datetime,),
        )
        for n in range(have, size)
    ]
    if docs:
        await db["upload_intents"].insert_many(docs)


def main() -> list[Row]:
    """Measure against a fresh server (or MONGODB_URI), save, and return the rows."""
    with tempfile.TemporaryDirectory(prefix="bench-standin-") as tmp:
        server = start_mongodb(Path(tmp) / "mongo")
        try:
            results = asyncio.run(run_against(server))
        finally:
            server.stop()
    rows = []
    for name, cost in results.items():
        measured = cost["server_us"] if cost["server_us"] is not None else cost["client_us"]
        side = "server" if cost["server_us"] is not None else "client (server not measurable)"
        rows.append(
            Row(
                name=f"{server.backend.split()[0]} command: {name}, {side} CPU",
                value=float(measured or 0.0),
                unit="us",
                baseline=f"client {cost['client_us']} us, wall {cost['wall_us']} us per command, {ROUNDS} in turn",
            )
        )
    save("standin_commands", {"backend": server.backend, "rounds": ROUNDS, "results": results, "rows": rows})
    return rows


if __name__ == "__main__":
    from bench.measure import table

    print(table(main()))
