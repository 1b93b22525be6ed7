"""CPU per database session and statement, SQLite in the event loop (models/inline_sqlite.py)
against plain aiosqlite: `uv run python -m bench.dbcost` (docs/PERFORMANCE.md)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import Session

from models import botstate, updates
from models.db import (
    make_engine,
    make_session_factory,
    run_transaction,
    session_scope,
    upgrade_database,
)

ROUNDS = 2000


async def _per_round(fn: Callable[[int], Awaitable[None]]) -> float:
    started = time.process_time()
    for n in range(ROUNDS):
        await fn(n)
    return (time.process_time() - started) / ROUNDS * 1e6


def _aiosqlite_engine(path: Path) -> AsyncEngine:
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 30}, pool_size=1
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _wal(dbapi_conn, _record):
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


async def measure(engine: AsyncEngine) -> dict[str, float]:
    factory = make_session_factory(engine)

    def read(session: Session, owner: int) -> None:
        botstate.read_data(session=session, kind="user", owner_id=owner)

    async def empty(n: int) -> None:
        async with session_scope(factory):
            pass

    async def one_read(n: int) -> None:
        await run_transaction(factory, lambda s: read(s, n))

    async def three_reads(n: int) -> None:
        def reads(session: Session) -> None:
            for _ in range(3):
                read(session, n)

        await run_transaction(factory, reads)

    async def claim(n: int) -> None:
        await run_transaction(
            factory, lambda s: updates.claim_update(session=s, update_id=n, at=datetime.now(UTC))
        )

    return {
        "empty session": await _per_round(empty),
        "session + 1 query": await _per_round(one_read),
        "session + 3 queries": await _per_round(three_reads),
        "session + 1 insert (claim an update id)": await _per_round(claim),
    }


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="itda-dbcost-") as tmp:
        results: dict[str, dict[str, float]] = {}
        for name, make in (
            ("in the event loop", lambda p: make_engine(f"sqlite+aiosqlite:///{p}")),
            ("aiosqlite", _aiosqlite_engine),
        ):
            path = Path(tmp) / f"{name.replace(' ', '-')}.db"
            engine = make(path)
            await upgrade_database(engine)
            results[name] = await measure(engine)
            await engine.dispose()
    names = list(results)
    print(f"{'CPU per round, µs':42}" + "".join(f"{n:>20}" for n in names))
    for row in results[names[0]]:
        print(f"{row:42}" + "".join(f"{results[n][row]:>20.0f}" for n in names))


if __name__ == "__main__":
    asyncio.run(main())
