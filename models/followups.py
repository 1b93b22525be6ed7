"""Queries on follow-up points (사후관리) of hires."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.statuses import FollowUpState
from models.tables import FollowUp, Hire, JobOpening


async def add_points(*, session: AsyncSession, points: Iterable[FollowUp]) -> None:
    session.add_all(list(points))
    await session.flush()


async def get_point(*, session: AsyncSession, point_id: int) -> FollowUp | None:
    return await session.get(FollowUp, point_id)


async def points_of_hire(*, session: AsyncSession, hire_id: int) -> Sequence[FollowUp]:
    stmt = select(FollowUp).where(FollowUp.hire_id == hire_id).order_by(col(FollowUp.months))
    return (await session.exec(stmt)).all()


def _with_hire_and_opening(stmt: Any) -> Any:
    """A follow-up's hire and the hire's opening joined in."""
    return stmt.join(Hire, col(Hire.id) == col(FollowUp.hire_id)).join(
        JobOpening, col(JobOpening.id) == col(Hire.opening_id))


async def open_points(
    *, session: AsyncSession, on_or_before: date, agency_id: int | None = None
) -> Sequence[tuple[FollowUp, Hire, JobOpening]]:
    """Points still to answer whose day has come, with their hire and opening, oldest first."""
    due = (FollowUp.state == FollowUpState.DUE, col(FollowUp.due_on) <= on_or_before,
           col(Hire.deleted_at).is_(None))
    stmt = _with_hire_and_opening(select(FollowUp, Hire, JobOpening)).where(*due).order_by(
        col(FollowUp.due_on), col(FollowUp.id))
    if agency_id is not None:
        stmt = stmt.where(FollowUp.agency_id == agency_id)
    return (await session.exec(stmt)).all()


async def hires_without_points(*, session: AsyncSession) -> Sequence[Hire]:
    """Live hires that have no follow-up point at all (recorded before follow-ups existed)."""
    has = select(FollowUp.hire_id).distinct()
    stmt = select(Hire).where(col(Hire.deleted_at).is_(None), col(Hire.id).not_in(has))
    return (await session.exec(stmt)).all()


async def retention_counts(
    *, session: AsyncSession, today: date, hired_from: date, hired_before: date
) -> Sequence[tuple[int, int, str, int]]:
    """(agency id, months, state, count) of the points already due, of hires started in
    [hired_from, hired_before): one grouped query (the cost grows with agencies, not hires)."""
    stmt = (
        select(FollowUp.agency_id, FollowUp.months, FollowUp.state, func.count())
        .join(Hire, col(Hire.id) == col(FollowUp.hire_id))
        .where(col(Hire.deleted_at).is_(None), FollowUp.state != FollowUpState.CANCELLED)
        .where(col(Hire.hired_on) >= hired_from, col(Hire.hired_on) < hired_before)
        .where(col(FollowUp.due_on) <= today)
        .group_by(col(FollowUp.agency_id), col(FollowUp.months), col(FollowUp.state))
    )
    return [(a, m, s, int(n)) for a, m, s, n in (await session.exec(stmt)).all()]


async def due_by_region(
    *, session: AsyncSession, agency_id: int, due_from: date, due_before: date
) -> dict[str, dict[str, int]]:
    """A centre's follow-up points due in [due_from, due_before) by the opening's 시군:
    {region: {"followups": due, "retained": still working}} (one grouped query)."""
    stmt = (
        _with_hire_and_opening(
            select(JobOpening.region_code, FollowUp.state, func.count()).select_from(FollowUp))
        .where(FollowUp.agency_id == agency_id, col(Hire.deleted_at).is_(None))
        .where(FollowUp.state != FollowUpState.CANCELLED)
        .where(col(FollowUp.due_on) >= due_from, col(FollowUp.due_on) < due_before)
        .group_by(col(JobOpening.region_code), col(FollowUp.state))
    )
    out: dict[str, dict[str, int]] = {}
    for region, state, n in (await session.exec(stmt)).all():
        into = out.setdefault(region or "-", {"followups": 0, "retained": 0})
        into["followups"] += int(n)
        if state == FollowUpState.EMPLOYED:
            into["retained"] += int(n)
    return out
