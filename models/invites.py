"""Queries on invites; claiming is one conditional UPDATE so an invite is used exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Invite


async def get_invite_by_code(*, session: AsyncSession, code: str) -> Invite | None:
    return (await session.exec(select(Invite).where(Invite.code == code))).first()


async def get_invite(*, session: AsyncSession, invite_id: int) -> Invite | None:
    return await session.get(Invite, invite_id)


async def add_invite(*, session: AsyncSession, invite: Invite) -> Invite:
    session.add(invite)
    await session.flush()
    return invite


async def claim_invite(
    *, session: AsyncSession, invite_id: int, member_id: int, now: datetime
) -> bool:
    """Mark an invite used if it is still open; False if someone else got there first."""
    result = await session.exec(
        update(Invite)
        .where(
            col(Invite.id) == invite_id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .values(used_at=now, used_by=member_id)
    )
    return bool(result.rowcount == 1)


async def revoke_invite(*, session: AsyncSession, invite_id: int, now: datetime) -> bool:
    result = await session.exec(
        update(Invite)
        .where(
            col(Invite.id) == invite_id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    return bool(result.rowcount == 1)


async def list_open_invites(*, session: AsyncSession, now: datetime) -> Sequence[Invite]:
    stmt = select(Invite).where(
        col(Invite.used_at).is_(None),
        col(Invite.revoked_at).is_(None),
        col(Invite.expires_at) > now,
    )
    return (await session.exec(stmt.order_by(col(Invite.id)))).all()
