"""Meetings: the council meeting (실무자협의회) and the regional meeting days (만남의 날).

Rules only (no Telegram): typed dates and times, who is invited, RSVP until the start, attendance
(checklist or check-in), notes, capacity with a waiting list, results and hires, cancelling and
moving, and who may see what. Seekers' details are shown to the host 새일센터 only, through
`seeker_label`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import holidays
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, local_zone
from core.errors import DomainError, NotAllowed
from core.statuses import ACTIVE_SEEKER_STATUSES, AgencyKind
from core.text import clean_text
from models import audit as audit_db
from models import council as council_db
from models import meetings as meetings_db
from models import receipts as receipts_db
from models.meetings import CANCELLED, COUNCIL, HELD, MEETING_DAY, SCHEDULED
from models.tables import Agency, Attendance, JobOpening, JobSeeker, Meeting, Member
from services import hires, privacy
from services.crypto import Cipher, cipher_of
from services.forms import Also, Choice, FieldSpec, ParseEnv
from services.membership import Actor, require_lead

COUNCIL_LENGTH = timedelta(hours=2)
MEETING_DAY_LENGTH = timedelta(hours=3)
CHECKIN_EARLY = timedelta(minutes=30)  # members may check in half an hour before the start
CHECKLIST_EARLY = timedelta(hours=2)  # the day's checklist opens two hours before the start
MAX_AHEAD = timedelta(days=366)
MAX_CAPACITY = 500
TIME_CHOICES = ("10:00", "11:00", "13:00", "14:00", "15:00", "16:00")
RSVP_ANSWERS = ("yes", "no", "maybe")
WHEN_FORMAT = "%m/%d %H:%M"

RESULT_HIRED, RESULT_IN_PROGRESS, RESULT_NOT_HIRED = "hired", "in_progress", "not_hired"
MODE_ONSITE, MODE_WRITTEN = "onsite", "written"


# --- typed dates and times ---------------------------------------------------------------------
def fmt_when(at: datetime) -> str:
    return at.strftime(WHEN_FORMAT)


def _hour(value: int) -> int:
    # Office meetings: "2시" typed without 오후 means 14:00 (1..7 are afternoon hours).
    return value + 12 if 1 <= value <= 7 else value


def _time_from(groups: Sequence[str]) -> time:
    if not groups or len(groups) > 2:
        raise DomainError("meetings.time_invalid")
    hour = _hour(int(groups[0]))
    minute = int(groups[1]) if len(groups) == 2 else 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DomainError("meetings.time_invalid")
    return time(hour, minute)


def parse_time(text: str | None) -> time:
    """'14:30', '14시 30분', '2시' (afternoon): a time of day."""
    return _time_from(re.findall(r"\d+", text or ""))


def parse_when(text: str | None, *, today: date) -> tuple[date, time | None]:
    """A typed date with an optional time: '9/15 14:00', '9월 15일 14시', '2026-09-15 14:00'.

    Only the numbers count, so any separators work; without a year the current one is meant.
    """
    groups = re.findall(r"\d+", text or "")
    year = today.year
    if groups and len(groups[0]) == 4:
        year, groups = int(groups[0]), groups[1:]
    if len(groups) < 2 or len(groups) > 4:
        raise DomainError("meetings.when_invalid")
    try:
        day = date(year, int(groups[0]), int(groups[1]))
    except ValueError:
        raise DomainError("meetings.when_invalid") from None
    at = _time_from(groups[2:]) if len(groups) > 2 else None
    return day, at


def combine(day: date, at: time, tz: tzinfo | None) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def check_start(starts_at: datetime, *, now: datetime) -> None:
    """A new start must lie ahead, within a year."""
    if starts_at <= now:
        raise DomainError("meetings.when_past", when=fmt_when(starts_at))
    if starts_at - now > MAX_AHEAD:
        raise DomainError("meetings.when_too_far", when=starts_at.strftime("%Y-%m-%d"))


def check_day(day: date, *, today: date) -> None:
    if day < today:
        raise DomainError("meetings.day_past", day=day.strftime("%m/%d"))


def date_choices(today: date, count: int = 8) -> list[date]:
    """The next working days (no weekends, no Korean public holidays), from tomorrow."""
    public = holidays.country_holidays("KR", years=[today.year, today.year + 1])
    days: list[date] = []
    day = today
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in public:
            days.append(day)
    return days


def parse_capacity(text: str | None) -> int:
    groups = re.findall(r"\d+", text or "")
    if len(groups) != 1:
        raise DomainError("meetingday.capacity_invalid", limit=MAX_CAPACITY)
    value = int(groups[0])
    if not 1 <= value <= MAX_CAPACITY:
        raise DomainError("meetingday.capacity_invalid", limit=MAX_CAPACITY)
    return value


def clean_place(text: str | None) -> tuple[str, str]:
    """A place, or an online meeting link: (place, link)."""
    value = clean_text(text, max_length=500)
    if not value:
        raise DomainError("meetings.place_required")
    if re.match(r"^https?://\S+$", value):
        return "", value
    if len(value) > 200:
        raise DomainError("input.too_long", limit=200, length=len(value))
    return value, ""


def clean_agenda(text: str | None) -> str:
    value = clean_text(text, max_length=2000, multiline=True)
    if not value:
        raise DomainError("meetings.agenda_required")
    return value


def clean_notes(text: str | None) -> str:
    value = clean_text(text, max_length=4000, multiline=True)
    if not value:
        raise DomainError("meetings.notes_required")
    return value


def clean_venue(text: str | None) -> str:
    value = clean_text(text, max_length=200)
    if not value:
        raise DomainError("meetings.place_required")
    return value


def clean_contact(text: str | None) -> str:
    value = clean_text(text, max_length=120)
    if not value:
        raise DomainError("meetingday.contact_required")
    return value


# --- the creation forms' fields (asked by handlers/forms.py) ------------------------------------
DAYS = "days"  # the next working days (date_choices), as buttons
AGENCIES = "agencies"  # the council's agencies, all invited at first
HOST_REGIONS = "host_regions"  # the 시군 the 새일센터 serves (host_regions)
CAPACITY_CHOICES = (10, 20, 30, 50)


def date_answer(raw: str, env: ParseEnv) -> str | Also:
    """A day (a tapped one, or typed: '9/15'); typed with a time ('9/15 14:00'), the time too."""
    day, at = parse_when(raw, today=env.today)
    check_day(day, today=env.today)
    if at is None:
        return day.isoformat()
    assert env.now is not None
    check_start(combine(day, at, env.now.tzinfo), now=env.now)
    return Also(_value=day.isoformat(), time=at.strftime("%H:%M"))


def time_answer(raw: str, env: ParseEnv) -> str:
    """A start time on the chosen day, still ahead."""
    at = parse_time(raw)
    day = env.draft.get("date")
    if not isinstance(day, str):
        raise DomainError("meetings.when_invalid")
    assert env.now is not None
    check_start(combine(date.fromisoformat(day), at, env.now.tzinfo), now=env.now)
    return at.strftime("%H:%M")


def starts_at(values: dict[str, Any], tz: tzinfo) -> datetime:
    """The start a form's answers name (its "date" and "time")."""
    return combine(date.fromisoformat(values["date"]), time.fromisoformat(values["time"]), tz)


def _place(raw: str, env: ParseEnv) -> Also:
    place, link = clean_place(raw)
    return Also(_value=place, link=link)


def _agenda(raw: str, env: ParseEnv) -> str:
    return clean_agenda(raw)


def _agencies(chosen: list[int], env: ParseEnv) -> list[int]:
    if not chosen:
        raise DomainError("meetings.no_agencies")
    return list(chosen)


def _venue(raw: str, env: ParseEnv) -> str:
    return clean_venue(raw)


def _capacity(raw: str, env: ParseEnv) -> int:
    return parse_capacity(str(raw))


def _contact(raw: str, env: ParseEnv) -> str:
    return clean_contact(raw)


DATE_FIELD = FieldSpec("date", "meetings.f.date", "meetings.ask_date", date_answer,
                       choices=DAYS, resets=("time",), columns=4)
TIME_FIELD = FieldSpec("time", "meetings.f.time", "meetings.ask_time", time_answer,
                       choices=tuple(Choice(t) for t in TIME_CHOICES), columns=3)
COUNCIL_FIELDS: tuple[FieldSpec, ...] = (
    DATE_FIELD,
    TIME_FIELD,
    FieldSpec("place", "meetings.f.place", "meetings.ask_place", _place),
    FieldSpec("agenda", "meetings.f.agenda", "meetings.ask_agenda", _agenda),
    FieldSpec("agencies", "meetings.f.agencies", "meetings.ask_agencies", _agencies,
              choices=AGENCIES, multi=True),
)
MEETING_DAY_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("region", "meetingday.f.region", "meetingday.ask_region", choices=HOST_REGIONS,
              columns=3),
    DATE_FIELD,
    TIME_FIELD,
    FieldSpec("venue", "meetingday.f.venue", "meetingday.ask_venue", _venue),
    FieldSpec("capacity", "meetingday.f.capacity", "meetingday.ask_capacity", _capacity,
              choices=tuple(Choice(str(n)) for n in CAPACITY_CHOICES), columns=4),
    FieldSpec("contact", "meetingday.f.contact", "meetingday.ask_contact", _contact),
)


async def _saved(session: AsyncSession, token: str | None) -> Meeting | None:
    """The meeting a form's draft token already created (a 저장 repeated after a crash)."""
    if not token:
        return None
    done = await receipts_db.get_receipt(session=session, token=token, kind="meeting")
    return await meetings_db.get_meeting(session=session, meeting_id=done) if done else None


async def _receipt(
    session: AsyncSession, clock: Clock, token: str | None, meeting: Meeting
) -> None:
    if token:
        assert meeting.id is not None
        await receipts_db.add_receipt(session=session, token=token, kind="meeting",
                                      record_id=meeting.id, at=clock.now())


# --- seekers: the one place their details are shown --------------------------------------------
def seeker_label(seeker: JobSeeker, cipher: Cipher) -> str:
    """How the host centre sees one of its seekers (name and the phone's last four digits).

    Names and phones are encrypted at rest (services.crypto); this is the one place meetings
    decrypt them, and only for the host centre's own screens."""
    name, phone = privacy.clear_contacts(seeker, cipher)  # a purged seeker: the pseudonym
    digits = re.sub(r"\D", "", phone)
    return f"{name} ({digits[-4:]})" if digits else name


def company_label(opening: JobOpening) -> str:
    return f"{opening.company_name} · {opening.job_title}"


# --- shared checks -----------------------------------------------------------------------------
def _member(actor: Actor) -> Member:
    member = actor.member
    if member is None or actor.role is None or member.id is None:
        raise NotAllowed("auth.not_member")
    return member


async def _meeting(session: AsyncSession, meeting_id: int, kind: str | None = None) -> Meeting:
    meeting = await meetings_db.get_meeting(session=session, meeting_id=meeting_id)
    if meeting is None or (kind is not None and meeting.kind != kind):
        raise DomainError("meetings.unknown")
    return meeting


def _scheduled(meeting: Meeting) -> None:
    if meeting.status == CANCELLED:
        raise DomainError("meetings.cancelled", when=fmt_when(_start(meeting)))
    if meeting.status == HELD:
        raise DomainError("meetings.already_held")


def _start(meeting: Meeting) -> datetime:
    assert meeting.starts_at is not None
    return meeting.starts_at


def _end(meeting: Meeting) -> datetime:
    if meeting.ends_at is not None:
        return meeting.ends_at
    length = COUNCIL_LENGTH if meeting.kind == COUNCIL else MEETING_DAY_LENGTH
    return _start(meeting) + length


def _is_current(row: Attendance, member: Member | None) -> bool:
    """The invited member is still active at the agency they were invited for."""
    return member is not None and member.active and member.agency_id == row.agency_id


def _member_id(row: Attendance) -> int:
    assert row.member_id is not None
    return row.member_id


async def _audit(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    meeting_id: int | None,
    *,
    action: str,
    **detail: object,
) -> None:
    await audit_db.append_audit(
        session=session,
        at=clock.now(),
        action=action,
        actor_telegram_id=actor.telegram_id,
        actor_member_id=actor.member.id if actor.member else None,
        entity="meeting",
        entity_id=meeting_id,
        detail=dict(detail),
    )


# --- council meetings --------------------------------------------------------------------------
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
    saved = await _saved(session, token)
    if saved is not None and saved.kind == COUNCIL:
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
    now = clock.now()
    meeting = await meetings_db.add_meeting(
        session=session,
        meeting=Meeting(
            kind=COUNCIL,
            host_agency_id=lead.agency_id,
            created_by=lead.id,
            starts_at=starts_at,
            ends_at=starts_at + COUNCIL_LENGTH,
            place=place,
            online_link=online_link,
            agenda=agenda,
            created_at=now,
        ),
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
    await _receipt(session, clock, token, meeting)
    await _audit(
        session,
        clock,
        actor,
        meeting.id,
        action="meeting.create",
        kind=COUNCIL,
        starts_at=starts_at,
        agencies=list(agency_ids),
        invited=len(invitees),
    )
    return meeting, invitees


async def set_rsvp(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, answer: str
) -> tuple[Meeting, Attendance]:
    """참석 / 불참 / 미정, changeable until the meeting starts."""
    if answer not in RSVP_ANSWERS:
        raise DomainError("meetings.unknown")
    member = _member(actor)
    meeting = await _meeting(session, meeting_id, COUNCIL)
    if meeting.status == CANCELLED:
        raise DomainError("meetings.cancelled", when=fmt_when(_start(meeting)))
    if clock.now() >= _start(meeting) or meeting.status == HELD:
        raise DomainError("meetings.rsvp_closed")
    row = await meetings_db.find_attendance(
        session=session, meeting_id=meeting_id, participant_key=f"m:{member.id}"
    )
    if row is None:
        raise DomainError("meetings.not_invited")
    if not _is_current(row, member):
        raise DomainError("meetings.member_left")
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
    meeting = await _meeting(session, meeting_id, COUNCIL)
    rows = [r for r in await meetings_db.rsvps(session=session, meeting_id=meeting_id)]
    members = await meetings_db.members_by_ids(session=session, ids=[_member_id(r) for r in rows])
    agencies = {
        a.id: a for a in await council_db.list_agencies(session=session, active_only=False)
    }
    grouped: dict[int, AgencyAnswers] = {}
    for row in rows:
        agency_id = row.agency_id or 0
        agency = agencies.get(agency_id)
        group = grouped.setdefault(agency_id, AgencyAnswers(agency.short_name if agency else "-"))
        member = members.get(_member_id(row))
        assert row.id is not None
        group.lines.append(
            AnswerLine(
                attendance_id=row.id,
                name=member.display_name if member else "-",
                rsvp=row.rsvp,
                present=bool(row.present),
                left=not _is_current(row, member),
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
    meeting = await _meeting(session, row.meeting_id, COUNCIL)
    if meeting.status == CANCELLED:
        raise DomainError("meetings.cancelled", when=fmt_when(_start(meeting)))
    if clock.now() < _start(meeting) - CHECKIN_EARLY:
        raise DomainError("meetings.attendance_not_yet", when=fmt_when(_start(meeting)))
    member = await meetings_db.members_by_ids(session=session, ids=[row.member_id])
    person = member.get(row.member_id)
    if not row.present and not _is_current(row, person):
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
    member = _member(actor)
    meeting = await _meeting(session, meeting_id, COUNCIL)
    if meeting.status == CANCELLED:
        raise DomainError("meetings.cancelled", when=fmt_when(_start(meeting)))
    now = clock.now()
    if now < _start(meeting) - CHECKIN_EARLY:
        raise DomainError("meetings.checkin_not_yet", when=fmt_when(_start(meeting)))
    if now > _end(meeting):
        raise DomainError("meetings.checkin_closed")
    row = await meetings_db.find_attendance(
        session=session, meeting_id=meeting_id, participant_key=f"m:{member.id}"
    )
    if row is None:
        raise DomainError("meetings.not_invited")
    if not _is_current(row, member):
        raise DomainError("meetings.member_left")
    if row.present:
        return meeting, True
    row.present, row.checked_in_at = True, now
    await meetings_db.save(session=session, rows=[row])
    return meeting, False


def in_checkin_window(meeting: Meeting, now: datetime) -> bool:
    return meeting.status == SCHEDULED and _start(meeting) - CHECKIN_EARLY <= now <= _end(meeting)


async def record_notes(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, notes: str
) -> tuple[Meeting, list[Member]]:
    """Decisions and the division of roles, after the meeting; the meeting counts as held."""
    require_lead(actor)
    meeting = await _meeting(session, meeting_id, COUNCIL)
    if meeting.status == CANCELLED:
        raise DomainError("meetings.cancelled", when=fmt_when(_start(meeting)))
    if clock.now() < _start(meeting):
        raise DomainError("meetings.notes_too_early", when=fmt_when(_start(meeting)))
    notes = clean_notes(notes)
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting_id)
    if not any(r.present for r in rows):
        raise DomainError("meetings.no_attendees")
    first_time = meeting.status != HELD
    meeting.notes, meeting.status, meeting.updated_at = notes, HELD, clock.now()
    await meetings_db.save(session=session, rows=[meeting])
    await _audit(
        session,
        clock,
        actor,
        meeting.id,
        action="meeting.notes",
        held=first_time,
        present=sum(1 for r in rows if r.present),
    )
    members = await meetings_db.members_by_ids(session=session, ids=[_member_id(r) for r in rows])
    readers = [m for r in rows if _is_current(r, m := members.get(_member_id(r)))]
    return meeting, [m for m in readers if m is not None]


async def first_council_meeting_held(*, session: AsyncSession, year: int) -> date | None:
    """The day the year's first council meeting was held (completes programme steps 1 and 2)."""
    tz = local_zone()
    start = datetime(year, 1, 1, tzinfo=tz)
    end = datetime(year + 1, 1, 1, tzinfo=tz)
    meeting = await meetings_db.first_held_council(session=session, start=start, end=end)
    return _start(meeting).date() if meeting else None


# --- meeting days ------------------------------------------------------------------------------
async def _host_agency(session: AsyncSession, actor: Actor) -> tuple[Member, Agency]:
    member = _member(actor)
    agency = (
        await council_db.get_agency(session=session, agency_id=member.agency_id)
        if member.agency_id
        else None
    )
    if agency is None or agency.kind != AgencyKind.SAEIL_CENTER:
        raise NotAllowed("meetingday.saeil_only")
    return member, agency


async def host_regions(*, session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the 시군 the actor's 새일센터 serves."""
    _, agency = await _host_agency(session, actor)
    assert agency.id is not None
    codes = await council_db.agency_regions(session=session, agency_id=agency.id)
    names = {r.code: r.name for r in await council_db.list_regions(session=session)}
    return [(c, names.get(c, c)) for c in sorted(codes, key=list(names).index)]


async def create_meeting_day(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    region_code: str,
    starts_at: datetime,
    venue: str,
    capacity: int,
    contact: str,
    token: str | None = None,
) -> Meeting:
    """Create a meeting day of the actor's 새일센터 (`token`: as for council meetings)."""
    member, agency = await _host_agency(session, actor)
    assert agency.id is not None
    saved = await _saved(session, token)
    if saved is not None and saved.kind == MEETING_DAY:
        return saved
    if region_code not in await council_db.agency_regions(session=session, agency_id=agency.id):
        raise DomainError("meetingday.region_not_served")
    check_start(starts_at, now=clock.now())
    venue, contact = clean_venue(venue), clean_contact(contact)
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError("meetingday.capacity_invalid", limit=MAX_CAPACITY)
    ends_at = starts_at + MEETING_DAY_LENGTH
    await _no_overlap(session, agency.id, starts_at, ends_at, None)
    meeting = await meetings_db.add_meeting(
        session=session,
        meeting=Meeting(
            kind=MEETING_DAY,
            host_agency_id=agency.id,
            created_by=member.id,
            starts_at=starts_at,
            ends_at=ends_at,
            place=venue,
            region_code=region_code,
            capacity=capacity,
            contact=contact,
            created_at=clock.now(),
        ),
    )
    await _receipt(session, clock, token, meeting)
    await _audit(
        session,
        clock,
        actor,
        meeting.id,
        action="meeting.create",
        kind=MEETING_DAY,
        starts_at=starts_at,
        region=region_code,
        capacity=capacity,
    )
    return meeting


async def _no_overlap(
    session: AsyncSession, agency_id: int, start: datetime, end: datetime, exclude: int | None
) -> None:
    clash = await meetings_db.overlapping_meeting_days(
        session=session, host_agency_id=agency_id, start=start, end=end, exclude_id=exclude
    )
    if clash:
        other = clash[0]
        raise DomainError(
            "meetingday.overlap",
            when=fmt_when(_start(other)),
            until=_end(other).strftime("%H:%M"),
        )


async def _hosted(session: AsyncSession, actor: Actor, meeting_id: int) -> tuple[Meeting, Member]:
    member = _member(actor)
    meeting = await _meeting(session, meeting_id, MEETING_DAY)
    if member.agency_id != meeting.host_agency_id:
        raise NotAllowed("meetingday.host_only")
    return meeting, member


async def _region_codes(session: AsyncSession, meeting: Meeting) -> list[str]:
    codes = await council_db.agency_regions(session=session, agency_id=meeting.host_agency_id)
    if meeting.region_code in codes:
        codes.remove(meeting.region_code)
        codes.insert(0, meeting.region_code)
    return codes


@dataclass(frozen=True)
class CompanyChoice:
    opening_id: int
    label: str
    subsidy: bool
    invited: bool


async def company_choices(
    *, session: AsyncSession, actor: Actor, meeting_id: int
) -> tuple[Meeting, list[CompanyChoice]]:
    """Open openings in the centre's 시군, approved subsidy workplaces first, invited or not."""
    meeting, _ = await _hosted(session, actor, meeting_id)
    openings = await meetings_db.open_openings_in(
        session=session, region_codes=await _region_codes(session, meeting)
    )
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting_id)
    invited = {r.opening_id for r in rows if r.opening_id is not None}
    choices = [
        CompanyChoice(o.id, company_label(o), o.subsidy_approved, o.id in invited)
        for o in openings
        if o.id is not None
    ]
    return meeting, choices


async def toggle_company(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, opening_id: int
) -> tuple[bool, str]:
    """Invite a company (through its opening), or take the invitation back; (invited, label)."""
    meeting, _ = await _hosted(session, actor, meeting_id)
    _scheduled(meeting)
    row = await meetings_db.find_attendance(
        session=session, meeting_id=meeting_id, participant_key=f"o:{opening_id}"
    )
    opening = await meetings_db.get_opening(session=session, opening_id=opening_id)
    if opening is None:
        raise DomainError("meetingday.unknown_company")
    if row is not None:
        if row.present or row.result:
            raise DomainError("meetingday.has_results")
        await meetings_db.delete_attendance(session=session, attendance=row)
        await _audit(
            session, clock, actor, meeting_id, action="meeting.uninvite", opening_id=opening_id
        )
        return False, company_label(opening)
    codes = await _region_codes(session, meeting)
    if (
        opening.status != "open"
        or opening.deleted_at is not None
        or opening.region_code not in codes
    ):
        raise DomainError("meetingday.company_not_eligible")
    await meetings_db.save(
        session=session,
        rows=[
            Attendance(
                meeting_id=meeting_id,
                participant_key=f"o:{opening_id}",
                agency_id=opening.agency_id,
                opening_id=opening_id,
            )
        ],
    )
    await _audit(session, clock, actor, meeting_id, action="meeting.invite", opening_id=opening_id)
    return True, company_label(opening)


@dataclass(frozen=True)
class SeekerChoice:
    seeker_id: int
    label: str
    state: str | None  # None | invited | waitlisted


async def seeker_choices(
    *, session: AsyncSession, actor: Actor, meeting_id: int
) -> tuple[Meeting, list[SeekerChoice], int]:
    """The host centre's active seekers with their state; and how many places are taken."""
    meeting, member = await _hosted(session, actor, meeting_id)
    assert member.agency_id is not None
    seekers = await meetings_db.active_seekers_of(session=session, agency_id=member.agency_id)
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting_id)
    states = {
        r.seeker_id: ("waitlisted" if r.waitlisted else "invited")
        for r in rows
        if r.seeker_id is not None
    }
    taken = sum(1 for r in rows if r.seeker_id is not None and not r.waitlisted)
    choices = [
        SeekerChoice(s.id, seeker_label(s, cipher_of(session)), states.get(s.id))
        for s in seekers
        if s.id is not None
    ]
    return meeting, choices, taken


@dataclass(frozen=True)
class SeekerToggle:
    state: str  # invited | waitlisted | removed
    promoted: int  # seekers moved from the waiting list into a freed place


async def toggle_seeker(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, seeker_id: int
) -> SeekerToggle:
    """Invite one of the centre's seekers (on the waiting list when full), or take it back."""
    meeting, member = await _hosted(session, actor, meeting_id)
    _scheduled(meeting)
    rows = list(await meetings_db.rsvps(session=session, meeting_id=meeting_id))
    row = next((r for r in rows if r.seeker_id == seeker_id), None)
    if row is not None:
        if row.present or row.result:
            raise DomainError("meetingday.has_results")
        rows.remove(row)
        await meetings_db.delete_attendance(session=session, attendance=row)
        promoted = 0 if row.waitlisted else await _promote(session, meeting, rows)
        await _audit(
            session, clock, actor, meeting_id, action="meeting.uninvite", seeker_id=seeker_id
        )
        return SeekerToggle("removed", promoted)
    seeker = await meetings_db.get_seeker(session=session, seeker_id=seeker_id)
    if (
        seeker is None
        or seeker.agency_id != member.agency_id
        or seeker.deleted_at is not None
        or seeker.purged_at is not None
        or seeker.status not in ACTIVE_SEEKER_STATUSES
    ):
        raise DomainError("meetingday.seeker_not_eligible")
    taken = sum(1 for r in rows if r.seeker_id is not None and not r.waitlisted)
    full = meeting.capacity is not None and taken >= meeting.capacity
    await meetings_db.save(
        session=session,
        rows=[
            Attendance(
                meeting_id=meeting_id,
                participant_key=f"s:{seeker_id}",
                agency_id=seeker.agency_id,
                seeker_id=seeker_id,
                waitlisted=full,
            )
        ],
    )
    await _audit(
        session,
        clock,
        actor,
        meeting_id,
        action="meeting.invite",
        seeker_id=seeker_id,
        waitlisted=full,
    )
    return SeekerToggle("waitlisted" if full else "invited", 0)


async def _promote(session: AsyncSession, meeting: Meeting, rows: list[Attendance]) -> int:
    """Move seekers from the waiting list (first come, first served) into free places."""
    taken = sum(1 for r in rows if r.seeker_id is not None and not r.waitlisted)
    waiting = [r for r in rows if r.seeker_id is not None and r.waitlisted]
    free = (meeting.capacity or 0) - taken
    moved = waiting[: max(free, 0)]
    for r in moved:
        r.waitlisted = False
    await meetings_db.save(session=session, rows=moved)
    return len(moved)


async def change_capacity(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, capacity: int
) -> tuple[Meeting, int]:
    """A new capacity, never below the seekers already given a place; frees waiting places."""
    meeting, _ = await _hosted(session, actor, meeting_id)
    _scheduled(meeting)
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError("meetingday.capacity_invalid", limit=MAX_CAPACITY)
    rows = list(await meetings_db.rsvps(session=session, meeting_id=meeting_id))
    taken = sum(1 for r in rows if r.seeker_id is not None and not r.waitlisted)
    if capacity < taken:
        raise DomainError("meetingday.capacity_below_invited", capacity=capacity, invited=taken)
    old = meeting.capacity
    meeting.capacity, meeting.updated_at = capacity, clock.now()
    await meetings_db.save(session=session, rows=[meeting])
    promoted = await _promote(session, meeting, rows)
    await _audit(
        session,
        clock,
        actor,
        meeting_id,
        action="meeting.capacity",
        old=old,
        new=capacity,
        promoted=promoted,
    )
    return meeting, promoted


@dataclass(frozen=True)
class Participant:
    attendance_id: int
    kind: str  # seeker | company
    label: str
    present: bool | None
    mode: str
    waitlisted: bool
    interviews: int
    result: str | None


@dataclass
class DaySheet:
    meeting: Meeting
    seekers: list[Participant]
    companies: list[Participant]


def _participant(row: Attendance, label: str) -> Participant:
    assert row.id is not None
    return Participant(
        attendance_id=row.id,
        kind="seeker" if row.seeker_id is not None else "company",
        label=label,
        present=row.present,
        mode=row.mode,
        waitlisted=row.waitlisted,
        interviews=row.interviews,
        result=row.result,
    )


async def day_sheet(*, session: AsyncSession, actor: Actor, meeting_id: int) -> DaySheet:
    """Seekers (with their details) and companies of a meeting day: for the host centre only."""
    meeting, _ = await _hosted(session, actor, meeting_id)
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
            label = seeker_label(seeker, cipher_of(session)) if seeker else "-"
            sheet.seekers.append(_participant(row, label))
        elif row.opening_id is not None:
            opening = openings.get(row.opening_id)
            sheet.companies.append(_participant(row, company_label(opening) if opening else "-"))
    return sheet


async def seeker_result_view(
    *, session: AsyncSession, actor: Actor, attendance_id: int
) -> tuple[int, Participant, list[Participant]]:
    """One seeker of the day (host only): (meeting id, the seeker, the companies present)."""
    row = await meetings_db.get_attendance(session=session, attendance_id=attendance_id)
    if row is None or row.seeker_id is None:
        raise DomainError("meetings.unknown")
    sheet = await day_sheet(session=session, actor=actor, meeting_id=row.meeting_id)
    me = next(p for p in sheet.seekers if p.attendance_id == attendance_id)
    return row.meeting_id, me, [p for p in sheet.companies if p.present]


async def _day_row(
    session: AsyncSession, actor: Actor, attendance_id: int
) -> tuple[Meeting, Attendance]:
    row = await meetings_db.get_attendance(session=session, attendance_id=attendance_id)
    if row is None:
        raise DomainError("meetings.unknown")
    meeting, _ = await _hosted(session, actor, row.meeting_id)
    return meeting, row


def _checklist_open(meeting: Meeting, now: datetime) -> None:
    _scheduled(meeting)
    if now < _start(meeting) - CHECKLIST_EARLY:
        raise DomainError("meetings.attendance_not_yet", when=fmt_when(_start(meeting)))


async def toggle_day_presence(
    *, session: AsyncSession, clock: Clock, actor: Actor, attendance_id: int
) -> Attendance:
    """Tap on the checklist: a seeker present/absent; a company on site, in writing, absent."""
    meeting, row = await _day_row(session, actor, attendance_id)
    _checklist_open(meeting, clock.now())
    if row.result:
        raise DomainError("meetingday.has_results")
    if row.seeker_id is not None:
        if not row.present and row.waitlisted:
            rows = await meetings_db.rsvps(session=session, meeting_id=meeting.id or 0)
            taken = sum(1 for r in rows if r.seeker_id is not None and not r.waitlisted)
            if meeting.capacity is not None and taken >= meeting.capacity:
                raise DomainError("meetingday.waitlisted_full", capacity=meeting.capacity)
            row.waitlisted = False
        row.present = not row.present
    else:
        # absent/unknown -> on site -> in writing -> absent
        if not row.present:
            row.present, row.mode = True, MODE_ONSITE
        elif row.mode == MODE_ONSITE:
            row.mode = MODE_WRITTEN
        else:
            row.present, row.mode = False, MODE_ONSITE
    row.checked_in_at = clock.now() if row.present else None
    await meetings_db.save(session=session, rows=[row])
    return row


async def _result_pair(
    session: AsyncSession, clock: Clock, actor: Actor, seeker_row_id: int, company_row_id: int
) -> tuple[Meeting, Attendance, Attendance]:
    meeting, seeker_row = await _day_row(session, actor, seeker_row_id)
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
    return meeting, seeker_row, company_row


def _results_open(meeting: Meeting, now: datetime) -> None:
    _scheduled(meeting)
    if now < _start(meeting):
        raise DomainError("meetingday.results_too_early", when=fmt_when(_start(meeting)))


async def record_interview(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_row_id: int, company_row_id: int
) -> tuple[Attendance, Attendance]:
    """One interview between a present seeker and a present company."""
    meeting, seeker_row, company_row = await _result_pair(
        session, clock, actor, seeker_row_id, company_row_id
    )
    seeker_row.interviews += 1
    company_row.interviews += 1
    await meetings_db.save(session=session, rows=[seeker_row, company_row])
    return seeker_row, company_row


async def record_spot_hire(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_row_id: int, company_row_id: int
) -> tuple[Attendance, Attendance]:
    """Hired on the spot: a real hire record through the hires feature."""
    meeting, seeker_row, company_row = await _result_pair(
        session, clock, actor, seeker_row_id, company_row_id
    )
    if seeker_row.result == RESULT_HIRED:
        raise DomainError("meetingday.already_hired")
    assert seeker_row.seeker_id is not None and company_row.opening_id is not None
    await hires.record_hire(
        session=session,
        clock=clock,
        actor=actor,
        seeker_id=seeker_row.seeker_id,
        opening_id=company_row.opening_id,
        hired_on=clock.today(),
        meeting_id=meeting.id,
    )
    if seeker_row.interviews == 0:
        seeker_row.interviews, company_row.interviews = 1, company_row.interviews + 1
    seeker_row.result = company_row.result = RESULT_HIRED
    await meetings_db.save(session=session, rows=[seeker_row, company_row])
    return seeker_row, company_row


async def record_in_progress(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_row_id: int, company_row_id: int
) -> tuple[Attendance, Attendance]:
    """A hire in progress (second interview, papers): followed up after the day."""
    _, seeker_row, company_row = await _result_pair(
        session, clock, actor, seeker_row_id, company_row_id
    )
    if seeker_row.result == RESULT_HIRED:
        raise DomainError("meetingday.already_hired")
    seeker_row.result = RESULT_IN_PROGRESS
    if company_row.result != RESULT_HIRED:
        company_row.result = RESULT_IN_PROGRESS
    await meetings_db.save(session=session, rows=[seeker_row, company_row])
    return seeker_row, company_row


async def record_not_hired(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_row_id: int
) -> Attendance:
    meeting, row = await _day_row(session, actor, seeker_row_id)
    if row.seeker_id is None:
        raise DomainError("meetings.unknown")
    _results_open(meeting, clock.now())
    if not row.present:
        raise DomainError("meetingday.not_present")
    if row.result == RESULT_HIRED:
        raise DomainError("meetingday.already_hired")
    row.result = RESULT_NOT_HIRED
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
        written=sum(1 for r in companies if r.present and r.mode == MODE_WRITTEN),
        seekers_present=sum(1 for r in seekers if r.present),
        companies_present=sum(1 for r in companies if r.present),
        interviews=sum(r.interviews for r in seekers),
        hires=await meetings_db.count_hires_at(session=session, meeting_id=meeting.id),
        in_progress=sum(1 for r in seekers if r.result == RESULT_IN_PROGRESS),
    )


async def close_meeting_day(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int
) -> tuple[DayCounts, int]:
    """The day is over: held; present seekers not hired get the follow-up flag (사후관리)."""
    meeting, _ = await _hosted(session, actor, meeting_id)
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
        if row.result == RESULT_HIRED:
            continue
        if row.result is None:
            row.result = RESULT_NOT_HIRED
        seeker = seekers.get(row.seeker_id or 0)
        if seeker is not None:
            seeker.followup, seeker.updated_at = True, clock.now()
            flagged.append(seeker)
    meeting.status, meeting.updated_at = HELD, clock.now()
    await meetings_db.save(session=session, rows=[meeting, *present, *flagged])
    await _audit(session, clock, actor, meeting_id, action="meeting.held", followup=len(flagged))
    return await day_counts(session=session, meeting=meeting), len(flagged)


# --- cancelling and moving ---------------------------------------------------------------------
@dataclass
class Notice:
    """Who must hear that a meeting was cancelled or moved."""

    meeting: Meeting
    old_starts_at: datetime
    members: list[Member]  # invited members / staff of invited companies' agencies
    hosts: list[Member]  # host centre staff of a meeting day (they call the seekers)
    seekers: int  # seekers invited to a meeting day (told by the host centre)


async def _may_manage(session: AsyncSession, actor: Actor, meeting: Meeting) -> None:
    if meeting.kind == COUNCIL:
        require_lead(actor)
    else:
        await _hosted(session, actor, meeting.id or 0)


async def _notice(session: AsyncSession, actor: Actor, meeting: Meeting, old: datetime) -> Notice:
    assert meeting.id is not None
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting.id)
    me = actor.member.id if actor.member else None
    if meeting.kind == COUNCIL:
        members = await meetings_db.members_by_ids(
            session=session, ids=[r.member_id for r in rows if r.member_id is not None]
        )
        current = [m for r in rows if _is_current(r, m := members.get(r.member_id or 0))]
        invited = [m for m in current if m is not None and m.id != me]
        return Notice(meeting, old, invited, [], 0)
    company_agencies = sorted(
        {r.agency_id for r in rows if r.opening_id is not None and r.agency_id is not None}
        - {meeting.host_agency_id}
    )
    staff = await meetings_db.active_members_of(session=session, agency_ids=company_agencies)
    hosts = await meetings_db.active_members_of(
        session=session, agency_ids=[meeting.host_agency_id]
    )
    seekers = sum(1 for r in rows if r.seeker_id is not None)
    return Notice(
        meeting, old, [m for m in staff if m.id != me], [m for m in hosts if m.id != me], seekers
    )


async def cancel_meeting(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int
) -> Notice:
    meeting = await _meeting(session, meeting_id)
    await _may_manage(session, actor, meeting)
    _scheduled(meeting)
    meeting.status, meeting.updated_at = CANCELLED, clock.now()
    await meetings_db.save(session=session, rows=[meeting])
    await _audit(session, clock, actor, meeting_id, action="meeting.cancel", kind=meeting.kind)
    return await _notice(session, actor, meeting, _start(meeting))


async def move_meeting(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, starts_at: datetime
) -> Notice:
    """A new date and time; council members answer again (they answered for the old time)."""
    meeting = await _meeting(session, meeting_id)
    await _may_manage(session, actor, meeting)
    _scheduled(meeting)
    check_start(starts_at, now=clock.now())
    old = _start(meeting)
    length = _end(meeting) - old
    if meeting.kind == MEETING_DAY:
        await _no_overlap(
            session, meeting.host_agency_id, starts_at, starts_at + length, meeting.id
        )
    meeting.starts_at, meeting.ends_at = starts_at, starts_at + length
    meeting.updated_at = clock.now()
    rows = list(await meetings_db.rsvps(session=session, meeting_id=meeting_id))
    if meeting.kind == COUNCIL:
        for r in rows:
            r.rsvp, r.rsvp_at = None, None
    await meetings_db.save(session=session, rows=[meeting, *rows])
    await _audit(session, clock, actor, meeting_id, action="meeting.move", old=old, new=starts_at)
    return await _notice(session, actor, meeting, old)


# --- what a member sees ------------------------------------------------------------------------
@dataclass
class MeetingView:
    meeting: Meeting
    host: str
    region: str
    is_host: bool  # the 새일센터 hosting a meeting day
    is_lead: bool
    invited: bool
    my_rsvp: str | None
    present: bool
    counts: DayCounts | None

    @property
    def can_manage(self) -> bool:
        return self.is_lead if self.meeting.kind == COUNCIL else self.is_host


async def _visible(
    session: AsyncSession, actor: Actor, meeting: Meeting, regions: Sequence[str]
) -> bool:
    member = _member(actor)
    if actor.is_lead:
        return True
    if meeting.kind == COUNCIL:
        return meeting.id in await meetings_db.member_meeting_ids(
            session=session, member_id=member.id or 0
        )
    if member.agency_id == meeting.host_agency_id or meeting.region_code in regions:
        return True
    return meeting.id in await meetings_db.agency_company_meeting_ids(
        session=session, agency_id=member.agency_id or 0
    )


async def meeting_view(*, session: AsyncSession, actor: Actor, meeting_id: int) -> MeetingView:
    member = _member(actor)
    meeting = await _meeting(session, meeting_id)
    regions = (
        await council_db.agency_regions(session=session, agency_id=member.agency_id)
        if member.agency_id
        else []
    )
    if not await _visible(session, actor, meeting, regions):
        raise NotAllowed("meetings.not_visible")
    return await _view(session, actor, meeting)


async def _view(session: AsyncSession, actor: Actor, meeting: Meeting) -> MeetingView:
    member = _member(actor)
    assert meeting.id is not None
    host = await council_db.get_agency(session=session, agency_id=meeting.host_agency_id)
    region = (
        await council_db.get_region(session=session, code=meeting.region_code)
        if meeting.region_code
        else None
    )
    row = await meetings_db.find_attendance(
        session=session, meeting_id=meeting.id, participant_key=f"m:{member.id}"
    )
    invited = row is not None and _is_current(row, member)
    counts = (
        await day_counts(session=session, meeting=meeting) if meeting.kind == MEETING_DAY else None
    )
    return MeetingView(
        meeting=meeting,
        host=host.short_name if host else "-",
        region=region.name if region else "",
        is_host=meeting.kind == MEETING_DAY and member.agency_id == meeting.host_agency_id,
        is_lead=actor.is_lead,
        invited=invited,
        my_rsvp=row.rsvp if invited and row else None,
        present=bool(row and row.present),
        counts=counts,
    )


async def my_meetings(
    *, session: AsyncSession, clock: Clock, actor: Actor, past: bool = False
) -> list[MeetingView]:
    """Upcoming (or recently held) meetings for the member's agency and region."""
    member = _member(actor)
    now = clock.now()
    if past:
        candidates = await meetings_db.past_meetings(session=session, before=now, limit=20)
    else:
        candidates = await meetings_db.meetings_between(
            session=session, start=now, end=now + MAX_AHEAD
        )
    regions = (
        await council_db.agency_regions(session=session, agency_id=member.agency_id)
        if member.agency_id
        else []
    )
    views = []
    for meeting in candidates:
        if await _visible(session, actor, meeting, regions):
            views.append(await _view(session, actor, meeting))
    return views[:10]
