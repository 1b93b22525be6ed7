"""Queries on the council's registered group chats."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import GroupChat


async def get_group(*, session: AsyncSession, chat_id: int) -> GroupChat | None:
    return (await session.exec(select(GroupChat).where(GroupChat.chat_id == chat_id))).first()


async def active_groups(*, session: AsyncSession) -> Sequence[GroupChat]:
    stmt = select(GroupChat).where(col(GroupChat.active).is_(True)).order_by(col(GroupChat.id))
    return (await session.exec(stmt)).all()


async def save_group(*, session: AsyncSession, group: GroupChat) -> GroupChat:
    session.add(group)
    await session.flush()
    return group
