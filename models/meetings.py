"""Queries on meetings (council meetings and meeting days) and their participants.

Openings and seekers are read here through small queries of our own (the openings/seekers
feature owns their forms); hires are only counted and checked for duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.statuses import ACTIVE_SEEKER_STATUSES, MeetingKind, MeetingStatus
from models.tables import Attendance, Hire, JobOpening, JobSeeker, Meeting, Member


# --- meetings ----------------------------------------------------------------------------------
async def add_meeting(*, session: AsyncSession, meeting: Meeting) -> Meeting:
    session.add(meeting)
    await session.flush()
    return meeting


async def get_meeting(*, session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


async def save(*, session: AsyncSession, rows: Iterable[object]) -> None:
    for row in rows:
        session.add(row)
    await session.flush()


async def upcoming_meetings(
    *, session: AsyncSession, start: datetime, end: datetime
) -> Sequence[Meeting]:
    """Scheduled meetings (both kinds) starting in [start, end), earliest first."""
    stmt = (
        select(Meeting)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.starts_at) >= start,
            col(Meeting.starts_at) < end,
        )
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    )
    return (await session.exec(stmt)).all()


async def meetings_between(
    *,
    session: AsyncSession,
    start: datetime,
    end: datetime,
    statuses: Sequence[str] = (MeetingStatus.SCHEDULED,),
    kind: str | None = None,
) -> Sequence[Meeting]:
    """Meetings (by status) that end after `start` and start before `end`."""
    stmt = select(Meeting).where(
        col(Meeting.status).in_(statuses),
        col(Meeting.starts_at) < end,
        col(Meeting.ends_at) > start,
    )
    if kind:
        stmt = stmt.where(Meeting.kind == kind)
    return (await session.exec(stmt.order_by(col(Meeting.starts_at), col(Meeting.id)))).all()


async def past_meetings(
    *, session: AsyncSession, before: datetime, limit: int = 10
) -> Sequence[Meeting]:
    """Held meetings that started before `before`, newest first."""
    stmt = (
        select(Meeting)
        .where(Meeting.status == MeetingStatus.HELD, col(Meeting.starts_at) < before)
        .order_by(col(Meeting.starts_at).desc())
        .limit(limit)
    )
    return (await session.exec(stmt)).all()


async def overlapping_meeting_days(
    *,
    session: AsyncSession,
    host_agency_id: int,
    start: datetime,
    end: datetime,
    exclude_id: int | None = None,
) -> Sequence[Meeting]:
    stmt = select(Meeting).where(
        Meeting.kind == MeetingKind.MEETING_DAY,
        Meeting.host_agency_id == host_agency_id,
        Meeting.status == MeetingStatus.SCHEDULED,
        col(Meeting.starts_at) < end,
        col(Meeting.ends_at) > start,
    )
    if exclude_id is not None:
        stmt = stmt.where(col(Meeting.id) != exclude_id)
    return (await session.exec(stmt)).all()


async def first_held_council(
    *, session: AsyncSession, start: datetime, end: datetime
) -> Meeting | None:
    stmt = (
        select(Meeting)
        .where(
            Meeting.kind == MeetingKind.COUNCIL,
            Meeting.status == MeetingStatus.HELD,
            col(Meeting.starts_at) >= start,
            col(Meeting.starts_at) < end,
        )
        .order_by(col(Meeting.starts_at))
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def any_meeting(*, session: AsyncSession, kind: str, host_agency_id: int) -> bool:
    stmt = select(Meeting.id).where(Meeting.kind == kind, Meeting.host_agency_id == host_agency_id)
    return (await session.exec(stmt.limit(1))).first() is not None


# --- participants ------------------------------------------------------------------------------
async def rsvps(*, session: AsyncSession, meeting_id: int) -> Sequence[Attendance]:
    """Every participant row of a meeting (members, companies, seekers), in invitation order."""
    stmt = (
        select(Attendance).where(Attendance.meeting_id == meeting_id).order_by(col(Attendance.id))
    )
    return (await session.exec(stmt)).all()


async def get_attendance(*, session: AsyncSession, attendance_id: int) -> Attendance | None:
    return await session.get(Attendance, attendance_id)


async def find_attendance(
    *, session: AsyncSession, meeting_id: int, participant_key: str
) -> Attendance | None:
    stmt = select(Attendance).where(
        Attendance.meeting_id == meeting_id, Attendance.participant_key == participant_key
    )
    return (await session.exec(stmt)).first()


async def delete_attendance(*, session: AsyncSession, attendance: Attendance) -> None:
    await session.delete(attendance)
    await session.flush()


async def member_meeting_ids(*, session: AsyncSession, member_id: int) -> set[int]:
    stmt = select(Attendance.meeting_id).where(Attendance.participant_key == f"m:{member_id}")
    return set((await session.exec(stmt)).all())


async def agency_company_meeting_ids(*, session: AsyncSession, agency_id: int) -> set[int]:
    """Meetings where a company registered by this agency is invited."""
    stmt = select(Attendance.meeting_id).where(
        Attendance.agency_id == agency_id, col(Attendance.opening_id).is_not(None)
    )
    return set((await session.exec(stmt)).all())


async def members_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, Member]:
    if not ids:
        return {}
    stmt = select(Member).where(col(Member.id).in_(ids))
    return {m.id: m for m in (await session.exec(stmt)).all() if m.id is not None}


async def active_members_of(
    *, session: AsyncSession, agency_ids: Sequence[int]
) -> Sequence[Member]:
    if not agency_ids:
        return []
    stmt = (
        select(Member)
        .where(col(Member.agency_id).in_(agency_ids), col(Member.active).is_(True))
        .order_by(col(Member.agency_id), col(Member.id))
    )
    return (await session.exec(stmt)).all()


# --- openings and seekers (read only) ----------------------------------------------------------
async def open_openings_in(
    *, session: AsyncSession, region_codes: Sequence[str]
) -> Sequence[JobOpening]:
    """Open, not deleted openings in these 시군: approved subsidy workplaces first."""
    if not region_codes:
        return []
    stmt = (
        select(JobOpening)
        .where(
            col(JobOpening.region_code).in_(region_codes),
            JobOpening.status == "open",
            col(JobOpening.deleted_at).is_(None),
        )
        .order_by(
            col(JobOpening.subsidy_approved).desc(),
            col(JobOpening.company_name),
            col(JobOpening.id),
        )
    )
    return (await session.exec(stmt)).all()


async def openings_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, JobOpening]:
    if not ids:
        return {}
    stmt = select(JobOpening).where(col(JobOpening.id).in_(ids))
    return {o.id: o for o in (await session.exec(stmt)).all() if o.id is not None}


async def get_opening(*, session: AsyncSession, opening_id: int) -> JobOpening | None:
    return await session.get(JobOpening, opening_id)


async def active_seekers_of(*, session: AsyncSession, agency_id: int) -> Sequence[JobSeeker]:
    """The centre's seekers still looking for work (not deleted or purged)."""
    stmt = (
        select(JobSeeker)
        .where(
            JobSeeker.agency_id == agency_id,
            col(JobSeeker.status).in_(ACTIVE_SEEKER_STATUSES),
            col(JobSeeker.deleted_at).is_(None),
            col(JobSeeker.purged_at).is_(None),
        )
        .order_by(col(JobSeeker.id))
    )
    return (await session.exec(stmt)).all()


async def seekers_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, JobSeeker]:
    if not ids:
        return {}
    stmt = select(JobSeeker).where(col(JobSeeker.id).in_(ids))
    return {s.id: s for s in (await session.exec(stmt)).all() if s.id is not None}


async def get_seeker(*, session: AsyncSession, seeker_id: int) -> JobSeeker | None:
    return await session.get(JobSeeker, seeker_id)


# --- hires (for the minimal hires service and the results view) --------------------------------
async def find_hire(*, session: AsyncSession, seeker_id: int, opening_id: int) -> Hire | None:
    stmt = select(Hire).where(
        Hire.seeker_id == seeker_id,
        Hire.opening_id == opening_id,
        col(Hire.deleted_at).is_(None),
    )
    return (await session.exec(stmt)).first()


async def count_hires_at(*, session: AsyncSession, meeting_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(Hire)
        .where(Hire.meeting_id == meeting_id, col(Hire.deleted_at).is_(None))
    )
    return int((await session.exec(stmt)).one())
