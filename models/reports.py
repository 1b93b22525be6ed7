"""Queries on month-end reports (MonthlyReport): one row per submitted version."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import MonthlyReport


async def versions(
    *, session: AsyncSession, agency_id: int, month: str
) -> Sequence[MonthlyReport]:
    stmt = select(MonthlyReport).where(
        MonthlyReport.agency_id == agency_id, MonthlyReport.month == month
    )
    return (await session.exec(stmt.order_by(col(MonthlyReport.version)))).all()


async def latest_by_agency(*, session: AsyncSession, month: str) -> dict[int, MonthlyReport]:
    """Each agency's newest version for the month (one query, grouped in Python by agency)."""
    stmt = select(MonthlyReport).where(MonthlyReport.month == month)
    latest: dict[int, MonthlyReport] = {}
    for report in (await session.exec(stmt.order_by(col(MonthlyReport.version)))).all():
        latest[report.agency_id] = report
    return latest


async def first_versions(*, session: AsyncSession, month: str) -> dict[int, MonthlyReport]:
    stmt = select(MonthlyReport).where(
        MonthlyReport.month == month, MonthlyReport.version == 1
    )
    return {r.agency_id: r for r in (await session.exec(stmt)).all()}


async def in_months(*, session: AsyncSession, months: Sequence[str]) -> Sequence[MonthlyReport]:
    stmt = select(MonthlyReport).where(col(MonthlyReport.month).in_(list(months)))
    order = (col(MonthlyReport.month), col(MonthlyReport.agency_id), col(MonthlyReport.version))
    return (await session.exec(stmt.order_by(*order))).all()


async def insert_version(*, session: AsyncSession, report: MonthlyReport) -> bool:
    """Insert one version; False when that (agency, month, version) already exists.

    The unique constraint decides between two staff submitting at the same moment: exactly one
    insert wins; the other is told the report was already submitted. On False the session was
    rolled back: call this before writing anything else in the transaction.
    """
    session.add(report)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return False
    return True
