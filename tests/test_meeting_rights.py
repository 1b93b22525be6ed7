"""The rights a viewer has on a meeting's screen are decided by services.meetings (MeetingView
.rights), from the meeting's kind, status and times and the viewer's part in it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.statuses import MeetingKind, MeetingStatus
from models.tables import Meeting
from services import meetings as svc

START = datetime(2026, 9, 2, 14, 0, tzinfo=ZoneInfo("Asia/Seoul"))


def view(kind: MeetingKind, status: MeetingStatus = MeetingStatus.SCHEDULED, *, lead: bool = False,
         host: bool = False, invited: bool = False, present: bool = False) -> svc.MeetingView:
    meeting = Meeting(id=1, kind=kind, host_agency_id=1, starts_at=START,
                      ends_at=START + timedelta(hours=2), status=status)
    return svc.MeetingView(meeting=meeting, host="-", region="", is_host=host, is_lead=lead,
                           invited=invited, my_rsvp=None, present=present, counts=None)


def test_an_invited_member_answers_until_the_start_and_checks_in_during_the_window() -> None:
    member = view(MeetingKind.COUNCIL, invited=True)
    before = member.rights(START - timedelta(hours=1))
    assert before.rsvp and not before.check_in and before.calendar
    assert not (before.council_records or before.day_records or before.reschedule)
    early = member.rights(START - svc.CHECKIN_EARLY)
    assert early.rsvp and early.check_in
    during = member.rights(START + timedelta(minutes=5))
    assert not during.rsvp and during.check_in
    assert not member.rights(START + timedelta(hours=3)).check_in  # after the end
    checked = view(MeetingKind.COUNCIL, invited=True, present=True)
    assert not checked.rights(START).check_in
    stranger = view(MeetingKind.COUNCIL).rights(START - timedelta(hours=1))
    assert not stranger.rsvp and not stranger.check_in


def test_the_coordinator_manages_a_council_meeting_and_the_host_a_meeting_day() -> None:
    now = START - timedelta(days=1)
    council = view(MeetingKind.COUNCIL, lead=True).rights(now)
    assert council.council_records and council.reschedule and not council.day_records
    day = view(MeetingKind.MEETING_DAY, host=True).rights(now)
    assert day.day_records and day.reschedule and not day.council_records
    # A coordinator is no meeting day's host; a host centre no council's coordinator.
    assert not view(MeetingKind.MEETING_DAY, lead=True).rights(now).day_records
    assert not view(MeetingKind.COUNCIL, host=True).rights(now).council_records


def test_held_and_cancelled_meetings_keep_only_what_still_makes_sense() -> None:
    now = START + timedelta(days=1)
    held = view(MeetingKind.COUNCIL, MeetingStatus.HELD, lead=True, invited=True).rights(now)
    assert held.council_records and held.calendar  # the notes may still be corrected
    assert not (held.rsvp or held.check_in or held.reschedule)
    held_day = view(MeetingKind.MEETING_DAY, MeetingStatus.HELD, host=True).rights(now)
    assert not (held_day.day_records or held_day.reschedule)
    cancelled = view(MeetingKind.COUNCIL, MeetingStatus.CANCELLED, lead=True, invited=True)
    rights = cancelled.rights(START - timedelta(hours=1))
    assert not any(vars(rights).values())
