"""Queries on job seekers (구직자). Names and phones are ciphertext here; `phone_key` is the keyed
hash used to find duplicates. Soft-deleted seekers are invisible to every query here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.rows import add_row, live_rows
from models.tables import JobSeeker


async def add_seeker(*, session: AsyncSession, seeker: JobSeeker) -> JobSeeker:
    return await add_row(session=session, row=seeker)


async def get_seeker(*, session: AsyncSession, seeker_id: int) -> JobSeeker | None:
    return (await session.exec(live_rows(JobSeeker).where(JobSeeker.id == seeker_id))).first()



async def get_seeker_by_phone_key(*, session: AsyncSession, phone_key: str) -> JobSeeker | None:
    stmt = live_rows(JobSeeker).where(JobSeeker.phone_key == phone_key)
    return (await session.exec(stmt)).first()


async def list_seekers(
    *,
    session: AsyncSession,
    agency_id: int | None = None,
    region_codes: list[str] | None = None,
    status: str | None = None,
    purged: bool = True,
) -> Sequence[JobSeeker]:
    """Seekers, newest first, filtered by registering centre, 시군 and status; `purged=False`
    leaves out those whose personal data was destroyed (kept for statistics only)."""
    stmt = live_rows(JobSeeker)
    if not purged:
        stmt = stmt.where(col(JobSeeker.purged_at).is_(None))
    if agency_id is not None:
        stmt = stmt.where(JobSeeker.agency_id == agency_id)
    if region_codes is not None:
        stmt = stmt.where(col(JobSeeker.region_code).in_(region_codes))
    if status is not None:
        stmt = stmt.where(JobSeeker.status == status)
    return (await session.exec(stmt.order_by(col(JobSeeker.id).desc()))).all()


