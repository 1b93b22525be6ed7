"""Aggregate queries behind /status, month-end reports and exports.

/status reads the season's counts per agency from the counters of models/tally.py (flat in the
number of records); the plain queries here (`count_by_agency`) are their recount and answer when
the counters cannot. The other queries group by agency (and 시군 or month) over indexed columns.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.statuses import MeetingKind, MeetingStatus
from models import tally
from models.tables import Attendance, Hire, JobOpening, JobSeeker, Meeting

METRICS = ("openings", "seekers", "meeting_days", "hires")
# The month-end report: also the follow-up points due that month, and how many found her working.
REPORT_METRICS = ("openings", "seekers", "meeting_days", "interviews", "hires", "followups",
                  "retained")


def _add(into: dict[int, dict[str, int]], rows: object, metric: str) -> None:
    for key, n in rows:  # type: ignore[attr-defined]
        if key is not None:
            into[key][metric] = int(n or 0)


async def figures_by_agency(
    *, session: AsyncSession, start: datetime, end: datetime
) -> dict[int, dict[str, int]]:
    """{agency id: {metric: count}} for records created (held, hired) in [start, end): from the
    counters when the bounds are months of the council's zone (a season is), else counted."""
    found = await tally.sums_by_agency(session=session, start=start, end=end)
    if found is not None:
        return found
    return await count_by_agency(session=session, start=start, end=end)


async def count_by_agency(
    *, session: AsyncSession, start: datetime, end: datetime
) -> dict[int, dict[str, int]]:
    """The same figures counted from the records (the counters' recount)."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    openings = (
        select(JobOpening.agency_id, func.count())
        .where(col(JobOpening.deleted_at).is_(None))
        .where(col(JobOpening.created_at) >= start, col(JobOpening.created_at) < end)
        .group_by(col(JobOpening.agency_id))
    )
    _add(out, (await session.exec(openings)).all(), "openings")
    seekers = (
        select(JobSeeker.agency_id, func.count())
        .where(col(JobSeeker.deleted_at).is_(None))
        .where(col(JobSeeker.created_at) >= start, col(JobSeeker.created_at) < end)
        .group_by(col(JobSeeker.agency_id))
    )
    _add(out, (await session.exec(seekers)).all(), "seekers")
    days = (
        select(Meeting.host_agency_id, func.count())
        .where(Meeting.kind == MeetingKind.MEETING_DAY, Meeting.status == MeetingStatus.HELD)
        .where(col(Meeting.starts_at) >= start, col(Meeting.starts_at) < end)
        .group_by(col(Meeting.host_agency_id))
    )
    _add(out, (await session.exec(days)).all(), "meeting_days")
    hires = (
        select(Hire.agency_id, func.count())
        .where(col(Hire.deleted_at).is_(None))
        .where(col(Hire.hired_on) >= start.date(), col(Hire.hired_on) < end.date())
        .group_by(col(Hire.agency_id))
    )
    _add(out, (await session.exec(hires)).all(), "hires")
    return dict(out)


async def figures_by_region(
    *, session: AsyncSession, agency_id: int, start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    """One agency's month by 시군: {region code: {report metric: count}}."""
    out: dict[str, dict[str, int]] = defaultdict(dict)

    def put(rows: object, metric: str) -> None:
        for region, n in rows:  # type: ignore[attr-defined]
            out[region or "-"][metric] = out[region or "-"].get(metric, 0) + int(n or 0)

    openings = (
        select(JobOpening.region_code, func.count())
        .where(JobOpening.agency_id == agency_id, col(JobOpening.deleted_at).is_(None))
        .where(col(JobOpening.created_at) >= start, col(JobOpening.created_at) < end)
        .group_by(col(JobOpening.region_code))
    )
    put((await session.exec(openings)).all(), "openings")
    seekers = (
        select(JobSeeker.region_code, func.count())
        .where(JobSeeker.agency_id == agency_id, col(JobSeeker.deleted_at).is_(None))
        .where(col(JobSeeker.created_at) >= start, col(JobSeeker.created_at) < end)
        .group_by(col(JobSeeker.region_code))
    )
    put((await session.exec(seekers)).all(), "seekers")
    held = (
        Meeting.host_agency_id == agency_id,
        Meeting.kind == MeetingKind.MEETING_DAY,
        Meeting.status == MeetingStatus.HELD,
        col(Meeting.starts_at) >= start,
        col(Meeting.starts_at) < end,
    )
    days = select(Meeting.region_code, func.count()).where(*held).group_by(
        col(Meeting.region_code)
    )
    put((await session.exec(days)).all(), "meeting_days")
    interviews = (
        select(Meeting.region_code, func.sum(Attendance.interviews))
        .select_from(Attendance)
        .join(Meeting, col(Meeting.id) == col(Attendance.meeting_id))
        .where(*held)
        .group_by(col(Meeting.region_code))
    )
    put((await session.exec(interviews)).all(), "interviews")
    hires = (
        select(JobOpening.region_code, func.count())
        .select_from(Hire)
        .join(JobOpening, col(JobOpening.id) == col(Hire.opening_id))
        .where(Hire.agency_id == agency_id, col(Hire.deleted_at).is_(None))
        .where(col(Hire.hired_on) >= start.date(), col(Hire.hired_on) < end.date())
        .group_by(col(JobOpening.region_code))
    )
    put((await session.exec(hires)).all(), "hires")
    return dict(out)


async def figures_by_agency_month(
    *, session: AsyncSession, start: datetime, end: datetime, tz_offset_hours: int = 9
) -> dict[tuple[int, str], dict[str, int]]:
    """{(agency id, 'YYYY-MM'): {metric: count}} for the export's summary sheet.

    Months are taken in Seoul time; the grouping runs over at most a season's records of four
    tables, read as (agency, timestamp) pairs only.
    """
    out: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def month_of(value: datetime | date) -> str:
        return f"{value.year:04d}-{value.month:02d}"

    queries = [
        (
            "openings",
            select(JobOpening.agency_id, JobOpening.created_at).where(
                col(JobOpening.deleted_at).is_(None),
                col(JobOpening.created_at) >= start,
                col(JobOpening.created_at) < end,
            ),
        ),
        (
            "seekers",
            select(JobSeeker.agency_id, JobSeeker.created_at).where(
                col(JobSeeker.deleted_at).is_(None),
                col(JobSeeker.created_at) >= start,
                col(JobSeeker.created_at) < end,
            ),
        ),
        (
            "meeting_days",
            select(Meeting.host_agency_id, Meeting.starts_at).where(
                Meeting.kind == MeetingKind.MEETING_DAY,
                Meeting.status == MeetingStatus.HELD,
                col(Meeting.starts_at) >= start,
                col(Meeting.starts_at) < end,
            ),
        ),
        (
            "hires",
            select(col(Hire.agency_id), col(Hire.hired_on)).where(
                col(Hire.deleted_at).is_(None),
                col(Hire.hired_on) >= start.date(),
                col(Hire.hired_on) < end.date(),
            ),
        ),
    ]
    for metric, stmt in queries:
        for agency_id, at in (await session.exec(stmt)).all():
            if at is not None:
                out[(agency_id, month_of(at))][metric] += 1
    return {k: dict(v) for k, v in out.items()}


async def figures_in_region(
    *, session: AsyncSession, region_code: str, start: datetime, end: datetime
) -> dict[str, int]:
    """Season counts of one 시군 (openings, seekers, meeting days, hires)."""
    out: dict[str, int] = {}
    queries = {
        "openings": select(func.count()).select_from(JobOpening).where(
            JobOpening.region_code == region_code, col(JobOpening.deleted_at).is_(None),
            col(JobOpening.created_at) >= start, col(JobOpening.created_at) < end,
        ),
        "seekers": select(func.count()).select_from(JobSeeker).where(
            JobSeeker.region_code == region_code, col(JobSeeker.deleted_at).is_(None),
            col(JobSeeker.created_at) >= start, col(JobSeeker.created_at) < end,
        ),
        "meeting_days": select(func.count()).select_from(Meeting).where(
            Meeting.region_code == region_code, Meeting.kind == MeetingKind.MEETING_DAY,
            Meeting.status == MeetingStatus.HELD, col(Meeting.starts_at) >= start,
            col(Meeting.starts_at) < end,
        ),
        "hires": select(func.count()).select_from(Hire)
        .join(JobOpening, col(JobOpening.id) == col(Hire.opening_id))
        .where(
            JobOpening.region_code == region_code, col(Hire.deleted_at).is_(None),
            col(Hire.hired_on) >= start.date(), col(Hire.hired_on) < end.date(),
        ),
    }
    for metric, stmt in queries.items():
        out[metric] = int((await session.exec(stmt)).one() or 0)
    return out
