"""One polling bot per database: a second `itda run` refuses to start.

SQLite: an exclusive `flock` on a file beside the database. PostgreSQL: a session advisory lock
held on a dedicated connection. Both vanish with the process, even after kill -9, so a crash
never leaves a stale lock behind. (Telegram itself answers 409 Conflict to a second poller of
the same token; `ItdaApplication.process_error` stops the bot with a clear message then.)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import IO

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models.instance import try_advisory_lock

EXIT_ALREADY_RUNNING = 3


def sqlite_path(url: str) -> Path | None:
    prefix = "sqlite+aiosqlite:///"
    if not url.startswith(prefix):
        return None
    return Path(url[len(prefix) :])


def _lock_key(token: str) -> int:
    bot_id = token.split(":", 1)[0]
    digest = hashlib.sha256(f"itda-polling:{bot_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class InstanceLock:
    def __init__(self, database_url: str, token: str) -> None:
        self.database_url = database_url
        self.token = token
        self._file: IO[str] | None = None
        self._conn: AsyncConnection | None = None

    def acquire_file(self) -> str | None:
        """For SQLite: lock the file beside the database; an explanation if already held."""
        path = sqlite_path(self.database_url)
        if path is None:
            return None
        import fcntl

        lock_path = path.with_name(path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            return (
                f"another ITDA bot (process {holder}) is already running on {path}; "
                "stop it first (only one bot may poll Telegram per database)"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return None

    async def acquire_database(self, engine: AsyncEngine) -> str | None:
        """For PostgreSQL: a session advisory lock; an explanation if already held."""
        if engine.dialect.name != "postgresql":
            return None
        conn = await engine.connect()
        if not await try_advisory_lock(conn, _lock_key(self.token)):
            await conn.close()
            return (
                "another ITDA bot is already polling Telegram with this database; stop it first "
                "(for several processes use `itda webhook`)"
            )
        self._conn = conn
        return None

    async def release(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None
