"""The instance lock's SQL: a PostgreSQL session advisory lock (see bot.instance)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:k)")


async def try_advisory_lock(conn: AsyncConnection, key: int) -> bool:
    """Take the session-level advisory lock `key` on `conn` if nobody holds it (committed)."""
    got = (await conn.execute(_TRY_LOCK, {"k": key})).scalar()
    await conn.commit()
    return bool(got)
