"""Processed Telegram update ids: a repeated update_id is recognised and skipped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlmodel import Session, col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.rows import insert_for, per_dialect
from models.tables import ProcessedUpdate

_TABLE = ProcessedUpdate.__table__  # type: ignore[attr-defined]
# Built once (this runs for every update): insert the id unless it is there already.
_CLAIM = per_dialect(
    lambda dialect: insert_for(dialect)(_TABLE)
    .values(update_id=bindparam("update_id"), at=bindparam("at"))
    .on_conflict_do_nothing(index_elements=[_TABLE.c.update_id])
)


def claim_update(*, session: Session, update_id: int, at: datetime) -> bool:
    """Record an update id; False if it was recorded before (by this or another process).
    Synchronous: run it with `models.db.run_transaction` (it runs for every update)."""
    conn = session.connection()
    result = conn.execute(_CLAIM[conn.dialect.name], {"update_id": update_id, "at": at})
    return bool(result.rowcount == 1)


async def purge_updates(*, session: AsyncSession, before: datetime) -> int:
    """Forget update ids recorded before `before`; the number forgotten."""
    result = await session.exec(
        delete(ProcessedUpdate).where(col(ProcessedUpdate.at) < before)
    )
    return int(result.rowcount or 0)
