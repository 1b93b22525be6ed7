"""What every meeting rule shares: lengths and windows, the checks on a meeting and its actor,
labels (the one place seekers' details are shown), the audit trail and save receipts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError, NotAllowed
from core.statuses import MeetingKind, MeetingStatus
from models import council as council_db
from models import meetings as meetings_db
from models import receipts as receipts_db
from models.tables import Attendance, JobOpening, JobSeeker, Meeting, Member
from services import privacy, trail
from services.crypto import Cipher
from services.meetings.fields import fmt_when
from services.membership import Actor

COUNCIL_LENGTH = timedelta(hours=2)
MEETING_DAY_LENGTH = timedelta(hours=3)
CHECKIN_EARLY = timedelta(minutes=30)  # members may check in half an hour before the start
CHECKLIST_EARLY = timedelta(hours=2)  # the day's checklist opens two hours before the start


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


# --- the meeting and its actor -----------------------------------------------------------------
def member_of(actor: Actor) -> Member:
    member = actor.member
    if member is None or actor.role is None or member.id is None:
        raise NotAllowed("auth.not_member")
    return member


async def get_meeting(
    session: AsyncSession, meeting_id: int, kind: MeetingKind | None = None
) -> Meeting:
    meeting = await meetings_db.get_meeting(session=session, meeting_id=meeting_id)
    if meeting is None or (kind is not None and meeting.kind != kind):
        raise DomainError("meetings.unknown")
    return meeting


def start_of(meeting: Meeting) -> datetime:
    assert meeting.starts_at is not None
    return meeting.starts_at


def end_of(meeting: Meeting) -> datetime:
    if meeting.ends_at is not None:
        return meeting.ends_at
    length = COUNCIL_LENGTH if meeting.kind == MeetingKind.COUNCIL else MEETING_DAY_LENGTH
    return start_of(meeting) + length


def not_cancelled(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("meetings.cancelled", when=fmt_when(start_of(meeting)))


def require_scheduled(meeting: Meeting) -> None:
    not_cancelled(meeting)
    if meeting.status == MeetingStatus.HELD:
        raise DomainError("meetings.already_held")


def not_before(meeting: Meeting, now: datetime, key: str, early: timedelta = timedelta()) -> None:
    """Refuse with `key` (naming the start) until `early` before the meeting starts."""
    if now < start_of(meeting) - early:
        raise DomainError(key, when=fmt_when(start_of(meeting)))


# --- participants ------------------------------------------------------------------------------
def is_current(row: Attendance, member: Member | None) -> bool:
    """The invited member is still active at the agency they were invited for."""
    return member is not None and member.active and member.agency_id == row.agency_id


def member_id_of(row: Attendance) -> int:
    assert row.member_id is not None
    return row.member_id


def taken_places(rows: Iterable[Attendance]) -> int:
    """Seekers of a meeting day given a place (not on the waiting list)."""
    return sum(1 for r in rows if r.seeker_id is not None and not r.waitlisted)


async def current_members(session: AsyncSession, rows: Iterable[Attendance]) -> list[Member]:
    """The invited members still active at the agency they were invited for."""
    rows = [r for r in rows if r.member_id is not None]
    ids = [member_id_of(r) for r in rows]
    members = await meetings_db.members_by_ids(session=session, ids=ids)
    found = [members.get(member_id_of(r)) for r in rows]
    return [m for r, m in zip(rows, found, strict=True) if m is not None and is_current(r, m)]


async def own_row(session: AsyncSession, meeting_id: int, member: Member) -> Attendance | None:
    """The member's own invitation to a meeting."""
    return await meetings_db.find_attendance(
        session=session, meeting_id=meeting_id, participant_key=f"m:{member.id}"
    )


async def own_invitation(session: AsyncSession, meeting_id: int, member: Member) -> Attendance:
    """The member's invitation, refused when there is none or they left the invited agency."""
    row = await own_row(session, meeting_id, member)
    if row is None:
        raise DomainError("meetings.not_invited")
    if not is_current(row, member):
        raise DomainError("meetings.member_left")
    return row


# --- meeting days: the host centre -------------------------------------------------------------
async def hosted(session: AsyncSession, actor: Actor, meeting_id: int) -> tuple[Meeting, Member]:
    """A meeting day of the actor's own 새일센터 (refused for anyone else)."""
    member = member_of(actor)
    meeting = await get_meeting(session, meeting_id, MeetingKind.MEETING_DAY)
    if member.agency_id != meeting.host_agency_id:
        raise NotAllowed("meetingday.host_only")
    return meeting, member


async def region_codes(session: AsyncSession, meeting: Meeting) -> list[str]:
    """The 시군 the host centre serves, the meeting day's own first."""
    codes = await council_db.agency_regions(session=session, agency_id=meeting.host_agency_id)
    if meeting.region_code in codes:
        codes.remove(meeting.region_code)
        codes.insert(0, meeting.region_code)
    return codes


async def no_overlap(
    session: AsyncSession, agency_id: int, start: datetime, end: datetime, exclude: int | None
) -> None:
    clash = await meetings_db.overlapping_meeting_days(
        session=session, host_agency_id=agency_id, start=start, end=end, exclude_id=exclude
    )
    if clash:
        other = clash[0]
        raise DomainError(
            "meetingday.overlap",
            when=fmt_when(start_of(other)),
            until=end_of(other).strftime("%H:%M"),
        )


# --- the audit trail and save receipts ---------------------------------------------------------
async def audit(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    meeting_id: int | None,
    *,
    action: str,
    **detail: object,
) -> None:
    await trail.audit(
        session, clock.now(), actor, action=action, entity="meeting",
        entity_id=meeting_id, detail=dict(detail),
    )


async def store_new(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    token: str | None,
    meeting: Meeting,
    **detail: object,
) -> Meeting:
    """Store a new meeting with the form's save receipt and its audit line."""
    meeting.created_at = clock.now()
    meeting = await meetings_db.add_meeting(session=session, meeting=meeting)
    await add_receipt(session, clock, token, meeting)
    await audit(
        session,
        clock,
        actor,
        meeting.id,
        action="meeting.create",
        kind=meeting.kind,
        starts_at=meeting.starts_at,
        **detail,
    )
    return meeting


async def saved_meeting(session: AsyncSession, token: str | None) -> Meeting | None:
    """The meeting a form's draft token already created (a 저장 repeated after a crash)."""
    if not token:
        return None
    done = await receipts_db.get_receipt(session=session, token=token, kind="meeting")
    return await meetings_db.get_meeting(session=session, meeting_id=done) if done else None


async def add_receipt(
    session: AsyncSession, clock: Clock, token: str | None, meeting: Meeting
) -> None:
    if token:
        assert meeting.id is not None
        await receipts_db.add_receipt(session=session, token=token, kind="meeting",
                                      record_id=meeting.id, at=clock.now())
