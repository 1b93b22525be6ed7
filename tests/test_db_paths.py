"""The per-update database paths: SQLite in the event loop (models/inline_sqlite.py), batched
persistence writes, and updates waiting for their chat's turn without taking a place."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Session
from telegram import Chat, Message, Update, User

from adapters.persistence import DatabasePersistence
from adapters.updates import PerChatUpdateProcessor
from models import botstate, inline_sqlite
from models.db import (
    make_engine,
    make_session_factory,
    run_transaction,
    upgrade_database,
)
from models.inline_sqlite import InlineConnection


@contextlib.contextmanager
def write_locked(path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's write lock on the database (as a CLI command's transaction holds it),
    released at the end even when the test fails, so no statement is left waiting for it."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
    finally:
        if other.in_transaction:
            other.execute("COMMIT")
        other.close()


def checked_out(engine: AsyncEngine) -> list[InlineConnection]:
    """Every inline connection the engine hands out from now on."""
    seen: list[InlineConnection] = []

    def record(dbapi_connection: Any, *_: Any) -> None:
        seen.append(dbapi_connection.driver_connection)

    event.listen(engine.sync_engine, "checkout", record)
    return seen


async def until(condition: Callable[[], bool]) -> None:
    """Wait for `condition` (the bound only turns a hang into a failure)."""
    async with asyncio.timeout(60):
        while not condition():  # noqa: ASYNC110 - a thread's state, no event to wait on
            await asyncio.sleep(0.001)


@pytest.fixture
async def database(tmp_path: Path):
    path = tmp_path / "itda.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade_database(engine)
    yield path, engine, make_session_factory(engine)
    await engine.dispose()


async def test_sqlite_file_runs_in_the_event_loop(database) -> None:
    path, engine, factory = database
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection)
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        synchronous = (await conn.execute(text("PRAGMA synchronous"))).scalar()
        busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
        keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
    assert (mode, synchronous, busy, keys) == ("wal", 1, 0, 1)  # 1: NORMAL


async def test_a_locked_database_waits_in_a_thread_not_in_the_loop(database) -> None:
    """Another process holds the write lock: the bot's write waits for it without stopping the
    event loop, and goes through once the lock is released."""
    path, engine, factory = database
    connections = checked_out(engine)
    ticks = 0  # counted only while the write waits for the lock in its thread

    async def write() -> None:
        await run_transaction(
            factory,
            lambda s: botstate.save_data(session=s, kind="user", owner_id=7, data={"a": 1}),
        )

    with write_locked(path) as other:
        writing = asyncio.create_task(write())
        await until(lambda: any(c.in_thread for c in connections))
        # A statement waiting in the event loop would hold it up until the lock is released,
        # which happens only after these ticks: so they prove the loop kept running, on a
        # machine of any speed.
        while ticks < 20:
            assert not writing.done(), "the write must wait for the other connection's lock"
            ticks += 1
            await asyncio.sleep(0.001)
        assert not writing.done() and any(c.in_thread for c in connections)
        other.execute("COMMIT")
        await writing
    stored = await run_transaction(
        factory, lambda s: botstate.read_data(session=s, kind="user", owner_id=7)
    )
    assert stored == {"a": 1}


ROUNDS = 50  # each round a new interleaving of the thread and the event loop


@pytest.mark.parametrize("action", ["close", "rollback", "stop"])
async def test_closing_under_a_statement_that_waits_in_a_thread_waits_for_it(
    tmp_path: Path, action: str
) -> None:
    """While a statement waits in its thread for another process's lock, the event loop closes
    or rolls back the same connection (as a failing test's teardown or a cancelled update does),
    or the garbage collector stops it. Before issue 19 this closed the connection under the
    running sqlite3 call (a segmentation fault) or blocked the event loop on SQLite's lock; now
    the close and the rollback wait for the thread without holding up the loop, and `stop()`
    leaves the closing to the thread."""
    path = tmp_path / "itda.db"
    with contextlib.closing(sqlite3.connect(path)) as setup:
        setup.execute("CREATE TABLE t (n INTEGER)")
    for n in range(ROUNDS):
        connection = await inline_sqlite.connect(str(path))
        with write_locked(path) as other:
            cursor = await connection.cursor()
            writing = asyncio.create_task(cursor.execute("INSERT INTO t VALUES (?)", (n,)))
            await until(lambda: connection.in_thread)  # noqa: B023 - awaited in this round
            acting: asyncio.Task[None] | None = None
            if action == "stop":
                connection.stop()  # synchronous, as SQLAlchemy's garbage-collector path calls it
            else:
                acting = asyncio.create_task(getattr(connection, action)())
            for _ in range(5):
                await asyncio.sleep(0)  # the loop goes round: the close waits, it does not block
            assert acting is None or not acting.done(), f"round {n}: {action} did not wait"
            assert not writing.done() and connection.in_thread
            other.execute("COMMIT")
            await writing  # the statement ended in its thread, on an open connection
            if acting is not None:
                await acting
        assert not connection.in_thread
        if action == "rollback":
            await cursor.execute("SELECT count(*) FROM t")
            assert await cursor.fetchall() == [(0,)], "the rollback undid the insert after it"
            await connection.close()
        with pytest.raises(sqlite3.ProgrammingError):
            connection.raw.execute("SELECT 1")  # closed, by the loop or by the thread
    with contextlib.closing(sqlite3.connect(path)) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone() == (0,)  # nothing committed


@pytest.mark.parametrize("cancels", [1, 2])
async def test_disposing_and_cancelling_while_a_write_waits_in_a_thread(
    database, cancels: int
) -> None:
    """What a test that fails with a write still waiting leaves behind: the fixture disposes
    the engine, then the event loop's teardown cancels the write (once; twice makes the session
    roll back and close while the thread still holds its connection). Nothing crashes, the
    event loop keeps running, and the engine works afterwards."""
    path, engine, factory = database
    connections = checked_out(engine)
    for n in range(ROUNDS):

        def save(s: Session, n: int = n) -> None:
            botstate.save_data(session=s, kind="user", owner_id=n, data={"n": n})

        with write_locked(path) as other:
            writing = asyncio.create_task(run_transaction(factory, save))
            await until(lambda: any(c.in_thread for c in connections))
            await engine.dispose()
            for _ in range(cancels):
                writing.cancel()
                for _ in range(5):
                    await asyncio.sleep(0)
            assert not writing.done(), f"round {n}: the cancelled write left its thread running"
            other.execute("COMMIT")
            with pytest.raises(asyncio.CancelledError):
                await writing
        assert not any(c.in_thread for c in connections)
    await run_transaction(factory, lambda s: botstate.save_data(
        session=s, kind="user", owner_id=ROUNDS, data={"n": ROUNDS}))
    stored = await run_transaction(factory, lambda s: [
        botstate.read_data(session=s, kind="user", owner_id=n) for n in range(ROUNDS + 1)])
    # A write cancelled before its commit left nothing: only the last write is stored.
    assert stored == [None] * ROUNDS + [{"n": ROUNDS}]


async def test_batched_writes_land_together_at_the_end(database) -> None:
    _path, _engine, factory = database
    persistence = DatabasePersistence(factory)

    async def stored(owner: int) -> dict | None:
        return await run_transaction(
            factory, lambda s: botstate.read_data(session=s, kind="user", owner_id=owner)
        )

    async with persistence.batched():
        await persistence.update_user_data(1, {"draft": {"i": 1}})
        await persistence.update_conversation("opening", (1, 1), 2)
        async with persistence.batched():  # a nested block joins the outer one
            await persistence.update_user_data(2, {"lang": "en"})
        assert await stored(1) is None and await stored(2) is None  # nothing written yet
    assert await stored(1) == {"draft": {"i": 1}} and await stored(2) == {"lang": "en"}
    assert await persistence.get_conversations("opening") == {(1, 1): 2}
    # An error inside the block still writes what was handed over before it.
    with pytest.raises(RuntimeError):
        async with persistence.batched():
            await persistence.update_user_data(1, {"draft": {"i": 2}})
            raise RuntimeError("handler failed")
    assert await stored(1) == {"draft": {"i": 2}}
    # The conversation ends: its row goes.
    await persistence.update_conversation("opening", (1, 1), None)
    assert await persistence.get_conversations("opening") == {}


async def test_waiting_for_a_chat_turn_takes_no_place() -> None:
    """One person's queued taps do not hold the places other chats need."""
    processor = PerChatUpdateProcessor(max_concurrent_updates=2)
    release = asyncio.Event()
    done: list[str] = []

    async def handle(name: str, wait: bool) -> None:
        if wait:
            await release.wait()
        done.append(name)

    def update(chat: int) -> Update:
        person = User(chat, "staff", False)
        message = Message(chat, datetime.now(UTC), Chat(chat, "private"), from_user=person)
        return Update(chat, message=message)

    first = asyncio.create_task(processor.process_update(update(1), handle("a1", True)))
    queued = [
        asyncio.create_task(processor.process_update(update(1), handle(f"a{n}", False)))
        for n in (2, 3, 4)
    ]
    await asyncio.sleep(0.05)
    other = asyncio.create_task(processor.process_update(update(2), handle("b1", False)))
    await asyncio.wait_for(other, 30)  # served although chat 1 has three updates waiting
    assert done == ["b1"]
    release.set()
    await asyncio.gather(first, *queued)
    assert done == ["b1", "a1", "a2", "a3", "a4"]  # chat 1 still in order


async def test_autocommit_isolation_works_on_the_inline_connection(database) -> None:
    """SQLAlchemy sets the isolation level through aiosqlite's call queue: it works here too."""
    _path, engine, _factory = database
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(
            text("INSERT INTO processedupdate (update_id, at) VALUES (1, '2026-01-01')")
        )
    async with engine.connect() as conn:
        found = (await conn.execute(text("SELECT count(*) FROM processedupdate"))).scalar()
    assert found == 1
