"""SQLite for SQLAlchemy's asyncio engine, run right in the event loop.

aiosqlite runs every call in a thread of its own: a statement is four trips between the event
loop and that thread (cursor, execute, fetch, close), each waiting for the event loop to come
round again. With a few hundred updates in flight the loop takes milliseconds to come round, so a
session held the database (`models.db._SqliteQueue`) for tens of milliseconds while SQLite
itself worked for tens of microseconds, and every other update queued behind it
(docs/PERFORMANCE.md). Here the same calls run at once, in the event loop: SQLite answers the
bot's short statements faster than a trip to a thread.

Nothing here ever waits for a lock in the event loop: the connection's `busy_timeout` is 0, so
when another process holds the database (a CLI command, a second bot process in webhook mode)
SQLite answers "busy" at once; the statement (which did nothing) then runs again in a thread with
a 30-second busy timeout, as aiosqlite would have run it.

This module offers the few calls of aiosqlite's connection and cursor that SQLAlchemy's
aiosqlite dialect makes; `models.db.make_engine` plugs it in with `async_creator`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

PATIENT_BUSY_MS = 30_000


def _busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


class InlineCursor:
    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection.raw.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Any:
        await self._connection.run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, seq: Iterable[Any]) -> Any:
        rows = list(seq)  # a generator could not be replayed after "busy"
        await self._connection.run(self._cursor.executemany, sql, rows)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _CursorOpener:
    """What `connection.cursor()` returns in aiosqlite: awaitable, and an async context."""

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor: InlineCursor | None = None

    def __await__(self):
        return self.__aenter__().__await__()

    async def __aenter__(self) -> InlineCursor:
        self._cursor = InlineCursor(self._connection)
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class _Immediate:
    """aiosqlite's queue of calls for its thread, as SQLAlchemy's isolation-level setter uses it
    (`_tx.put_nowait((future, function))`): here the call runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:  # noqa: BLE001 - handed to the awaiting caller
            future.set_exception(error)
        else:
            future.set_result(result)


class InlineConnection:
    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self._tx = _Immediate()

    # The attributes SQLAlchemy's dialect looks at.
    @property
    def _connection(self) -> sqlite3.Connection | None:  # "is it still open?"
        return self.raw

    @property
    def _conn(self) -> sqlite3.Connection:
        return self.raw

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        # typeshed allows only None and three upper-case names; sqlite3 also takes "" (which
        # SQLAlchemy's pysqlite dialect sets) and any case.
        self.raw.isolation_level = value  # type: ignore[assignment]

    def cursor(self) -> _CursorOpener:
        return _CursorOpener(self)

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
        waiting = asyncio.ensure_future(asyncio.to_thread(self._patiently, call, *args))
        try:
            return await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The thread still has the connection: let it finish before anyone else uses it.
            with contextlib.suppress(Exception):
                await waiting
            raise

    def _patiently(self, call: Callable[..., T], *args: Any) -> T:
        self.raw.execute(f"PRAGMA busy_timeout={PATIENT_BUSY_MS}")
        try:
            return call(*args)
        finally:
            self.raw.execute("PRAGMA busy_timeout=0")

    async def commit(self) -> None:
        await self.run(self.raw.commit)

    async def rollback(self) -> None:
        self.raw.rollback()

    async def close(self) -> None:
        self.raw.close()

    def stop(self) -> None:
        self.raw.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.raw.create_function(*args, **kwargs)


def _open(database: str) -> sqlite3.Connection:
    raw = sqlite3.connect(database, timeout=PATIENT_BUSY_MS / 1000, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=0"):
        raw.execute(f"PRAGMA {pragma}")
    return raw


async def connect(database: str) -> InlineConnection:
    """A connection to a SQLite file in WAL mode, never waiting for a lock in the event loop
    (opened in a thread: switching to WAL may wait for another process).

    `synchronous=NORMAL` is what SQLite advises in WAL mode: a crash of the bot loses nothing
    committed; a power cut or an operating-system crash may lose the last commits before it.
    (With `FULL` every commit would wait for the disk in the event loop.)"""
    return InlineConnection(await asyncio.to_thread(_open, database))
