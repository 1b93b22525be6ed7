"""Engine, sessions and migrations. Every command that touches the database upgrades it first."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from models import inline_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

SessionFactory = async_sessionmaker[AsyncSession]
T = TypeVar("T")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # SQLite takes one writer at a time, and writers on several connections wait for each
        # other in SQLite's busy handler, which sleeps up to 100 ms between tries (the benchmark
        # measured a third fewer form steps per second that way, docs/PERFORMANCE.md). So
        # `session_scope` queues sessions on one connection (see `_SqliteQueue`); a session
        # opened inside another one in the same task skips the queue and takes a spare
        # connection, so nesting never deadlocks. Don't hold a session across a Bot API call.
        # A database file is used right in the event loop (models/inline_sqlite.py).
        database = make_url(url).database or ""
        inline = bool(database) and not database.startswith(":memory:") and "?" not in url
        extra: dict[str, Any] = {}
        if inline:
            extra["async_creator"] = functools.partial(inline_sqlite.connect, database)
        else:
            extra["connect_args"] = {"timeout": 30}
        engine = create_async_engine(url, pool_size=1, max_overflow=8, pool_timeout=60, **extra)
        _QUEUES[engine.sync_engine] = _SqliteQueue()
        if not inline:
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # PostgreSQL: the bot serves up to 256 updates at once (64 users at once in the benchmark).
    # SQLAlchemy's default pool keeps 5 connections and closes every extra one when it comes
    # back, so under load each transaction beyond the fifth opened a new connection (a server
    # process forked, a handshake): 16 kept, 8 more at a peak (two processes stay well under
    # the server's default of 100 connections).
    return create_async_engine(url, pool_pre_ping=True, pool_size=16, max_overflow=8)


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


# The newest migration in migrations/versions (tests/test_migrations.py checks that it is alembic's
# head). A database already there is not handed to alembic: a bot that starts on an up-to-date
# database never imports it, which keeps 14 MB out of its memory (issue 18).
HEAD_REVISION = "0006"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def current_revisions(connection: Connection) -> list[str]:
    """The migrations the database says it has (none for a new database)."""
    if not inspect(connection).has_table("alembic_version"):
        return []
    return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _upgrade(connection: Connection) -> None:
    if current_revisions(connection) == [HEAD_REVISION]:
        return
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


async def upgrade_database(engine: AsyncEngine) -> None:
    """Create or upgrade the schema to the newest migration."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


class _SqliteQueue:
    """Sessions of one SQLite engine take turns (one asyncio.Lock per event loop)."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    def lock(self) -> asyncio.Lock:
        loop_id = id(asyncio.get_running_loop())
        lock = self._locks.get(loop_id)
        if lock is None:
            lock = self._locks[loop_id] = asyncio.Lock()
        return lock


_QUEUES: weakref.WeakKeyDictionary[object, _SqliteQueue] = weakref.WeakKeyDictionary()
_IN_SESSION: ContextVar[bool] = ContextVar("itda_in_session", default=False)


@asynccontextmanager
async def session_scope(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One session, committed on success and rolled back on error."""
    bind = factory.kw.get("bind")
    queue = _QUEUES.get(bind.sync_engine) if bind is not None else None
    async with contextlib.AsyncExitStack() as stack:
        if queue is not None and not _IN_SESSION.get():
            await stack.enter_async_context(queue.lock())
        token = _IN_SESSION.set(True)
        try:
            async with factory() as session:
                try:
                    yield session
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise
        finally:
            _IN_SESSION.reset(token)


async def run_transaction(factory: SessionFactory, fn: Callable[[Session], T]) -> T:
    """Run `fn(session)` with a synchronous session in one transaction, committed when it
    returns: for short statements that run for every update (the bot's own state), written as
    plain functions."""
    async with session_scope(factory) as session:
        # sqlmodel's AsyncSession runs `fn` with its `sync_session`, a sqlmodel Session, but
        # inherits SQLAlchemy's run_sync annotation, which names SQLAlchemy's Session.
        return await session.run_sync(fn)  # type: ignore[arg-type]
