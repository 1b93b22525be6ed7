"""Record listings for the export workbook (one query per sheet, bounded by the period)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.statuses import FollowUpState, MeetingKind, MeetingStatus
from models.tables import Attendance, FollowUp, Hire, JobOpening, JobSeeker, Meeting


async def openings(
    *, session: AsyncSession, start: datetime, end: datetime
) -> Sequence[JobOpening]:
    stmt = select(JobOpening).where(
        col(JobOpening.deleted_at).is_(None),
        col(JobOpening.created_at) >= start,
        col(JobOpening.created_at) < end,
    )
    return (await session.exec(stmt.order_by(col(JobOpening.id)))).all()


async def seekers(
    *, session: AsyncSession, start: datetime, end: datetime
) -> Sequence[JobSeeker]:
    stmt = select(JobSeeker).where(
        col(JobSeeker.deleted_at).is_(None),
        col(JobSeeker.created_at) >= start,
        col(JobSeeker.created_at) < end,
    )
    return (await session.exec(stmt.order_by(col(JobSeeker.id)))).all()


async def meetings_with_attendance(
    *, session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[Meeting, dict[str, Any]]]:
    """Meetings of the period with attendance figures counted per meeting in one query."""
    meetings = (
        await session.exec(
            select(Meeting)
            .where(col(Meeting.starts_at) >= start, col(Meeting.starts_at) < end)
            .order_by(col(Meeting.starts_at))
        )
    ).all()
    ids = [m.id for m in meetings]
    present = col(Attendance.present).is_(True)
    # sqlmodel's select() is annotated for at most four columns; at run time it takes any number.
    stmt = (
        select(  # type: ignore[call-overload]
            Attendance.meeting_id,
            func.count(),
            func.sum(case((present, 1), else_=0)),
            func.sum(case((present & col(Attendance.opening_id).is_not(None), 1), else_=0)),
            func.sum(case((present & col(Attendance.seeker_id).is_not(None), 1), else_=0)),
            func.sum(Attendance.interviews),
            func.sum(case((col(Attendance.result) == "hired", 1), else_=0)),
            func.sum(case((col(Attendance.result) == "in_progress", 1), else_=0)),
        )
        .where(col(Attendance.meeting_id).in_(ids))
        .group_by(col(Attendance.meeting_id))
    )
    figures: dict[int, dict[str, Any]] = {}
    for row in (await session.exec(stmt)).all():
        meeting_id, invited, came, companies, people, interviews, hired, pending = row
        figures[meeting_id] = {
            "invited": int(invited or 0), "present": int(came or 0),
            "companies": int(companies or 0), "seekers": int(people or 0),
            "interviews": int(interviews or 0), "hired": int(hired or 0),
            "in_progress": int(pending or 0),
        }
    empty = dict.fromkeys(
        ("invited", "present", "companies", "seekers", "interviews", "hired", "in_progress"), 0
    )
    return [(m, figures.get(m.id or 0, empty)) for m in meetings]


async def hires(
    *, session: AsyncSession, start: date, end: date
) -> Sequence[tuple[Hire, JobOpening, JobSeeker]]:
    stmt = (
        select(Hire, JobOpening, JobSeeker)
        .join(JobOpening, col(JobOpening.id) == col(Hire.opening_id))
        .join(JobSeeker, col(JobSeeker.id) == col(Hire.seeker_id))
        .where(col(Hire.deleted_at).is_(None), col(Hire.hired_on) >= start,
               col(Hire.hired_on) < end)
        .order_by(col(Hire.hired_on), col(Hire.id))
    )
    return (await session.exec(stmt)).all()


async def interviews_by_agency_month(
    *, session: AsyncSession, start: datetime, end: datetime
) -> dict[tuple[int, str], int]:
    """{(host agency id, 'YYYY-MM'): interviews} at the meeting days held in [start, end).

    Counted like the month-end report: interviews belong to the meeting day's host. One query,
    read as (agency, time, interviews) triples of the period's held meeting days."""
    stmt = (
        select(Meeting.host_agency_id, Meeting.starts_at, func.sum(Attendance.interviews))
        .select_from(Attendance)
        .join(Meeting, col(Meeting.id) == col(Attendance.meeting_id))
        .where(Meeting.kind == MeetingKind.MEETING_DAY, Meeting.status == MeetingStatus.HELD,
               col(Meeting.starts_at) >= start, col(Meeting.starts_at) < end)
        .group_by(col(Meeting.id), col(Meeting.host_agency_id), col(Meeting.starts_at))
    )
    out: dict[tuple[int, str], int] = {}
    for agency_id, at, n in (await session.exec(stmt)).all():
        if at is None:
            continue
        key = (agency_id, f"{at.year:04d}-{at.month:02d}")  # in the council's zone
        out[key] = out.get(key, 0) + int(n or 0)
    return out


async def followups(
    *, session: AsyncSession, start: date, end: date
) -> Sequence[tuple[FollowUp, Hire, JobOpening, JobSeeker]]:
    """The follow-up points of the hires started in [start, end), one row each (one query)."""
    stmt = (
        select(FollowUp, Hire, JobOpening, JobSeeker)
        .join(Hire, col(Hire.id) == col(FollowUp.hire_id))
        .join(JobOpening, col(JobOpening.id) == col(Hire.opening_id))
        .join(JobSeeker, col(JobSeeker.id) == col(Hire.seeker_id))
        .where(col(Hire.deleted_at).is_(None), FollowUp.state != FollowUpState.CANCELLED)
        .where(col(Hire.hired_on) >= start, col(Hire.hired_on) < end)
        .order_by(col(Hire.hired_on), col(Hire.id), col(FollowUp.months))
    )
    return (await session.exec(stmt)).all()
