"""A meeting day on the day, for the host centre only: who takes part (seekers with their details,
companies) and the checklist of who is present (a company on site or in writing)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from core.statuses import AttendanceMode
from models import meetings as meetings_db
from models.tables import Attendance, Meeting
from services.crypto import Cipher
from services.meetings.base import (
    CHECKLIST_EARLY,
    company_label,
    hosted,
    not_before,
    require_scheduled,
    seeker_label,
    taken_places,
)
from services.membership import Actor

SEEKER, COMPANY = "seeker", "company"  # a participant's kind


@dataclass(frozen=True)
class Participant:
    attendance_id: int
    kind: str  # SEEKER | COMPANY
    label: str
    present: bool | None
    mode: str
    waitlisted: bool
    interviews: int
    result: str | None

    @property
    def written(self) -> bool:
        """A company that took part in writing (not on site)."""
        return self.kind == COMPANY and self.mode == AttendanceMode.WRITTEN


@dataclass
class DaySheet:
    meeting: Meeting
    seekers: list[Participant]
    companies: list[Participant]


def _participant(row: Attendance, label: str) -> Participant:
    assert row.id is not None
    return Participant(
        attendance_id=row.id,
        kind=SEEKER if row.seeker_id is not None else COMPANY,
        label=label,
        present=row.present,
        mode=row.mode,
        waitlisted=row.waitlisted,
        interviews=row.interviews,
        result=row.result,
    )


async def day_sheet(
    *, session: AsyncSession, actor: Actor, cipher: Cipher, meeting_id: int
) -> DaySheet:
    """Seekers (with their details) and companies of a meeting day: for the host centre only."""
    meeting, _ = await hosted(session, actor, meeting_id)
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting_id)
    seekers = await meetings_db.seekers_by_ids(
        session=session, ids=[r.seeker_id for r in rows if r.seeker_id is not None]
    )
    openings = await meetings_db.openings_by_ids(
        session=session, ids=[r.opening_id for r in rows if r.opening_id is not None]
    )
    sheet = DaySheet(meeting=meeting, seekers=[], companies=[])
    for row in rows:
        if row.seeker_id is not None:
            seeker = seekers.get(row.seeker_id)
            label = seeker_label(seeker, cipher) if seeker else "-"
            sheet.seekers.append(_participant(row, label))
        elif row.opening_id is not None:
            opening = openings.get(row.opening_id)
            sheet.companies.append(_participant(row, company_label(opening) if opening else "-"))
    return sheet


async def seeker_result_view(
    *, session: AsyncSession, actor: Actor, cipher: Cipher, attendance_id: int
) -> tuple[int, Participant, list[Participant]]:
    """One seeker of the day (host only): (meeting id, the seeker, the companies present)."""
    row = await meetings_db.get_attendance(session=session, attendance_id=attendance_id)
    if row is None or row.seeker_id is None:
        raise DomainError("meetings.unknown")
    sheet = await day_sheet(
        session=session, actor=actor, cipher=cipher, meeting_id=row.meeting_id
    )
    me = next(p for p in sheet.seekers if p.attendance_id == attendance_id)
    return row.meeting_id, me, [p for p in sheet.companies if p.present]


async def day_row(
    session: AsyncSession, actor: Actor, attendance_id: int
) -> tuple[Meeting, Attendance]:
    """A participant of a meeting day of the actor's centre, with the day."""
    row = await meetings_db.get_attendance(session=session, attendance_id=attendance_id)
    if row is None:
        raise DomainError("meetings.unknown")
    meeting, _ = await hosted(session, actor, row.meeting_id)
    return meeting, row


async def toggle_day_presence(
    *, session: AsyncSession, clock: Clock, actor: Actor, attendance_id: int
) -> Attendance:
    """Tap on the checklist: a seeker present/absent; a company on site, in writing, absent."""
    meeting, row = await day_row(session, actor, attendance_id)
    require_scheduled(meeting)
    not_before(meeting, clock.now(), "meetings.attendance_not_yet", CHECKLIST_EARLY)
    if row.result:
        raise DomainError("meetingday.has_results")
    if row.seeker_id is not None:
        if not row.present and row.waitlisted:
            rows = await meetings_db.rsvps(session=session, meeting_id=meeting.id or 0)
            if meeting.capacity is not None and taken_places(rows) >= meeting.capacity:
                raise DomainError("meetingday.waitlisted_full", capacity=meeting.capacity)
            row.waitlisted = False
        row.present = not row.present
    else:
        # absent/unknown -> on site -> in writing -> absent
        if not row.present:
            row.present, row.mode = True, AttendanceMode.ONSITE
        elif row.mode == AttendanceMode.ONSITE:
            row.mode = AttendanceMode.WRITTEN
        else:
            row.present, row.mode = False, AttendanceMode.ONSITE
    row.checked_in_at = clock.now() if row.present else None
    await meetings_db.save(session=session, rows=[row])
    return row
