"""An update's flush (`ItdaApplication.process_update`: ``batched`` + ``update_persistence``)
should end only once its user's data is in the database: then the chat's turn goes to the next
update, which may run in another process and reads the form from the database.

python-telegram-bot keeps one set per process of the users (and conversation states) to write,
taken whole by whichever flush runs first. A flush that takes another update's user writes that
data in its own batch; the other update's flush then finds nothing to write and ends at once,
before that batch is committed. That race was behind the webhook2 phase's one lost step in
7,100 (docs/PERFORMANCE.md, "webhook2's one lost step"): now a flush waits for the batch that
holds its data.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.persistence import DatabasePersistence, batched, forget_update
from models import botstate
from models.db import run_transaction
from tests.harness import BotHarness

USER = 4242


async def flush(app: Any, *, own_user: int | None = None) -> None:
    """What `ItdaApplication.process_update` does for an update: read the user's data and
    states at its start (`_prepare`), and flush after it."""
    persistence = app.persistence
    if own_user is not None:
        read = persistence.reader(wanted=[], user_id=own_user, chat_id=None)
        persistence.prefetched(await run_transaction(persistence._factory, read))  # noqa: SLF001
    try:
        async with batched(persistence):
            await app.update_persistence()
    finally:
        forget_update()


async def test_a_flush_ends_only_when_its_data_is_in_the_database(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert harness.app is not None and harness.runtime is not None
    app = harness.app
    persistence = app.persistence
    assert isinstance(persistence, DatabasePersistence)
    gate, held = asyncio.Event(), asyncio.Event()
    write = persistence._write  # noqa: SLF001 - the batch's one write, held back below

    async def held_back(pending: dict[tuple[str, str, Any], str | None]) -> None:
        if ("data", "user", USER) in pending:
            held.set()
            await gate.wait()
        await write(pending)

    monkeypatch.setattr(persistence, "_write", held_back)
    # Another update's flush starts first and takes this user's data into its batch.
    app.user_data[USER]["probe"] = 1
    app.mark_data_for_update_persistence(user_ids=USER)
    other = asyncio.create_task(flush(app))
    async with asyncio.timeout(30):
        await held.wait()
    # This user's own update ends now: its flush must wait for that batch.
    own = asyncio.create_task(flush(app, own_user=USER))
    for _ in range(20):
        await asyncio.sleep(0)
    try:
        assert not own.done(), "the flush ended while its data waited in another batch"
    finally:
        gate.set()
        await asyncio.gather(other, own)
    stored = await harness.runtime.transaction(
        lambda s: botstate.read_data(session=s, kind="user", owner_id=USER))
    assert stored == {"probe": 1}


async def test_a_flush_waits_for_a_write_made_outside_a_batch_and_not_for_ever_on_a_failed_one(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PTB's own timer flushes without a batch (each write alone); a write that fails still
    lets the flush that waits for it end (its data is lost with the failed write, as before)."""
    assert harness.app is not None
    app = harness.app
    persistence = app.persistence
    assert isinstance(persistence, DatabasePersistence)
    gate, held = asyncio.Event(), asyncio.Event()

    async def failing(pending: dict[tuple[str, str, Any], str | None]) -> None:
        held.set()
        await gate.wait()
        raise ConnectionError("the database went away")

    monkeypatch.setattr(persistence, "_write", failing)
    app.user_data[USER]["probe"] = 2
    app.mark_data_for_update_persistence(user_ids=USER)
    timer = asyncio.create_task(app.update_persistence())  # no batch: what the timer does
    async with asyncio.timeout(30):
        await held.wait()
    monkeypatch.undo()
    own = asyncio.create_task(flush(app, own_user=USER))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not own.done(), "the flush ended while its data waited in the timer's write"
    gate.set()
    async with asyncio.timeout(30):
        await own
    await timer  # PTB's update_persistence gathers its writes' errors and logs them
