"""Cancelling and moving a meeting (its coordinator, or a meeting day's host centre), and who
must hear of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.statuses import MeetingKind, MeetingStatus
from models import council as council_db
from models import meetings as meetings_db
from models.tables import Meeting, Member
from services.meetings.base import (
    audit,
    current_members,
    end_of,
    get_meeting,
    hosted,
    no_overlap,
    require_scheduled,
    start_of,
)
from services.meetings.fields import check_start
from services.membership import Actor, require_lead


@dataclass
class Notice:
    """Who must hear that a meeting was cancelled or moved."""

    meeting: Meeting
    old_starts_at: datetime
    members: list[Member]  # invited members / staff of invited companies' agencies
    hosts: list[Member]  # host centre staff of a meeting day (they call the seekers)
    seekers: int  # seekers invited to a meeting day (told by the host centre)
    region: str = ""  # the meeting day's 시군, by name


async def may_manage(session: AsyncSession, actor: Actor, meeting: Meeting) -> None:
    if meeting.kind == MeetingKind.COUNCIL:
        require_lead(actor)
    else:
        await hosted(session, actor, meeting.id or 0)


async def region_name(session: AsyncSession, meeting: Meeting) -> str:
    if not meeting.region_code:
        return ""
    region = await council_db.get_region(session=session, code=meeting.region_code)
    return region.name if region else ""


async def _notice(session: AsyncSession, actor: Actor, meeting: Meeting, old: datetime) -> Notice:
    assert meeting.id is not None
    rows = await meetings_db.rsvps(session=session, meeting_id=meeting.id)
    me = actor.member.id if actor.member else None
    if meeting.kind == MeetingKind.COUNCIL:
        invited = [m for m in await current_members(session, rows) if m.id != me]
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
        meeting,
        old,
        [m for m in staff if m.id != me],
        [m for m in hosts if m.id != me],
        seekers,
        await region_name(session, meeting),
    )


async def cancel_meeting(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int
) -> Notice:
    meeting = await get_meeting(session, meeting_id)
    await may_manage(session, actor, meeting)
    require_scheduled(meeting)
    meeting.status, meeting.updated_at = MeetingStatus.CANCELLED, clock.now()
    await meetings_db.save(session=session, rows=[meeting])
    await audit(session, clock, actor, meeting_id, action="meeting.cancel", kind=meeting.kind)
    return await _notice(session, actor, meeting, start_of(meeting))


async def move_meeting(
    *, session: AsyncSession, clock: Clock, actor: Actor, meeting_id: int, starts_at: datetime
) -> Notice:
    """A new date and time; council members answer again (they answered for the old time)."""
    meeting = await get_meeting(session, meeting_id)
    await may_manage(session, actor, meeting)
    require_scheduled(meeting)
    check_start(starts_at, now=clock.now())
    old = start_of(meeting)
    length = end_of(meeting) - old
    if meeting.kind == MeetingKind.MEETING_DAY:
        await no_overlap(
            session, meeting.host_agency_id, starts_at, starts_at + length, meeting.id
        )
    meeting.starts_at, meeting.ends_at = starts_at, starts_at + length
    meeting.updated_at = clock.now()
    rows = list(await meetings_db.rsvps(session=session, meeting_id=meeting_id))
    if meeting.kind == MeetingKind.COUNCIL:
        for r in rows:
            r.rsvp, r.rsvp_at = None, None
    await meetings_db.save(session=session, rows=[meeting, *rows])
    await audit(session, clock, actor, meeting_id, action="meeting.move", old=old, new=starts_at)
    return await _notice(session, actor, meeting, old)
