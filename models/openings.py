"""Queries on job openings (구인). Soft-deleted openings are invisible to every query here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.statuses import OpeningStatus
from models.rows import add_row, live_rows
from models.tables import JobOpening


async def add_opening(*, session: AsyncSession, opening: JobOpening) -> JobOpening:
    return await add_row(session=session, row=opening)


async def get_opening(*, session: AsyncSession, opening_id: int) -> JobOpening | None:
    return (await session.exec(live_rows(JobOpening).where(JobOpening.id == opening_id))).first()



async def list_openings(
    *,
    session: AsyncSession,
    region_codes: list[str] | None = None,
    status: str | None = None,
    agency_id: int | None = None,
) -> Sequence[JobOpening]:
    """Openings, newest first, filtered by 시군, status and owning agency."""
    stmt = live_rows(JobOpening)
    if region_codes is not None:
        stmt = stmt.where(col(JobOpening.region_code).in_(region_codes))
    if status is not None:
        stmt = stmt.where(JobOpening.status == status)
    if agency_id is not None:
        stmt = stmt.where(JobOpening.agency_id == agency_id)
    return (await session.exec(stmt.order_by(col(JobOpening.id).desc()))).all()


async def search_openings(
    *,
    session: AsyncSession,
    agency_id: int | None,
    status: str | None = None,
    region_code: str | None = None,
    keyword: str | None = None,
    offset: int = 0,
    limit: int = 5,
) -> tuple[Sequence[JobOpening], int]:
    """One page of openings (newest first) and how many match in all."""
    stmt = live_rows(JobOpening)
    if agency_id is not None:
        stmt = stmt.where(JobOpening.agency_id == agency_id)
    if status:
        stmt = stmt.where(JobOpening.status == status)
    if region_code:
        stmt = stmt.where(JobOpening.region_code == region_code)
    if keyword:
        stmt = stmt.where(
            or_(
                col(JobOpening.company_name).contains(keyword, autoescape=True),
                col(JobOpening.job_title).contains(keyword, autoescape=True),
                col(JobOpening.duties).contains(keyword, autoescape=True),
                col(JobOpening.industry).contains(keyword, autoescape=True),
            )
        )
    total = (await session.exec(select(func.count()).select_from(stmt.subquery()))).one()
    rows = (
        await session.exec(stmt.order_by(col(JobOpening.id).desc()).offset(offset).limit(limit))
    ).all()
    return rows, int(total)



async def expired_openings(*, session: AsyncSession, today: date) -> Sequence[JobOpening]:
    """Open openings whose application deadline is before today."""
    stmt = live_rows(JobOpening).where(
        JobOpening.status == OpeningStatus.OPEN,
        col(JobOpening.deadline).is_not(None),
        col(JobOpening.deadline) < today,
    )
    return (await session.exec(stmt.order_by(col(JobOpening.id)))).all()


async def take_position(*, session: AsyncSession, opening_id: int, now: datetime) -> bool:
    """Count one position filled, atomically; False when none was left."""
    result = await session.exec(
        update(JobOpening)
        .where(
            col(JobOpening.id) == opening_id,
            col(JobOpening.deleted_at).is_(None),
            col(JobOpening.positions_filled) < col(JobOpening.positions),
        )
        .values(positions_filled=col(JobOpening.positions_filled) + 1, updated_at=now)
    )
    return bool(result.rowcount)
