"""Queries on invites; claiming is one conditional UPDATE so an invite is used exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.rows import add_row
from models.tables import Invite


async def get_invite_by_code(*, session: AsyncSession, code: str) -> Invite | None:
    return (await session.exec(select(Invite).where(Invite.code == code))).first()


async def get_invite(*, session: AsyncSession, invite_id: int) -> Invite | None:
    return await session.get(Invite, invite_id)


async def add_invite(*, session: AsyncSession, invite: Invite) -> Invite:
    return await add_row(session=session, row=invite)


def _unused() -> tuple[ColumnElement[bool], ...]:
    """Neither used nor revoked (an open invite, unless it has expired)."""
    return col(Invite.used_at).is_(None), col(Invite.revoked_at).is_(None)


async def _update_one(
    session: AsyncSession, *where: ColumnElement[bool], **values: object
) -> bool:
    """One conditional UPDATE of an invite; False when no row matched (someone else was first)."""
    result = await session.exec(update(Invite).where(*where).values(**values))
    return bool(result.rowcount == 1)


async def claim_invite(
    *, session: AsyncSession, invite_id: int, member_id: int, now: datetime
) -> bool:
    """Mark an invite used if it is still open; False if someone else got there first."""
    return await _update_one(
        session, col(Invite.id) == invite_id, *_unused(), col(Invite.expires_at) > now,
        used_at=now, used_by=member_id,
    )


async def revoke_invite(*, session: AsyncSession, invite_id: int, now: datetime) -> bool:
    return await _update_one(session, col(Invite.id) == invite_id, *_unused(), revoked_at=now)


async def list_open_invites(*, session: AsyncSession, now: datetime) -> Sequence[Invite]:
    stmt = select(Invite).where(*_unused(), col(Invite.expires_at) > now)
    return (await session.exec(stmt.order_by(col(Invite.id)))).all()
