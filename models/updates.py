"""Processed Telegram update ids: a repeated update_id is recognised and skipped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import ProcessedUpdate


async def claim_update(*, session: AsyncSession, update_id: int, at: datetime) -> bool:
    """Record an update id; False if it was recorded before (by this or another process)."""
    try:
        async with session.begin_nested():
            session.add(ProcessedUpdate(update_id=update_id, at=at))
            await session.flush()
    except IntegrityError:
        return False
    return True


async def purge_updates(*, session: AsyncSession, before: datetime) -> int:
    """Forget update ids recorded before `before`; the number forgotten."""
    result = await session.exec(  # type: ignore[call-overload]
        delete(ProcessedUpdate).where(col(ProcessedUpdate.at) < before)
    )
    return int(result.rowcount or 0)
