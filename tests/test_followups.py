"""Follow-up (사후관리) of hires at the service layer: points at 1, 3 and 6 months, one-tap
answers, 나중에 at most three times, retention figures, a hire's date moved or deleted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adapters.runtime import Runtime
from core.clock import FrozenClock
from core.errors import DomainError, NotAllowed
from core.statuses import FollowUpState, LeaveReason
from models import followups as followups_db
from models.tables import FollowUp
from services import followups, hires, openings, seekers
from services.council import FollowUpConfig, parse_followup
from services.membership import Actor
from tests.test_records_services import OPENING, member, seeker_draft


async def hire_one(runtime: Runtime, clock: FrozenClock, saeil: Actor, employer: Actor,
                   phone: str = "010-1111-2222", **kwargs: object) -> int:
    async with runtime.session() as s:
        opening, _ = await openings.create_opening(session=s, clock=clock, actor=employer,
                                                   draft=OPENING, minimum_wage={2026: 10_320})
        seeker = await seekers.create_seeker(session=s, clock=clock, actor=saeil,
                                             cipher=runtime.cipher,
                                             draft=seeker_draft(runtime, phone),
                                             consent_at=clock.now())
        hire = await hires.record_hire(session=s, clock=clock, actor=saeil,
                                       seeker_id=seeker.id or 0, opening_id=opening.id or 0,
                                       hired_on=clock.today(), **kwargs)  # type: ignore[arg-type]
    return hire.id or 0


async def points(runtime: Runtime, hire_id: int) -> list[FollowUp]:
    async with runtime.session() as s:
        return list(await followups_db.points_of_hire(session=s, hire_id=hire_id))


def test_the_month_list_comes_from_council_toml_by_year() -> None:
    config = parse_followup(
        {"followup": {"months": [6, 1, 3], "by_year": {"2027": [1, 3, 6, 12]}}}
    )
    assert config.months_for(2026) == (1, 3, 6)
    assert config.months_for(2027) == (1, 3, 6, 12)
    assert parse_followup({}).months_for(2030) == (1, 3, 6)
    for bad in ([], [0], ["1"], [40], "1,3"):
        with pytest.raises(ValueError, match="followup"):
            parse_followup({"followup": {"months": bad}})


async def test_a_hire_walks_through_its_three_points(runtime: Runtime, clock: FrozenClock) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    saeil = await member(runtime, 2, "saeil-cheonan")
    other = await member(runtime, 3, "saeil-asan")
    start = clock.today()  # 2026-09-01
    hire_id = await hire_one(runtime, clock, saeil, employer)
    found = await points(runtime, hire_id)
    assert [(p.months, p.due_on, p.state) for p in found] == [
        (1, date(2026, 10, 1), "due"), (3, date(2026, 12, 1), "due"), (6, date(2027, 3, 1), "due"),
    ]
    one, three, six = (p.id or 0 for p in found)
    async with runtime.session() as s:  # nothing is due on the day of the hire
        assert await followups.due_for_centre(session=s, actor=saeil, today=clock.today(),
                                              cipher=runtime.cipher) == []
    clock.set(clock.now() + timedelta(days=30))  # 10/1: the 1-month point
    async with runtime.session() as s:
        due = await followups.due_for_centre(session=s, actor=saeil, today=clock.today(),
                                             cipher=runtime.cipher)
        assert [(v.point_id, v.months, v.seeker, v.overdue) for v in due] == [
            (one, 1, "홍길동", False)]
        with pytest.raises(NotAllowed):  # another centre neither sees nor answers it
            await followups.due_for_centre(session=s, actor=employer, today=clock.today(),
                                           cipher=runtime.cipher)
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await followups.answer(session=s, clock=clock, actor=other, point_id=one,
                                   state=FollowUpState.EMPLOYED)
    with pytest.raises(DomainError) as early:
        async with runtime.session() as s:
            await followups.answer(session=s, clock=clock, actor=saeil, point_id=three,
                                   state=FollowUpState.EMPLOYED)
    assert early.value.key == "followup.not_yet"
    async with runtime.session() as s:
        await followups.answer(session=s, clock=clock, actor=saeil, point_id=one,
                               state=FollowUpState.EMPLOYED)
    with pytest.raises(DomainError) as twice:  # a double tap stores nothing twice
        async with runtime.session() as s:
            await followups.answer(session=s, clock=clock, actor=saeil, point_id=one,
                                   state=FollowUpState.UNREACHABLE)
    assert twice.value.key == "followup.already" and twice.value.values["state"] == "employed"

    # 12/1: the 3-month point; 나중에 three times, then it is overdue and 나중에 is refused.
    clock.set(clock.now().replace(month=12, day=1))
    for n in range(3):
        async with runtime.session() as s:
            point = await followups.later(session=s, clock=clock, actor=saeil, point_id=three)
            assert point.asks == n + 1 and point.ask_on is not None
            assert point.ask_on > clock.today()
        assert point.ask_on is not None
        clock.set(clock.now().replace(month=point.ask_on.month, day=point.ask_on.day))
    with pytest.raises(DomainError) as more:
        async with runtime.session() as s:
            await followups.later(session=s, clock=clock, actor=saeil, point_id=three)
    assert more.value.key == "followup.no_more_later"
    async with runtime.session() as s:
        due = await followups.due_for_centre(session=s, actor=saeil, today=clock.today(),
                                             cipher=runtime.cipher)
        assert [(v.point_id, v.overdue) for v in due] == [(three, True)]
        counts = await followups.counts_by_centre(session=s, today=clock.today())
    assert [(c.due, c.overdue) for c in counts.values()] == [(1, 1)]

    # 퇴사: the date is checked, then the 3-month point and the later one are settled.
    for left_on, key in ((start - timedelta(days=1), "followup.left_before_start"),
                         (clock.today() + timedelta(days=1), "valid.date_future"),
                         (None, "followup.left_date_needed")):
        with pytest.raises(DomainError) as bad:
            async with runtime.session() as s:
                await followups.answer(session=s, clock=clock, actor=saeil, point_id=three,
                                       state=FollowUpState.LEFT, left_on=left_on)
        assert bad.value.key == key
    async with runtime.session() as s:
        done = await followups.answer(session=s, clock=clock, actor=saeil, point_id=three,
                                      state=FollowUpState.LEFT, left_on=date(2026, 11, 20),
                                      reason=LeaveReason.PERSONAL)
    assert [p.id for p in done.also] == [six]
    assert [(p.state, p.left_on) for p in await points(runtime, hire_id)] == [
        ("employed", None), ("left", date(2026, 11, 20)), ("left", date(2026, 11, 20))]

    # Retention of the 2026 hires on 12/5: 1 month 1/1 working, 3 months 0/1; 6 not due yet.
    async with runtime.session() as s:
        overall, by_agency = await followups.retention(session=s, today=clock.today(), year=2026)
    assert overall.due == {1: 1, 3: 1} and overall.employed == {1: 1}
    assert overall.rate(1) == 1.0 and overall.rate(3) == 0.0 and overall.rate(6) is None
    assert overall.latest() == (3, 0.0)
    assert saeil.member is not None
    assert set(by_agency) == {saeil.member.agency_id}


async def test_leaving_after_a_point_day_answers_that_point_as_working(
    runtime: Runtime, clock: FrozenClock
) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    saeil = await member(runtime, 2, "saeil-cheonan")
    hire_id = await hire_one(runtime, clock, saeil, employer)
    one, three, _six = (p.id or 0 for p in await points(runtime, hire_id))
    clock.set(clock.now().replace(month=12, day=10))  # both the 1- and 3-month points are due
    async with runtime.session() as s:  # she left on 11/15: working at 10/1, gone by 12/1
        done = await followups.answer(session=s, clock=clock, actor=saeil, point_id=one,
                                      state=FollowUpState.LEFT, left_on=date(2026, 11, 15))
    assert done.point.state == FollowUpState.EMPLOYED
    assert [p.state for p in await points(runtime, hire_id)] == ["employed", "left", "left"]
    with pytest.raises(DomainError):
        async with runtime.session() as s:
            await followups.answer(session=s, clock=clock, actor=saeil, point_id=three,
                                   state=FollowUpState.EMPLOYED)


async def test_moving_a_hire_moves_its_points_and_deleting_it_cancels_them(
    runtime: Runtime, clock: FrozenClock
) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    saeil = await member(runtime, 2, "saeil-cheonan")
    other = await member(runtime, 3, "saeil-asan")
    hire_id = await hire_one(runtime, clock, saeil, employer,
                             followup=FollowUpConfig((1, 12)))
    assert [p.months for p in await points(runtime, hire_id)] == [1, 12]
    clock.set(clock.now() + timedelta(days=40))  # 10/11: the 1-month point answered
    one, _twelve = (p.id or 0 for p in await points(runtime, hire_id))
    async with runtime.session() as s:
        await followups.answer(session=s, clock=clock, actor=saeil, point_id=one,
                               state=FollowUpState.EMPLOYED)
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await hires.change_start(session=s, clock=clock, actor=other, hire_id=hire_id,
                                     hired_on=date(2026, 8, 31))
    async with runtime.session() as s:
        await hires.change_start(session=s, clock=clock, actor=saeil, hire_id=hire_id,
                                 hired_on=date(2026, 8, 31))
    assert [(p.due_on, p.state) for p in await points(runtime, hire_id)] == [
        (date(2026, 10, 1), "employed"), (date(2027, 8, 31), "due")]  # the answer stays
    async with runtime.session() as s:
        await hires.delete_hire(session=s, clock=clock, actor=saeil, hire_id=hire_id)
    assert [p.state for p in await points(runtime, hire_id)] == ["employed", "cancelled"]
    async with runtime.session() as s:
        assert await followups.counts_by_centre(session=s, today=date(2027, 9, 1)) == {}
        overall, _ = await followups.retention(session=s, today=date(2027, 9, 1), year=2026)
    assert overall.due == {}  # a deleted hire counts nowhere
