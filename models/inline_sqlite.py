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

While that thread runs, it holds the connection: nothing else may touch it. CPython's sqlite3
releases the GIL inside SQLite, so closing the connection from the event loop meanwhile leaves the
thread to read a connection that is gone (a segmentation fault: issue 19, seen when a test failed
with a statement still waiting and the engine was closed, or garbage-collected, under it). So every
call from the event loop first waits for the thread to let go (`_free`), and `stop()` (SQLAlchemy's
forced close, also called from the garbage collector, where nothing can wait) leaves the closing to
the thread when it returns.

This module offers the few calls of aiosqlite's connection and cursor that SQLAlchemy's
aiosqlite dialect makes; `models.db.make_engine` plugs it in with `async_creator`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import threading
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
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Any:
        await self._connection.run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, seq: Iterable[Any]) -> Any:
        rows = list(seq)  # a generator could not be replayed after "busy"
        await self._connection.run(self._cursor.executemany, sql, rows)
        return self

    async def fetchall(self) -> list[Any]:
        await self._connection.free()
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        await self._connection.free()
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        await self._connection.free()
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        await self._connection.free()
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
        # The statement a thread runs on `raw` (see `run`), settled when the thread lets go.
        self._thread: asyncio.Future[Any] | None = None
        # Shared with the thread and with `stop()`, which may run in any thread: `_held` from
        # handing a statement to a thread until the thread lets go; `_close_when_free` when
        # `stop()` came meanwhile; `_closed` once closed.
        self._guard = threading.Lock()
        self._held = False
        self._close_when_free = False
        self._closed = False

    # The attributes SQLAlchemy's dialect looks at.
    @property
    def _connection(self) -> sqlite3.Connection | None:  # "is it still open?"
        return None if self._closed or self._close_when_free else self.raw

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

    @property
    def in_thread(self) -> bool:
        """A statement is running in a thread (waiting for another process's lock)."""
        return self._held

    async def free(self) -> None:
        """Wait until no thread holds the connection (at once when none does). A cancelled
        wait leaves the thread running: the caller must not touch `raw` then."""
        while self._held and self._thread is not None:
            # `asyncio.wait` neither raises the statement's error (its caller gets that) nor
            # cancels the statement when this wait is cancelled.
            await asyncio.wait([self._thread])

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        await self.free()
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        done.add_done_callback(_retrieved)
        with self._guard:
            if self._closed or self._close_when_free:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            self._held = True
            self._thread = done
        # A thread of its own, not asyncio.to_thread: the event loop's teardown cancels
        # to_thread's task, and a pool drops a call not yet started, while nothing can stop a
        # call already inside SQLite; `done` is settled by the thread alone, when it lets go.
        thread = threading.Thread(
            target=self._patiently, args=(done, call, args), name="itda-sqlite-busy"
        )
        try:
            thread.start()
        except BaseException:
            self._let_go()
            raise
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            await self.free()  # the thread still has the connection: let it finish first
            raise

    def _patiently(self, done: asyncio.Future[T], call: Callable[..., T], args: Any) -> None:
        settle: Callable[[], None]
        try:
            try:
                self.raw.execute(f"PRAGMA busy_timeout={PATIENT_BUSY_MS}")
                try:
                    value = call(*args)
                finally:
                    self.raw.execute("PRAGMA busy_timeout=0")
            finally:
                self._let_go()
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting caller
            settle = functools.partial(_fail, done, error)
        else:
            settle = functools.partial(_succeed, done, value)
        with contextlib.suppress(RuntimeError):  # the event loop is closed: nobody waits
            done.get_loop().call_soon_threadsafe(settle)

    def _let_go(self) -> None:
        with self._guard:
            self._held = False
            if self._close_when_free:
                self._close_now()

    async def commit(self) -> None:
        await self.run(self.raw.commit)

    async def rollback(self) -> None:
        await self.free()
        self.raw.rollback()

    async def close(self) -> None:
        try:
            await self.free()
        finally:
            self.stop()  # closed now, or by the thread when it returns if this wait was cancelled

    def stop(self) -> None:
        """Close now, or, while a thread is inside the connection, as soon as it returns."""
        with self._guard:
            if self._held:
                self._close_when_free = True
            else:
                self._close_now()

    def _close_now(self) -> None:  # with `_guard` held
        self._closed = True
        self.raw.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        await self.free()
        self.raw.create_function(*args, **kwargs)


def _succeed(done: asyncio.Future[T], value: T) -> None:
    if not done.done():
        done.set_result(value)


def _fail(done: asyncio.Future[Any], error: BaseException) -> None:
    if not done.done():
        done.set_exception(error)


def _retrieved(done: asyncio.Future[Any]) -> None:
    # The caller may have been cancelled meanwhile: the statement's error is then nobody's to
    # see, and asyncio would log it as "never retrieved".
    if not done.cancelled():
        done.exception()


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
