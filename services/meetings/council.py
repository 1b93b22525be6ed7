"""Council meetings (실무자협의회): creating one with its invitations, RSVP until the start, the
coordinator's answer sheet and attendance checklist, members' check-in, and the notes after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, local_zone
from core.errors import DomainError
from core.statuses import MeetingKind, MeetingStatus, Rsvp
from models import council as council_db
from models import meetings as meetings_db
from models.tables import Attendance, Meeting, Member
from services.meetings.base import (
    CHECKIN_EARLY,
    COUNCIL_LENGTH,
    audit,
    current_members,
    end_of,
    get_meeting,
    is_current,
    member_id_of,
    member_of,
    not_before,
    not_cancelled,
    own_invitation,
    saved_meeting,
    start_of,
    store_new,
)
from services.meetings.fields import check_start, clean_agenda, clean_notes
from services.membership import Actor, require_lead

RSVP_ANSWERS = tuple(Rsvp)


async def create_council_meeting(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    starts_at: datetime,
    place: str,
    online_link: str,
    agenda: str,
    agency_ids: Sequence[int],
    token: str | None = None,
) -> tuple[Meeting, list[Member]]:
    """Create the meeting and one invitation per active member of the chosen agencies.

    `token` is the form's draft's: a 저장 repeated after a crash returns the meeting it created
    (with its invited members, to invite again: an invitation twice beats none)."""
    lead = require_lead(actor)
    if lead.agency_id is None:
        raise DomainError("meetings.lead_without_agency")
    saved = await saved_meeting(session, token)
    if saved is not None and saved.kind == MeetingKind.COUNCIL:
        assert saved.id is not None
        rows = await meetings_db.rsvps(session=session, meeting_id=saved.id)
        ids = [r.member_id for r in rows if r.member_id is not None]
        found = await meetings_db.members_by_ids(session=session, ids=ids)
        return saved, [found[i] for i in ids if i in found and found[i].active]
    check_start(starts_at, now=clock.now())
    if not (place or online_link):
        raise DomainError("meetings.place_required")
    agenda = clean_agenda(agenda)
    if not agency_ids:
        raise DomainError("meetings.no_agencies")
    invitees = list(await meetings_db.active_members_of(session=session, agency_ids=agency_ids))
    if not invitees:
        raise DomainError("meetings.no_invitees")
    meeting = await store_new(
        session,
        clock,
        actor,
        token,
        Meeting(
            kind=MeetingKind.COUNCIL,
            host_agency_id=lead.agency_id,
            created_by=lead.id,
            starts_at=starts_at,
            ends_at=starts_at + COUNCIL_LENGTH,
            place=place,
            online_link=online_link,
            agenda=agenda,
        ),
        agencies=list(agency_ids),
        invited=len(invitees),
    )
    assert meeting.id is not None
    await meetings_db.save(
        session=session,
        rows=[
            Attendance(
                meeting_id=meeting.id,
                participant_key=f"m:{m.id}",
                agency_id=m.agency_id,
                member_id=m.id,
            )
            for m in invitees
        ],
    )
    return meeting, invitees


async def set_rsvp(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, answer: str
) -> tuple[Meeting, Attendance]:
    """참석 / 불참 / 미정, changeable until the meeting starts."""
    if answer not in RSVP_ANSWERS:
        raise DomainError("meetings.unknown")
    member = member_of(actor)
    meeting = await get_meeting(session, meeting_id, MeetingKind.COUNCIL)
    not_cancelled(meeting)
    if clock.now() >= start_of(meeting) or meeting.status == MeetingStatus.HELD:
        raise DomainError("meetings.rsvp_closed")
    row = await own_invitation(session, meeting_id, member)
    row.rsvp, row.rsvp_at = answer, clock.now()
    await meetings_db.save(session=session, rows=[row])
    return meeting, row


@dataclass(frozen=True)
class AnswerLine:
    attendance_id: int
    name: str
    rsvp: str | None
    present: bool
    left: bool  # no longer an active member of the invited agency


@dataclass
class AgencyAnswers:
    agency: str
    lines: list[AnswerLine] = field(default_factory=list)


@dataclass
class AnswerSheet:
    meeting: Meeting
    agencies: list[AgencyAnswers]

    def count(self, rsvp: str | None) -> int:
        return sum(
            1 for a in self.agencies for line in a.lines if line.rsvp == rsvp and not line.left
        )

    @property
    def present(self) -> int:
        return sum(1 for a in self.agencies for line in a.lines if line.present)


async def answer_sheet(*, session: AsyncSession, actor: Actor, meeting_id: int) -> AnswerSheet:
    """Who answered what, per agency, with those who have not answered (coordinators only)."""
    require_lead(actor)
    meeting = await get_meeting(session, meeting_id, MeetingKind.COUNCIL)
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting_id)
    ids = [member_id_of(r) for r in rows]
    members = await meetings_db.members_by_ids(session=session, ids=ids)
    agencies = {
        a.id: a for a in await council_db.list_agencies(session=session, active_only=False)
    }
    grouped: dict[int, AgencyAnswers] = {}
    for row in rows:
        agency_id = row.agency_id or 0
        agency = agencies.get(agency_id)
        group = grouped.setdefault(agency_id, AgencyAnswers(agency.short_name if agency else "-"))
        member = members.get(member_id_of(row))
        assert row.id is not None
        group.lines.append(
            AnswerLine(
                attendance_id=row.id,
                name=member.display_name if member else "-",
                rsvp=row.rsvp,
                present=bool(row.present),
                left=not is_current(row, member),
            )
        )
    return AnswerSheet(meeting=meeting, agencies=list(grouped.values()))


async def toggle_member_present(
    *, session: AsyncSession, clock: Clock, actor: Actor, attendance_id: int
) -> tuple[Attendance, str]:
    """The coordinator ticks (or unticks) an invited member on the attendance checklist."""
    require_lead(actor)
    row = await meetings_db.get_attendance(session=session, attendance_id=attendance_id)
    if row is None or row.member_id is None:
        raise DomainError("meetings.unknown")
    meeting = await get_meeting(session, row.meeting_id, MeetingKind.COUNCIL)
    not_cancelled(meeting)
    not_before(meeting, clock.now(), "meetings.attendance_not_yet", CHECKIN_EARLY)
    member = await meetings_db.members_by_ids(session=session, ids=[row.member_id])
    person = member.get(row.member_id)
    if not row.present and not is_current(row, person):
        raise DomainError(
            "meetings.member_left_named", name=person.display_name if person else "-"
        )
    row.present = not row.present
    row.checked_in_at = clock.now() if row.present else None
    await meetings_db.save(session=session, rows=[row])
    return row, person.display_name if person else "-"


async def check_in(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int
) -> tuple[Meeting, bool]:
    """A member checks in during the meeting window; returns (meeting, already checked in)."""
    member = member_of(actor)
    meeting = await get_meeting(session, meeting_id, MeetingKind.COUNCIL)
    not_cancelled(meeting)
    now = clock.now()
    not_before(meeting, now, "meetings.checkin_not_yet", CHECKIN_EARLY)
    if now > end_of(meeting):
        raise DomainError("meetings.checkin_closed")
    row = await own_invitation(session, meeting_id, member)
    if row.present:
        return meeting, True
    row.present, row.checked_in_at = True, now
    await meetings_db.save(session=session, rows=[row])
    return meeting, False


def in_checkin_window(meeting: Meeting, now: datetime) -> bool:
    return (
        meeting.status == MeetingStatus.SCHEDULED
        and start_of(meeting) - CHECKIN_EARLY <= now <= end_of(meeting)
    )


async def record_notes(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, notes: str
) -> tuple[Meeting, list[Member]]:
    """Decisions and the division of roles, after the meeting; the meeting counts as held."""
    require_lead(actor)
    meeting = await get_meeting(session, meeting_id, MeetingKind.COUNCIL)
    not_cancelled(meeting)
    not_before(meeting, clock.now(), "meetings.notes_too_early")
    notes = clean_notes(notes)
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting_id)
    if not any(r.present for r in rows):
        raise DomainError("meetings.no_attendees")
    first_time = meeting.status != MeetingStatus.HELD
    meeting.notes, meeting.status, meeting.updated_at = notes, MeetingStatus.HELD, clock.now()
    await meetings_db.save(session=session, rows=[meeting])
    await audit(
        session,
        clock,
        actor,
        meeting.id,
        action="meeting.notes",
        held=first_time,
        present=sum(1 for r in rows if r.present),
    )
    return meeting, await current_members(session, rows)


async def first_council_meeting_held(*, session: AsyncSession, year: int) -> date | None:
    """The day the year's first council meeting was held (completes programme steps 1 and 2)."""
    tz = local_zone()
    start = datetime(year, 1, 1, tzinfo=tz)
    end = datetime(year + 1, 1, 1, tzinfo=tz)
    meeting = await meetings_db.first_held_council(session=session, start=start, end=end)
    return start_of(meeting).date() if meeting else None


async def invitable_agencies(*, session: AsyncSession) -> list[tuple[int, str]]:
    """(id, short name) of the council's active agencies: a new meeting invites them all first."""
    return [
        (a.id, a.short_name)
        for a in await council_db.list_agencies(session=session)
        if a.id is not None
    ]
