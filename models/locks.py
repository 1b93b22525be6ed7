"""PostgreSQL advisory locks: one chat's updates, handled by several bot processes on one database
(webhook mode behind a load balancer), take their turns across processes as they do inside one.

Without them, the next update of a form could reach the second process while the first is still
sending the question of the previous one: the second process read the form's state from before
that question and answered wrongly (the benchmark's webhook2 phase lost a step in ten).

The locks are session-level locks on one connection of their own (AUTOCOMMIT), so they hold
across the transactions an update makes and never take a connection from the pool the update
needs. `pg_try_advisory_lock` is polled rather than waited on, so that a chat waiting for another
process never blocks the other chats' turns on the shared connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# A lock key is a bigint: a Telegram id (|id| < 2^52) times 4 plus its kind, so that the keys of
# chats, users and the bot's own single tasks never meet.
CHAT, USER, SINGLETON = 0, 1, 2
REMINDER_SENDER = 0 * 4 + SINGLETON  # the one process that sends the reminders
_TRY = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")
# An update's keys (its chat's and its user's) are taken, and released, by one statement: each
# statement waits its turn on the shared connection, so two instead of four an update.
_TRY_ALL = text(
    "SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k WHERE pg_try_advisory_lock(k)"
)
_UNLOCK_ALL = text("SELECT count(*) FROM unnest(CAST(:keys AS bigint[])) AS k "
                   "WHERE pg_advisory_unlock(k)")
LONGEST_POLL = 0.05  # seconds between two tries for a lock another process holds


def key_of(kind: int, number: int) -> int:
    return number * 4 + kind


class AdvisoryLocks:
    """Advisory locks held on one connection of this process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None
        self._guard = asyncio.Lock()  # one statement at a time on the connection

    async def _run(self, statement: object, parameters: dict[str, object]) -> Any:
        async with self._guard:
            if self._connection is None or self._connection.closed:
                connection = await self.engine.connect()
                self._connection = await connection.execution_options(
                    isolation_level="AUTOCOMMIT"
                )
            try:
                return await self._connection.execute(statement, parameters)  # type: ignore[call-overload]
            except BaseException:
                # A broken connection released its locks on the server: start afresh.
                with contextlib.suppress(Exception):
                    await self._connection.close()
                self._connection = None
                raise

    async def try_take(self, key: int) -> bool:
        return bool((await self._run(_TRY, {"key": key})).scalar())

    async def release(self, key: int) -> None:
        await self._run(_UNLOCK, {"key": key})

    async def _try_take_all(self, keys: list[int]) -> bool:
        """All the keys, or none (the ones taken are given back at once)."""
        taken = list((await self._run(_TRY_ALL, {"keys": keys})).scalars())
        if len(taken) == len(keys):
            return True
        if taken:
            await self._release_all(taken)
        return False

    async def _release_all(self, keys: list[int]) -> None:
        await self._run(_UNLOCK_ALL, {"keys": keys})

    @contextlib.asynccontextmanager
    async def held(self, keys: Sequence[int]) -> AsyncIterator[None]:
        """Every key taken, then released. Keys are only ever tried, never waited on while
        others are held (a set only partly taken is given back), so no two processes
        deadlock."""
        wanted = sorted(set(keys))
        pause = 0.002
        while not await self._try_take_all(wanted):
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_POLL)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # a lost connection released them already
                await self._release_all(wanted)

    async def close(self) -> None:
        async with self._guard:
            if self._connection is not None:
                with contextlib.suppress(Exception):
                    await self._connection.close()
                self._connection = None
