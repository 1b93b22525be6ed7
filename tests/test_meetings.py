"""Meetings at the service layer (no Telegram): typed dates, overlaps, capacity and the waiting
list, hires, visibility of seekers, RSVP rules, the programme step, .ics and the demo season."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import select

from adapters.runtime import Runtime
from core.clock import FrozenClock
from core.errors import DomainError, NotAllowed
from demo import seed as demo
from models import council as council_db
from models import meetings as meetings_db
from models.tables import Attendance, Hire, JobOpening, JobSeeker, Meeting, Member
from services import hires, ics
from services import meetings as svc
from services.forms import Also, ParseEnv
from services.membership import Actor

TODAY = date(2026, 9, 1)


async def _member(rt: Runtime, tg: int, agency_code: str, role: str = "staff") -> Actor:
    async with rt.session() as s:
        agency = await council_db.get_agency_by_code(session=s, code=agency_code)
        assert agency is not None
        m = Member(telegram_id=tg, display_name=f"m{tg}", agency_id=agency.id, role=role)
        s.add(m)
    return Actor(tg, m)


async def _agency(rt: Runtime, code: str) -> int:
    async with rt.session() as s:
        agency = await council_db.get_agency_by_code(session=s, code=code)
        assert agency is not None and agency.id is not None
        return agency.id


async def _seeker(rt: Runtime, agency_code: str, n: int, region: str = "cheonan") -> int:
    async with rt.session() as s:
        seeker = JobSeeker(
            agency_id=await _agency(rt, agency_code), name=rt.cipher.encrypt(f"seeker{n}"),
            phone=rt.cipher.encrypt(f"010-1111-{n:04d}"),
            phone_key=f"k{n}", region_code=region, created_at=datetime.now().astimezone(),
        )
        s.add(seeker)
    assert seeker.id is not None
    return seeker.id


async def _opening(rt: Runtime, region: str = "cheonan", positions: int = 1) -> int:
    async with rt.session() as s:
        opening = JobOpening(
            agency_id=await _agency(rt, "chungnam-north-chamber"), company_name="ACME",
            job_title="clerk", region_code=region, positions=positions,
            created_at=datetime.now().astimezone(),
        )
        s.add(opening)
    assert opening.id is not None
    return opening.id


def test_typed_dates_and_times() -> None:
    assert svc.parse_when("9/15 14:00", today=TODAY) == (date(2026, 9, 15), time(14, 0))
    assert svc.parse_when("9월 15일 2시 30분", today=TODAY) == (date(2026, 9, 15), time(14, 30))
    assert svc.parse_when("2027-01-05", today=TODAY) == (date(2027, 1, 5), None)
    assert svc.parse_time("10시") == time(10, 0)
    for bad in ["", "내일", "13/40", "9/31 10:00", "9/15 25:00", "1 2 3 4 5"]:
        with pytest.raises(DomainError):
            svc.parse_when(bad, today=TODAY)
    now = datetime(2026, 9, 1, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    with pytest.raises(DomainError) as err:
        svc.check_start(now - timedelta(minutes=1), now=now)
    assert err.value.key == "meetings.when_past"
    with pytest.raises(DomainError) as err:
        svc.check_start(now + timedelta(days=400), now=now)
    assert err.value.key == "meetings.when_too_far"
    choices = svc.date_choices(date(2026, 9, 21), count=6)
    # No weekend, and 추석 (9/24-9/26) is skipped.
    assert choices == [date(2026, 9, 22), date(2026, 9, 23), date(2026, 9, 28),
                       date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 1)]


def test_form_answers_for_dates_times_and_agencies() -> None:
    """The creation forms' fields: a day alone, or with its time (then no time question), a
    time that must lie ahead on the chosen day, at least one agency."""
    seoul = ZoneInfo("Asia/Seoul")
    now = datetime(2026, 9, 1, 10, 0, tzinfo=seoul)
    env = ParseEnv(today=now.date(), now=now)
    assert svc.date_answer("2026-09-02", env) == "2026-09-02"  # a tapped day
    assert svc.date_answer("9/15 14:00", env) == Also(_value="2026-09-15", time="14:00")
    for bad, key in [("8/31", "meetings.day_past"), ("9/1 09:00", "meetings.when_past"),
                     ("9월 31일", "meetings.when_invalid")]:
        with pytest.raises(DomainError) as err:
            svc.date_answer(bad, env)
        assert err.value.key == key
    today = ParseEnv(today=now.date(), now=now, draft={"date": "2026-09-01"})
    assert svc.time_answer("2시", today) == "14:00"
    with pytest.raises(DomainError) as err:
        svc.time_answer("09:30", today)
    assert err.value.key == "meetings.when_past"
    assert svc.starts_at({"date": "2026-09-15", "time": "14:00"}, seoul) == datetime(
        2026, 9, 15, 14, 0, tzinfo=seoul)
    agencies = svc.COUNCIL_FIELDS[-1]
    assert agencies.multi and agencies.parse is not None
    with pytest.raises(DomainError) as err:
        agencies.parse([], env)
    assert err.value.key == "meetings.no_agencies"


async def test_a_repeated_save_with_the_same_token_creates_one_meeting(
    runtime: Runtime, clock: FrozenClock
) -> None:
    """The form's draft token: a 저장 repeated after a crash returns the meeting it made."""
    lead = await _member(runtime, 10, "chungnam-province", "coordinator")
    host = await _member(runtime, 11, "saeil-cheonan")
    start = clock.now() + timedelta(days=2)
    council: dict[str, Any] = dict(
        starts_at=start, place="hall", online_link="", agenda="roles",
        agency_ids=[await _agency(runtime, "saeil-cheonan")],
    )
    day: dict[str, Any] = dict(
        region_code="cheonan", starts_at=start, venue="hall", capacity=5, contact="041"
    )
    made = []
    for _ in range(2):
        async with runtime.session() as s:
            meeting, invitees = await svc.create_council_meeting(
                session=s, clock=clock, actor=lead, token="t-council", **council)
            assert [m.telegram_id for m in invitees] == [11]
            made.append(meeting.id)
            made.append((await svc.create_meeting_day(
                session=s, clock=clock, actor=host, token="t-day", **day)).id)
    assert made[0] == made[2] and made[1] == made[3]
    async with runtime.session() as s:
        assert len((await s.exec(select(Meeting))).all()) == 2
        assert len((await s.exec(select(Attendance))).all()) == 1
    async with runtime.session() as s:  # without a token (or a new one): a new meeting
        other = await svc.create_council_meeting(session=s, clock=clock, actor=lead, **council)
    assert other[0].id not in made


async def test_overlapping_meeting_days_and_capacity(runtime: Runtime, clock: FrozenClock) -> None:
    host = await _member(runtime, 10, "saeil-cheonan")
    other = await _member(runtime, 11, "saeil-asan")
    start = clock.now() + timedelta(days=3)
    async with runtime.session() as s:
        day = await svc.create_meeting_day(
            session=s, clock=clock, actor=host, region_code="cheonan", starts_at=start,
            venue="hall", capacity=2, contact="041",
        )
    with pytest.raises(DomainError) as err:
        async with runtime.session() as s:
            await svc.create_meeting_day(
                session=s, clock=clock, actor=host, region_code="cheonan",
                starts_at=start + timedelta(hours=2), venue="hall", capacity=5, contact="041",
            )
    assert err.value.key == "meetingday.overlap"
    with pytest.raises(DomainError) as err:  # a region the centre does not serve
        async with runtime.session() as s:
            await svc.create_meeting_day(
                session=s, clock=clock, actor=host, region_code="asan", starts_at=start,
                venue="hall", capacity=5, contact="041",
            )
    assert err.value.key == "meetingday.region_not_served"
    async with runtime.session() as s:  # another centre at the same time is fine
        await svc.create_meeting_day(
            session=s, clock=clock, actor=other, region_code="asan", starts_at=start,
            venue="hall", capacity=5, contact="041",
        )
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await svc.create_meeting_day(
                session=s, clock=clock, actor=await _member(runtime, 12, "chungnam-province",
                                                              "coordinator"),
                region_code="cheonan", starts_at=start, venue="hall", capacity=5, contact="041",
            )

    seekers = [await _seeker(runtime, "saeil-cheonan", n) for n in range(3)]
    assert day.id is not None
    states = []
    for seeker_id in seekers:
        async with runtime.session() as s:
            result = await svc.toggle_seeker(
                session=s, clock=clock, actor=host, meeting_id=day.id, seeker_id=seeker_id
            )
            states.append(result.state)
    assert states == ["invited", "invited", "waitlisted"]
    with pytest.raises(DomainError) as err:
        async with runtime.session() as s:
            await svc.change_capacity(
                session=s, clock=clock, actor=host, meeting_id=day.id, capacity=1
            )
    assert err.value.key == "meetingday.capacity_below_invited"
    assert err.value.values == {"capacity": 1, "invited": 2}
    async with runtime.session() as s:
        stored = await meetings_db.get_meeting(session=s, meeting_id=day.id)
        assert stored is not None and stored.capacity == 2
        _, promoted = await svc.change_capacity(
            session=s, clock=clock, actor=host, meeting_id=day.id, capacity=3
        )
    assert promoted == 1

    # Another centre never gets the seekers: not the sheet, not the invitation list.
    for call in (svc.day_sheet, svc.seeker_choices):
        with pytest.raises(NotAllowed):
            async with runtime.session() as s:
                await call(session=s, actor=other, cipher=runtime.cipher, meeting_id=day.id)
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await svc.company_choices(session=s, actor=other, meeting_id=day.id)
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await svc.meeting_view(session=s, actor=other, meeting_id=day.id)
    # An employer association serving 천안 sees the day with its counts only.
    employer = await _member(runtime, 13, "chungnam-north-chamber")
    async with runtime.session() as s:
        view = await svc.meeting_view(session=s, actor=employer, meeting_id=day.id)
    assert view.counts is not None and view.counts.seekers == 3 and not view.can_manage
    # An asan centre does not even see a cheonan meeting day in its list.
    async with runtime.session() as s:
        listed = await svc.my_meetings(session=s, clock=clock, actor=other)
    assert day.id not in [v.meeting.id for v in listed]


async def test_closing_without_attendees_changes_nothing(
    runtime: Runtime, clock: FrozenClock
) -> None:
    host = await _member(runtime, 10, "saeil-cheonan")
    seeker_id = await _seeker(runtime, "saeil-cheonan", 1)
    async with runtime.session() as s:
        day = await svc.create_meeting_day(
            session=s, clock=clock, actor=host, region_code="cheonan",
            starts_at=clock.now() + timedelta(hours=1), venue="hall", capacity=5, contact="041",
        )
        assert day.id is not None
        await svc.toggle_seeker(
            session=s, clock=clock, actor=host, meeting_id=day.id, seeker_id=seeker_id
        )
    later = FrozenClock(clock.now() + timedelta(hours=2))
    with pytest.raises(DomainError) as err:
        async with runtime.session() as s:
            await svc.close_meeting_day(session=s, clock=later, actor=host, meeting_id=day.id)
    assert err.value.key == "meetings.no_attendees"
    async with runtime.session() as s:
        meeting = await meetings_db.get_meeting(session=s, meeting_id=day.id)
        seeker = await meetings_db.get_seeker(session=s, seeker_id=seeker_id)
    assert meeting is not None and meeting.status == "scheduled"
    assert seeker is not None and not seeker.followup


async def test_record_hire_counts_positions_and_refuses_duplicates(
    runtime: Runtime, clock: FrozenClock
) -> None:
    host = await _member(runtime, 10, "saeil-cheonan")
    opening_id = await _opening(runtime, positions=2)
    first, second = [await _seeker(runtime, "saeil-cheonan", n) for n in (1, 2)]
    async with runtime.session() as s:
        await hires.record_hire(session=s, clock=clock, actor=host, seeker_id=first,
                                opening_id=opening_id, hired_on=clock.today())
    with pytest.raises(DomainError) as err:
        async with runtime.session() as s:
            await hires.record_hire(session=s, clock=clock, actor=host, seeker_id=first,
                                    opening_id=opening_id, hired_on=clock.today())
    assert err.value.key == "hire.duplicate"
    async with runtime.session() as s:
        await hires.record_hire(session=s, clock=clock, actor=host, seeker_id=second,
                                opening_id=opening_id, hired_on=clock.today())
    async with runtime.session() as s:
        opening = await meetings_db.get_opening(session=s, opening_id=opening_id)
        seeker = await meetings_db.get_seeker(session=s, seeker_id=first)
        count = len((await s.exec(select(Hire))).all())
    assert opening is not None and opening.positions_filled == 2 and opening.status == "filled"
    assert seeker is not None and seeker.status == "hired" and count == 2


async def test_rsvp_rules_and_first_council_meeting(runtime: Runtime, clock: FrozenClock) -> None:
    lead = await _member(runtime, 10, "chungnam-province", "coordinator")
    staff = await _member(runtime, 11, "saeil-cheonan")
    leaver = await _member(runtime, 12, "saeil-asan")
    start = clock.now() + timedelta(days=2)
    async with runtime.session() as s:
        meeting, invitees = await svc.create_council_meeting(
            session=s, clock=clock, actor=lead, starts_at=start, place="hall", online_link="",
            agenda="roles", agency_ids=[await _agency(runtime, c) for c in
                                        ("chungnam-province", "saeil-cheonan", "saeil-asan")],
        )
    assert meeting.id is not None and len(invitees) == 3
    async with runtime.session() as s:
        await svc.set_rsvp(session=s, clock=clock, actor=staff, meeting_id=meeting.id,
                           answer="maybe")
        await svc.set_rsvp(session=s, clock=clock, actor=staff, meeting_id=meeting.id,
                           answer="yes")
    # The leaver moves to another agency: their invitation no longer counts.
    assert leaver.member is not None
    async with runtime.session() as s:
        moved = await s.get(Member, leaver.member.id)
        assert moved is not None
        moved.agency_id = await _agency(runtime, "saeil-dangjin")
        s.add(moved)
    with pytest.raises(DomainError) as err:
        async with runtime.session() as s:
            await svc.set_rsvp(session=s, clock=clock, actor=Actor(12, moved),
                               meeting_id=meeting.id, answer="yes")
    assert err.value.key == "meetings.member_left"
    async with runtime.session() as s:
        sheet = await svc.answer_sheet(session=s, actor=lead, meeting_id=meeting.id)
        rows = await meetings_db.rsvps(session=s, meeting_id=meeting.id)
        window = await meetings_db.upcoming_meetings(
            session=s, start=clock.now(), end=clock.now() + timedelta(days=7)
        )
    assert sheet.count("yes") == 1 and sheet.count(None) == 1
    assert {r.rsvp for r in rows} == {"yes", None} and [m.id for m in window] == [meeting.id]

    during = FrozenClock(start + timedelta(minutes=5))
    with pytest.raises(DomainError) as err:
        async with runtime.session() as s:
            await svc.set_rsvp(session=s, clock=during, actor=staff, meeting_id=meeting.id,
                               answer="no")
    assert err.value.key == "meetings.rsvp_closed"
    async with runtime.session() as s:
        assert await svc.first_council_meeting_held(session=s, year=2026) is None
        with pytest.raises(DomainError):
            await svc.record_notes(session=s, clock=during, actor=lead, meeting_id=meeting.id,
                                   notes="decided")
    async with runtime.session() as s:
        await svc.check_in(session=s, clock=during, actor=staff, meeting_id=meeting.id)
        await svc.record_notes(session=s, clock=during, actor=lead, meeting_id=meeting.id,
                               notes="decided")
    async with runtime.session() as s:
        assert await svc.first_council_meeting_held(session=s, year=2026) == start.date()
        assert await svc.first_council_meeting_held(session=s, year=2025) is None


def test_ics_file() -> None:
    tz = ZoneInfo("Asia/Seoul")
    start = datetime(2026, 9, 15, 14, 0, tzinfo=tz)
    data = ics.meeting_ics(uid="meeting-1@itda", title="council", starts_at=start,
                           ends_at=start + timedelta(hours=2), stamp=start, location="hall")
    event = next(iter(Calendar.from_ical(data).walk("VEVENT")))
    assert event["SUMMARY"] == "council" and event.decoded("DTSTART") == start
    assert b"VTIMEZONE" in data


async def test_demo_season_is_idempotent(runtime: Runtime, clock: FrozenClock) -> None:
    for _ in range(2):
        async with runtime.session() as s:
            await demo.seed_demo(session=s, clock=clock, cipher=runtime.cipher)
    async with runtime.session() as s:
        meetings = (await s.exec(select(Meeting))).all()
        rows = (await s.exec(select(Attendance))).all()
        hired = (await s.exec(select(Hire))).all()
        held = await svc.first_council_meeting_held(session=s, year=clock.now().year)
    assert sorted(m.kind for m in meetings) == ["council", "meeting_day", "meeting_day",
                                                 "meeting_day"]
    assert held == date(2026, 8, 12) and len([h for h in hired if h.meeting_id]) == 2
    assert any(r.waitlisted for r in rows) and any(r.mode == "written" for r in rows)
    council = next(m for m in meetings if m.kind == "council")
    assert council.notes and any(r.present for r in rows if r.meeting_id == council.id)


def test_dynamic_message_keys_exist() -> None:
    from locales import catalogue

    keys = [f"meetings.weekday.{i}" for i in range(7)]
    keys += [f"meetings.rsvp.{a}" for a in (*svc.RSVP_ANSWERS, "none")]
    keys += [f"meetings.rsvp_btn.{a}" for a in svc.RSVP_ANSWERS]
    keys += [f"meetings.status.{s}" for s in ("scheduled", "held", "cancelled")]
    keys += [f"meetings.notice.{w}" for w in ("cancelled", "moved")]
    keys += [
        f"meetingday.{k}.{w}" for k in ("notice", "host_notice") for w in ("cancelled", "moved")
    ]
    keys += [f"meetingday.pick_company.{a}" for a in ("ri", "rh", "rp")]
    keys += [f"meetingday.result.{r}" for r in ("none", "hired", "in_progress", "not_hired")]
    keys += [f"meetingday.seeker_state.{s}" for s in ("invited", "waitlisted", "removed")]
    for lang in ("ko", "en"):
        missing = [k for k in keys if k not in catalogue(lang)]
        assert not missing, (lang, missing)
