"""Queries on hires (취업): a seeker placed into an opening."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Hire


async def add_hire(*, session: AsyncSession, hire: Hire) -> Hire:
    session.add(hire)
    await session.flush()
    return hire


async def get_hire(*, session: AsyncSession, hire_id: int) -> Hire | None:
    return await session.get(Hire, hire_id)


async def get_hire_for_pair(
    *, session: AsyncSession, seeker_id: int, opening_id: int
) -> Hire | None:
    stmt = select(Hire).where(Hire.seeker_id == seeker_id, Hire.opening_id == opening_id)
    return (await session.exec(stmt)).first()


async def list_hires(
    *,
    session: AsyncSession,
    agency_id: int | None = None,
    opening_id: int | None = None,
    seeker_id: int | None = None,
) -> Sequence[Hire]:
    stmt = select(Hire).where(col(Hire.deleted_at).is_(None))
    if agency_id is not None:
        stmt = stmt.where(Hire.agency_id == agency_id)
    if opening_id is not None:
        stmt = stmt.where(Hire.opening_id == opening_id)
    if seeker_id is not None:
        stmt = stmt.where(Hire.seeker_id == seeker_id)
    return (await session.exec(stmt.order_by(col(Hire.id)))).all()


async def latest_hires(
    *, session: AsyncSession, agency_id: int | None, limit: int
) -> Sequence[Hire]:
    """The live hires (credited to `agency_id`, or all), the latest start first."""
    stmt = select(Hire).where(col(Hire.deleted_at).is_(None))
    if agency_id is not None:
        stmt = stmt.where(Hire.agency_id == agency_id)
    stmt = stmt.order_by(col(Hire.hired_on).desc(), col(Hire.id).desc()).limit(limit)
    return (await session.exec(stmt)).all()


async def count_hires_by_agency(
    *, session: AsyncSession, hired_from: date | None = None, hired_before: date | None = None
) -> dict[int, int]:
    """Hires per credited agency, optionally within [hired_from, hired_before)."""
    stmt = select(Hire.agency_id, func.count()).where(col(Hire.deleted_at).is_(None))
    if hired_from is not None:
        stmt = stmt.where(col(Hire.hired_on) >= hired_from)
    if hired_before is not None:
        stmt = stmt.where(col(Hire.hired_on) < hired_before)
    rows = (await session.exec(stmt.group_by(col(Hire.agency_id)))).all()
    return {agency_id: int(n) for agency_id, n in rows}
