"""Meeting days (만남의 날) before the day: a 새일센터 creates one for a 시군 it serves, invites
companies (through their openings) and its own seekers, with a waiting list beyond the capacity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError, NotAllowed
from core.statuses import ACTIVE_SEEKER_STATUSES, AgencyKind, MeetingKind, OpeningStatus
from models import council as council_db
from models import meetings as meetings_db
from models.tables import Agency, Attendance, Meeting, Member
from services.crypto import Cipher
from services.meetings.base import (
    MEETING_DAY_LENGTH,
    audit,
    company_label,
    hosted,
    member_of,
    no_overlap,
    region_codes,
    require_scheduled,
    saved_meeting,
    seeker_label,
    store_new,
    taken_places,
)
from services.meetings.fields import MAX_CAPACITY, check_start, clean_contact, clean_venue
from services.membership import Actor

INVITED, WAITLISTED, REMOVED = "invited", "waitlisted", "removed"  # a seeker's invitation


async def _host_agency(session: AsyncSession, actor: Actor) -> tuple[Member, Agency]:
    member = member_of(actor)
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


def _check_capacity(capacity: int) -> None:
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError("meetingday.capacity_invalid", limit=MAX_CAPACITY)


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
    saved = await saved_meeting(session, token)
    if saved is not None and saved.kind == MeetingKind.MEETING_DAY:
        return saved
    if region_code not in await council_db.agency_regions(session=session, agency_id=agency.id):
        raise DomainError("meetingday.region_not_served")
    check_start(starts_at, now=clock.now())
    venue, contact = clean_venue(venue), clean_contact(contact)
    _check_capacity(capacity)
    ends_at = starts_at + MEETING_DAY_LENGTH
    await no_overlap(session, agency.id, starts_at, ends_at, None)
    return await store_new(
        session,
        clock,
        actor,
        token,
        Meeting(
            kind=MeetingKind.MEETING_DAY,
            host_agency_id=agency.id,
            created_by=member.id,
            starts_at=starts_at,
            ends_at=ends_at,
            place=venue,
            region_code=region_code,
            capacity=capacity,
            contact=contact,
        ),
        region=region_code,
        capacity=capacity,
    )


async def _invite(
    session: AsyncSession, clock: Clock, actor: Actor, row: Attendance, **detail: object
) -> None:
    await meetings_db.save(session=session, rows=[row])
    await audit(session, clock, actor, row.meeting_id, action="meeting.invite", **detail)


async def _uninvite(
    session: AsyncSession, clock: Clock, actor: Actor, row: Attendance, **detail: object
) -> None:
    """Take an invitation back (refused once the participant has results)."""
    if row.present or row.result:
        raise DomainError("meetingday.has_results")
    await meetings_db.delete_attendance(session=session, attendance=row)
    await audit(session, clock, actor, row.meeting_id, action="meeting.uninvite", **detail)


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
    meeting, _ = await hosted(session, actor, meeting_id)
    openings = await meetings_db.open_openings_in(
        session=session, region_codes=await region_codes(session, meeting)
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
    meeting, _ = await hosted(session, actor, meeting_id)
    require_scheduled(meeting)
    row = await meetings_db.find_attendance(
        session=session, meeting_id=meeting_id, participant_key=f"o:{opening_id}"
    )
    opening = await meetings_db.get_opening(session=session, opening_id=opening_id)
    if opening is None:
        raise DomainError("meetingday.unknown_company")
    if row is not None:
        await _uninvite(session, clock, actor, row, opening_id=opening_id)
        return False, company_label(opening)
    codes = await region_codes(session, meeting)
    if (
        opening.status != OpeningStatus.OPEN
        or opening.deleted_at is not None
        or opening.region_code not in codes
    ):
        raise DomainError("meetingday.company_not_eligible")
    row = Attendance(
        meeting_id=meeting_id,
        participant_key=f"o:{opening_id}",
        agency_id=opening.agency_id,
        opening_id=opening_id,
    )
    await _invite(session, clock, actor, row, opening_id=opening_id)
    return True, company_label(opening)


@dataclass(frozen=True)
class SeekerChoice:
    seeker_id: int
    label: str
    state: str | None  # None | INVITED | WAITLISTED


async def seeker_choices(
    *, session: AsyncSession, actor: Actor, cipher: Cipher, meeting_id: int
) -> tuple[Meeting, list[SeekerChoice], int]:
    """The host centre's active seekers with their state; and how many places are taken."""
    meeting, member = await hosted(session, actor, meeting_id)
    assert member.agency_id is not None
    seekers = await meetings_db.active_seekers_of(session=session, agency_id=member.agency_id)
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting_id)
    states = {
        r.seeker_id: (WAITLISTED if r.waitlisted else INVITED)
        for r in rows
        if r.seeker_id is not None
    }
    choices = [
        SeekerChoice(s.id, seeker_label(s, cipher), states.get(s.id))
        for s in seekers
        if s.id is not None
    ]
    return meeting, choices, taken_places(rows)


@dataclass(frozen=True)
class SeekerToggle:
    state: str  # INVITED | WAITLISTED | REMOVED
    promoted: int  # seekers moved from the waiting list into a freed place


async def toggle_seeker(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, seeker_id: int
) -> SeekerToggle:
    """Invite one of the centre's seekers (on the waiting list when full), or take it back."""
    meeting, member = await hosted(session, actor, meeting_id)
    require_scheduled(meeting)
    rows = list(await meetings_db.rsvps(session=session, meeting_id=meeting_id))
    row = next((r for r in rows if r.seeker_id == seeker_id), None)
    if row is not None:
        await _uninvite(session, clock, actor, row, seeker_id=seeker_id)
        rows.remove(row)
        promoted = 0 if row.waitlisted else await _promote(session, meeting, rows)
        return SeekerToggle(REMOVED, promoted)
    seeker = await meetings_db.get_seeker(session=session, seeker_id=seeker_id)
    if (
        seeker is None
        or seeker.agency_id != member.agency_id
        or seeker.deleted_at is not None
        or seeker.purged_at is not None
        or seeker.status not in ACTIVE_SEEKER_STATUSES
    ):
        raise DomainError("meetingday.seeker_not_eligible")
    full = meeting.capacity is not None and taken_places(rows) >= meeting.capacity
    row = Attendance(
        meeting_id=meeting_id,
        participant_key=f"s:{seeker_id}",
        agency_id=seeker.agency_id,
        seeker_id=seeker_id,
        waitlisted=full,
    )
    await _invite(session, clock, actor, row, seeker_id=seeker_id, waitlisted=full)
    return SeekerToggle(WAITLISTED if full else INVITED, 0)


async def _promote(session: AsyncSession, meeting: Meeting, rows: list[Attendance]) -> int:
    """Move seekers from the waiting list (first come, first served) into free places."""
    waiting = [r for r in rows if r.seeker_id is not None and r.waitlisted]
    free = (meeting.capacity or 0) - taken_places(rows)
    moved = waiting[: max(free, 0)]
    for r in moved:
        r.waitlisted = False
    await meetings_db.save(session=session, rows=moved)
    return len(moved)


async def change_capacity(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, capacity: int
) -> tuple[Meeting, int]:
    """A new capacity, never below the seekers already given a place; frees waiting places."""
    meeting, _ = await hosted(session, actor, meeting_id)
    require_scheduled(meeting)
    _check_capacity(capacity)
    rows = list(await meetings_db.rsvps(session=session, meeting_id=meeting_id))
    taken = taken_places(rows)
    if capacity < taken:
        raise DomainError("meetingday.capacity_below_invited", capacity=capacity, invited=taken)
    old = meeting.capacity
    meeting.capacity, meeting.updated_at = capacity, clock.now()
    await meetings_db.save(session=session, rows=[meeting])
    promoted = await _promote(session, meeting, rows)
    await audit(
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
