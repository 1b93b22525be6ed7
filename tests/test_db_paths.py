"""The per-update database paths: SQLite in the event loop (models/inline_sqlite.py), batched
persistence writes, and updates waiting for their chat's turn without taking a place."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from telegram import Chat, Message, Update, User

from adapters.persistence import DatabasePersistence
from adapters.updates import PerChatUpdateProcessor
from models import botstate
from models.db import (
    make_engine,
    make_session_factory,
    run_transaction,
    upgrade_database,
)
from models.inline_sqlite import InlineConnection


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
    path, _engine, factory = database
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the write lock, as a CLI command's transaction holds it
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> None:
        await run_transaction(
            factory,
            lambda s: botstate.save_data(session=s, kind="user", owner_id=7, data={"a": 1}),
        )

    ticking = asyncio.create_task(ticker())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.4)
    assert not writing.done(), "the write must wait for the other connection's lock"
    assert ticks >= 20, f"the event loop kept running while the write waited ({ticks} ticks)"
    other.execute("COMMIT")
    await asyncio.wait_for(writing, 5)
    stop.set()
    await ticking
    other.close()
    stored = await run_transaction(
        factory, lambda s: botstate.read_data(session=s, kind="user", owner_id=7)
    )
    assert stored == {"a": 1}


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
    await asyncio.wait_for(other, 1)  # served although chat 1 has three updates waiting
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
