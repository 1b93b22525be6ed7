"""A meeting day's results (host centre only): interviews, hires on the spot (real hire records),
hires in progress, not hired; the day's counts anyone in the region may see; closing the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from core.statuses import AttendanceMode, MeetingResult, MeetingStatus
from models import meetings as meetings_db
from models.tables import Attendance, Meeting
from services import hires
from services.council import FollowUpConfig
from services.meetings.base import audit, hosted, not_before, require_scheduled
from services.meetings.checklist import day_row
from services.membership import Actor


def _results_open(meeting: Meeting, now: datetime) -> None:
    require_scheduled(meeting)
    not_before(meeting, now, "meetingday.results_too_early")


def _not_hired_yet(row: Attendance) -> None:
    if row.result == MeetingResult.HIRED:
        raise DomainError("meetingday.already_hired")


async def _result_pair(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    seeker_row_id: int,
    company_row_id: int,
    *,
    unhired: bool = False,
) -> tuple[Meeting, Attendance, Attendance]:
    """A present seeker and a present company of the same day, results open (`unhired`: the
    seeker not hired yet)."""
    meeting, seeker_row = await day_row(session, actor, seeker_row_id)
    company_row = await meetings_db.get_attendance(session=session, attendance_id=company_row_id)
    if (
        seeker_row.seeker_id is None
        or company_row is None
        or company_row.opening_id is None
        or company_row.meeting_id != meeting.id
    ):
        raise DomainError("meetings.unknown")
    _results_open(meeting, clock.now())
    if not seeker_row.present:
        raise DomainError("meetingday.not_present")
    if not company_row.present:
        raise DomainError("meetingday.company_not_present")
    if unhired:
        _not_hired_yet(seeker_row)
    return meeting, seeker_row, company_row


async def record_interview(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_row_id: int, company_row_id: int
) -> tuple[Attendance, Attendance]:
    """One interview between a present seeker and a present company."""
    _, seeker_row, company_row = await _result_pair(
        session, clock, actor, seeker_row_id, company_row_id
    )
    seeker_row.interviews += 1
    company_row.interviews += 1
    await meetings_db.save(session=session, rows=[seeker_row, company_row])
    return seeker_row, company_row


async def record_spot_hire(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_row_id: int,
    company_row_id: int, followup: FollowUpConfig | None = None,
) -> tuple[Attendance, Attendance]:
    """Hired on the spot: a real hire record through the hires feature (with its follow-up
    points at the months of `followup`)."""
    meeting, seeker_row, company_row = await _result_pair(
        session, clock, actor, seeker_row_id, company_row_id, unhired=True
    )
    assert seeker_row.seeker_id is not None and company_row.opening_id is not None
    await hires.record_hire(
        session=session,
        clock=clock,
        actor=actor,
        seeker_id=seeker_row.seeker_id,
        opening_id=company_row.opening_id,
        hired_on=clock.today(),
        meeting_id=meeting.id,
        followup=followup,
    )
    if seeker_row.interviews == 0:
        seeker_row.interviews, company_row.interviews = 1, company_row.interviews + 1
    seeker_row.result = company_row.result = MeetingResult.HIRED
    await meetings_db.save(session=session, rows=[seeker_row, company_row])
    return seeker_row, company_row


async def record_in_progress(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_row_id: int, company_row_id: int
) -> tuple[Attendance, Attendance]:
    """A hire in progress (second interview, papers): followed up after the day."""
    _, seeker_row, company_row = await _result_pair(
        session, clock, actor, seeker_row_id, company_row_id, unhired=True
    )
    seeker_row.result = MeetingResult.IN_PROGRESS
    if company_row.result != MeetingResult.HIRED:
        company_row.result = MeetingResult.IN_PROGRESS
    await meetings_db.save(session=session, rows=[seeker_row, company_row])
    return seeker_row, company_row


async def record_not_hired(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_row_id: int
) -> Attendance:
    meeting, row = await day_row(session, actor, seeker_row_id)
    if row.seeker_id is None:
        raise DomainError("meetings.unknown")
    _results_open(meeting, clock.now())
    if not row.present:
        raise DomainError("meetingday.not_present")
    _not_hired_yet(row)
    row.result = MeetingResult.NOT_HIRED
    await meetings_db.save(session=session, rows=[row])
    return row


@dataclass(frozen=True)
class DayCounts:
    """What anyone in the region may see of a meeting day: numbers, never people."""

    capacity: int
    seekers: int
    waitlisted: int
    companies: int
    written: int
    seekers_present: int
    companies_present: int
    interviews: int
    hires: int
    in_progress: int


async def day_counts(*, session: AsyncSession, meeting: Meeting) -> DayCounts:
    assert meeting.id is not None
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting.id)
    seekers = [r for r in rows if r.seeker_id is not None]
    companies = [r for r in rows if r.opening_id is not None]
    return DayCounts(
        capacity=meeting.capacity or 0,
        seekers=sum(1 for r in seekers if not r.waitlisted),
        waitlisted=sum(1 for r in seekers if r.waitlisted),
        companies=len(companies),
        written=sum(1 for r in companies if r.present and r.mode == AttendanceMode.WRITTEN),
        seekers_present=sum(1 for r in seekers if r.present),
        companies_present=sum(1 for r in companies if r.present),
        interviews=sum(r.interviews for r in seekers),
        hires=await meetings_db.count_hires_at(session=session, meeting_id=meeting.id),
        in_progress=sum(1 for r in seekers if r.result == MeetingResult.IN_PROGRESS),
    )


async def close_meeting_day(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int
) -> tuple[DayCounts, int]:
    """The day is over: held; present seekers not hired get the follow-up flag (사후관리)."""
    meeting, _ = await hosted(session, actor, meeting_id)
    _results_open(meeting, clock.now())
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting_id)
    if not any(r.present for r in rows):
        raise DomainError("meetings.no_attendees")
    present = [r for r in rows if r.seeker_id is not None and r.present]
    seekers = await meetings_db.seekers_by_ids(
        session=session, ids=[r.seeker_id for r in present if r.seeker_id is not None]
    )
    flagged = []
    for row in present:
        if row.result == MeetingResult.HIRED:
            continue
        if row.result is None:
            row.result = MeetingResult.NOT_HIRED
        seeker = seekers.get(row.seeker_id or 0)
        if seeker is not None:
            seeker.followup, seeker.updated_at = True, clock.now()
            flagged.append(seeker)
    meeting.status, meeting.updated_at = MeetingStatus.HELD, clock.now()
    await meetings_db.save(session=session, rows=[meeting, *present, *flagged])
    await audit(session, clock, actor, meeting_id, action="meeting.held", followup=len(flagged))
    return await day_counts(session=session, meeting=meeting), len(flagged)
