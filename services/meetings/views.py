"""What a member sees of meetings: the ones visible to them (their agency and region), one
meeting's screen data, and the rights they have on it (answer, check in, manage)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import NotAllowed
from core.statuses import MeetingKind, MeetingStatus
from models import council as council_db
from models import meetings as meetings_db
from models.tables import Meeting
from services.meetings.base import get_meeting, is_current, member_of, own_row, start_of
from services.meetings.council import in_checkin_window
from services.meetings.fields import MAX_AHEAD
from services.meetings.results import DayCounts, day_counts
from services.membership import Actor


@dataclass(frozen=True)
class MeetingRights:
    """What the viewer may do on a meeting's screen, at one moment."""

    rsvp: bool  # answer 참석 / 불참 / 미정 (an invited member, until the start)
    check_in: bool  # an invited member during the check-in window, not yet present
    council_records: bool  # the answer sheet, the attendance checklist and the notes
    day_records: bool  # a meeting day's invitations, checklist, results, capacity, closing
    reschedule: bool  # move or cancel
    calendar: bool  # the .ics file


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
    def is_council(self) -> bool:
        return self.meeting.kind == MeetingKind.COUNCIL

    @property
    def can_manage(self) -> bool:
        return self.is_lead if self.is_council else self.is_host

    def rights(self, now: datetime) -> MeetingRights:
        m = self.meeting
        scheduled = m.status == MeetingStatus.SCHEDULED
        cancelled = m.status == MeetingStatus.CANCELLED
        council_member = self.is_council and self.invited
        return MeetingRights(
            rsvp=council_member and scheduled and now < start_of(m),
            check_in=council_member and not self.present and in_checkin_window(m, now),
            council_records=self.can_manage and self.is_council and not cancelled,
            day_records=self.can_manage and not self.is_council and scheduled,
            reschedule=self.can_manage and scheduled,
            calendar=not cancelled,
        )


async def _regions(session: AsyncSession, actor: Actor) -> list[str]:
    member = member_of(actor)
    if not member.agency_id:
        return []
    return await council_db.agency_regions(session=session, agency_id=member.agency_id)


async def _visible(
    session: AsyncSession, actor: Actor, meeting: Meeting, regions: Sequence[str]
) -> bool:
    member = member_of(actor)
    if actor.is_lead:
        return True
    if meeting.kind == MeetingKind.COUNCIL:
        return meeting.id in await meetings_db.member_meeting_ids(
            session=session, member_id=member.id or 0
        )
    if member.agency_id == meeting.host_agency_id or meeting.region_code in regions:
        return True
    return meeting.id in await meetings_db.agency_company_meeting_ids(
        session=session, agency_id=member.agency_id or 0
    )


async def meeting_view(*, session: AsyncSession, actor: Actor, meeting_id: int) -> MeetingView:
    regions = await _regions(session, actor)  # refuses a non-member first
    meeting = await get_meeting(session, meeting_id)
    if not await _visible(session, actor, meeting, regions):
        raise NotAllowed("meetings.not_visible")
    return await _view(session, actor, meeting)


async def _view(session: AsyncSession, actor: Actor, meeting: Meeting) -> MeetingView:
    member = member_of(actor)
    assert meeting.id is not None
    host = await council_db.get_agency(session=session, agency_id=meeting.host_agency_id)
    region = (
        await council_db.get_region(session=session, code=meeting.region_code)
        if meeting.region_code
        else None
    )
    row = await own_row(session, meeting.id, member)
    invited = row is not None and is_current(row, member)
    day = meeting.kind == MeetingKind.MEETING_DAY
    return MeetingView(
        meeting=meeting,
        host=host.short_name if host else "-",
        region=region.name if region else "",
        is_host=day and member.agency_id == meeting.host_agency_id,
        is_lead=actor.is_lead,
        invited=invited,
        my_rsvp=row.rsvp if invited and row else None,
        present=bool(row and row.present),
        counts=await day_counts(session=session, meeting=meeting) if day else None,
    )


async def my_meetings(
    *, session: AsyncSession, clock: Clock, actor: Actor, past: bool = False
) -> list[MeetingView]:
    """Upcoming (or recently held) meetings for the member's agency and region."""
    member_of(actor)
    now = clock.now()
    if past:
        candidates = await meetings_db.past_meetings(session=session, before=now, limit=20)
    else:
        candidates = await meetings_db.meetings_between(
            session=session, start=now, end=now + MAX_AHEAD
        )
    regions = await _regions(session, actor)
    views = []
    for meeting in candidates:
        if await _visible(session, actor, meeting, regions):
            views.append(await _view(session, actor, meeting))
    return views[:10]
