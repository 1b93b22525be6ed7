"""Whether a member can be reached: Telegram answers 403 once a user has blocked the bot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Member


async def mark_blocked(*, session: AsyncSession, telegram_id: int, at: datetime) -> bool:
    """Note that the member blocked the bot (first time only); False if no such member."""
    result = await session.exec(
        update(Member)
        .where(col(Member.telegram_id) == telegram_id, col(Member.blocked_at).is_(None))
        .values(blocked_at=at)
    )
    return bool(result.rowcount)


async def mark_reachable(*, session: AsyncSession, telegram_id: int) -> bool:
    """The member wrote to the bot again, so they unblocked it."""
    result = await session.exec(
        update(Member)
        .where(col(Member.telegram_id) == telegram_id, col(Member.blocked_at).is_not(None))
        .values(blocked_at=None)
    )
    return bool(result.rowcount)
