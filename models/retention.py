"""Queries for the retention of seekers' personal data (개인정보 파기)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import JobSeeker


async def seekers_due(
    *, session: AsyncSession, registered_before: datetime
) -> Sequence[JobSeeker]:
    """Seekers registered before the cut-off whose personal data is still there."""
    stmt = select(JobSeeker).where(
        col(JobSeeker.created_at) < registered_before, col(JobSeeker.purged_at).is_(None)
    )
    return (await session.exec(stmt.order_by(col(JobSeeker.id)))).all()


async def save_seeker(*, session: AsyncSession, seeker: JobSeeker) -> None:
    session.add(seeker)
    await session.flush()
