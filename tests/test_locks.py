"""PostgreSQL advisory locks (models/locks.py): one chat's turn held across processes.

Each `AdvisoryLocks` holds its locks on a connection of its own, as each bot process does; two
of them on one database play two processes. Skipped when PostgreSQL is unreachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import make_engine
from models.locks import AdvisoryLocks
from tests.test_reminders_postgres import pg_url  # noqa: F401 - the database fixture


@pytest.fixture
async def engine(pg_url: str) -> AsyncIterator[AsyncEngine]:  # noqa: F811 - the fixture above
    engine = make_engine(pg_url)
    yield engine
    await engine.dispose()


async def test_a_set_of_keys_waits_for_another_process_and_holds_none_while_it_waits(
    engine: AsyncEngine,
) -> None:
    first, second, third = AdvisoryLocks(engine), AdvisoryLocks(engine), AdvisoryLocks(engine)
    try:
        release = asyncio.Event()
        entered = asyncio.Event()

        async def hold_five_and_six() -> None:
            async with first.held([6, 5, 6]):
                entered.set()
                await release.wait()

        holder = asyncio.create_task(hold_five_and_six())
        await entered.wait()
        got: list[str] = []

        async def want_two_and_five() -> None:
            async with second.held([5, 2]):
                got.append("in")

        waiter = asyncio.create_task(want_two_and_five())
        for _ in range(10):  # the waiter tries (and gives key 2 back) several times meanwhile
            await asyncio.sleep(0.02)
        assert not got
        # While it waits for 5, the waiter does not sit on 2: a third process gets 2 (the
        # waiter takes it for an instant at each try, hence a few tries), never 5.
        for _ in range(50):
            if await third.try_take(2):
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("key 2 stayed held by the process that waits for key 5")
        await third.release(2)
        assert not await third.try_take(5)
        release.set()
        await asyncio.wait_for(asyncio.gather(holder, waiter), 10)
        assert got == ["in"]
        # Everything was given back: a third process takes them all.
        for key in (2, 5, 6):
            assert await third.try_take(key)
            await third.release(key)
    finally:
        for locks in (first, second, third):
            await locks.close()
