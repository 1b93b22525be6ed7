"""Openings, seekers and hires at the service layer, against a real SQLite database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from adapters.runtime import Runtime
from core.clock import FrozenClock
from core.errors import DomainError, NotAllowed
from demo.seed import seed_demo
from models import audit as audit_db
from models import council as council_db
from models import hires as hires_db
from models import openings as openings_db
from models import seekers as seekers_db
from models.tables import JobSeeker, Member
from services import openings, seekers
from services.hires import record_hire
from services.membership import Actor


async def member(rt: Runtime, telegram_id: int, agency_code: str, role: str = "staff") -> Actor:
    async with rt.session() as s:
        agency = await council_db.get_agency_by_code(session=s, code=agency_code)
        assert agency is not None
        m = Member(telegram_id=telegram_id, display_name="담당자", agency_id=agency.id, role=role)
        s.add(m)
    return Actor(telegram_id, m)


OPENING: dict[str, Any] = {
    "company_name": "행복제과", "business_number": None, "industry": "제조", "job_title": "포장",
    "duties": "포장", "region_code": "cheonan", "employment_type": "regular_part_time",
    "weekly_hours": 20.0, "work_days": "월~금", "work_time": "10:00-15:00",
    "wage_type": "hourly", "wage_amount": 13_500, "positions": 2, "small_firm": "yes",
    "subsidy_approved": "no", "deadline": "2026-09-10", "contact": "041-555-1234",
}


def seeker_draft(rt: Runtime, phone: str) -> dict[str, Any]:
    c = rt.cipher
    return {
        "name": c.encrypt("홍길동"), "phone": c.encrypt(phone), "birth_year": 1984,
        "region_code": "cheonan", "desired_jobs": "포장", "desired_hours": 20.0,
        "time_of_day": "morning", "desired_wage": None, "interruption_reason": "childcare",
        "interruption_years": 3.0, "consent_share": "no", "note": "",
    }


async def test_hire_bookkeeping(runtime: Runtime, clock: FrozenClock) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    saeil = await member(runtime, 2, "saeil-cheonan")
    other = await member(runtime, 3, "saeil-asan")
    async with runtime.session() as s:
        opening, _ = await openings.create_opening(session=s, clock=clock, actor=employer,
                                                   draft=OPENING, minimum_wage={2026: 10_320})
        a = await seekers.create_seeker(session=s, clock=clock, actor=saeil,
                                        cipher=runtime.cipher,
                                        draft=seeker_draft(runtime, "010-1111-2222"),
                                        consent_at=clock.now())
        b = await seekers.create_seeker(session=s, clock=clock, actor=saeil,
                                        cipher=runtime.cipher,
                                        draft=seeker_draft(runtime, "010-3333-4444"),
                                        consent_at=clock.now())
    assert opening.id and a.id and b.id
    # The name and phone are stored encrypted; the phone key finds duplicates.
    assert "홍길동" not in a.name and "010" not in a.phone
    with pytest.raises(DomainError) as dup:
        async with runtime.session() as s:
            await seekers.create_seeker(session=s, clock=clock, actor=saeil,
                                        cipher=runtime.cipher,
                                        draft=seeker_draft(runtime, "010-1111-2222"),
                                        consent_at=clock.now())
    assert dup.value.key == "seeker.duplicate"
    assert dup.value.values["agency"] == "천안여성새로일하기센터"
    # Another centre may not record a hire of these records.
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await record_hire(session=s, clock=clock, actor=other, seeker_id=a.id,
                              opening_id=opening.id, hired_on=clock.today())
    async with runtime.session() as s:
        await record_hire(session=s, clock=clock, actor=saeil, seeker_id=a.id,
                          opening_id=opening.id, hired_on=clock.today())
    async with runtime.session() as s:
        found = await openings_db.get_opening(session=s, opening_id=opening.id)
        hired = await seekers_db.get_seeker(session=s, seeker_id=a.id)
    assert found is not None and found.positions_filled == 1 and found.status == "open"
    assert hired is not None and hired.status == "hired"
    with pytest.raises(DomainError) as twice:
        async with runtime.session() as s:
            await record_hire(session=s, clock=clock, actor=saeil, seeker_id=a.id,
                              opening_id=opening.id, hired_on=clock.today())
    assert twice.value.key == "hire.duplicate"
    with pytest.raises(DomainError) as future:
        async with runtime.session() as s:
            await record_hire(session=s, clock=clock, actor=saeil, seeker_id=b.id,
                              opening_id=opening.id, hired_on=clock.today() + timedelta(days=1))
    assert future.value.key == "valid.date_future"
    async with runtime.session() as s:  # the employer may record it too; the last position
        await record_hire(session=s, clock=clock, actor=employer, seeker_id=b.id,
                          opening_id=opening.id, hired_on=clock.today(), meeting_id=None)
    async with runtime.session() as s:
        found = await openings_db.get_opening(session=s, opening_id=opening.id)
        hires = await hires_db.list_hires(session=s, opening_id=opening.id)
        counts = await hires_db.count_hires_by_agency(session=s)
        actions = [e.action for e in await audit_db.list_audit(session=s)]
        chain_ok = audit_db.verify_chain(await audit_db.list_audit(session=s)) is None
    assert found is not None and found.status == "filled" and found.positions_filled == 2
    assert len(hires) == 2 and counts == {a.agency_id: 2}
    assert actions.count("hire.create") == 2 and actions.count("seeker.create") == 2
    assert "opening.create" in actions and chain_ok


async def test_status_and_soft_delete_of_both_kinds(runtime: Runtime, clock: FrozenClock
                                                    ) -> None:
    """Status and deletion, shared by openings and seekers, keep what each kind adds: an
    opening's closing time, a seeker's phone key retired so the number may be registered again."""
    employer = await member(runtime, 1, "chungnam-north-chamber")
    saeil = await member(runtime, 2, "saeil-cheonan")
    phone = "010-5555-6666"
    async with runtime.session() as s:
        opening, _ = await openings.create_opening(session=s, clock=clock, actor=employer,
                                                   draft=OPENING, minimum_wage={2026: 10_320})
        seeker = await seekers.create_seeker(session=s, clock=clock, actor=saeil,
                                             cipher=runtime.cipher,
                                             draft=seeker_draft(runtime, phone),
                                             consent_at=clock.now())
    assert opening.id and seeker.id
    for kind, call, record_id in (
        ("opening", openings.set_opening_status, {"opening_id": opening.id}),
        ("seeker", seekers.set_seeker_status, {"seeker_id": seeker.id}),
    ):
        with pytest.raises(DomainError) as unknown:
            async with runtime.session() as s:
                await call(session=s, clock=clock, actor=employer if kind == "opening" else saeil,
                           status="nonsense", **record_id)
        assert unknown.value.key == "records.unknown_status", kind
    clock.advance(timedelta(hours=1))
    closed_at = clock.now()
    async with runtime.session() as s:
        closed = await openings.set_opening_status(session=s, clock=clock, actor=employer,
                                                   opening_id=opening.id, status="closed")
        placed = await seekers.set_seeker_status(session=s, clock=clock, actor=saeil,
                                                 seeker_id=seeker.id, status="hired")
    assert closed.status == "closed" and closed.closed_at == closed_at
    assert closed.updated_at == closed_at and placed.updated_at == closed_at
    clock.advance(timedelta(hours=1))
    async with runtime.session() as s:
        reopened = await openings.set_opening_status(session=s, clock=clock, actor=employer,
                                                     opening_id=opening.id, status="open")
    assert reopened.status == "open" and reopened.closed_at is None
    with pytest.raises(NotAllowed):  # another agency's staff may not delete it
        async with runtime.session() as s:
            await openings.delete_opening(session=s, clock=clock, actor=saeil,
                                          opening_id=opening.id)
    clock.advance(timedelta(hours=1))
    async with runtime.session() as s:
        await openings.delete_opening(session=s, clock=clock, actor=employer,
                                      opening_id=opening.id)
        await seekers.delete_seeker(session=s, clock=clock, actor=saeil, seeker_id=seeker.id)
    async with runtime.session() as s:
        assert await openings_db.get_opening(session=s, opening_id=opening.id) is None
        assert await seekers_db.get_seeker(session=s, seeker_id=seeker.id) is None
        gone = await s.get(JobSeeker, seeker.id)
        assert gone is not None and gone.deleted_at == clock.now()
        assert gone.phone_key.startswith(f"deleted:{seeker.id}:")
        again = await seekers.create_seeker(session=s, clock=clock, actor=saeil,
                                            cipher=runtime.cipher,
                                            draft=seeker_draft(runtime, phone),
                                            consent_at=clock.now())
        log = [(e.action, e.entity_id, e.detail, e.actor_member_id)
               for e in await audit_db.list_audit(session=s)
               if e.action.endswith((".status", ".delete"))]
    assert again.id != seeker.id
    employer_id, saeil_id = employer.member.id, saeil.member.id  # type: ignore[union-attr]
    assert log == [
        ("opening.status", opening.id, {"old": "open", "new": "closed"}, employer_id),
        ("seeker.status", seeker.id, {"old": "seeking", "new": "hired"}, saeil_id),
        ("opening.status", opening.id, {"old": "closed", "new": "open"}, employer_id),
        ("opening.delete", opening.id, {"status": "open"}, employer_id),
        ("seeker.delete", seeker.id, {"status": "hired"}, saeil_id),
    ]


async def test_expired_openings_are_closed_once(runtime: Runtime, clock: FrozenClock) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    async with runtime.session() as s:
        kept, _ = await openings.create_opening(session=s, clock=clock, actor=employer,
                                                draft=OPENING | {"deadline": None},
                                                minimum_wage={2026: 10_320})
        due, _ = await openings.create_opening(session=s, clock=clock, actor=employer,
                                               draft=OPENING, minimum_wage={2026: 10_320})
    clock.set(clock.now().replace(month=9, day=10))
    async with runtime.session() as s:
        assert await openings.close_expired_openings(session=s, clock=clock) == []
    clock.advance(timedelta(days=1))
    async with runtime.session() as s:
        closed = await openings.close_expired_openings(session=s, clock=clock)
    assert [o.id for o in closed] == [due.id]
    async with runtime.session() as s:
        assert await openings.close_expired_openings(session=s, clock=clock) == []
        statuses = {o.id: o.status for o in await openings_db.list_openings(session=s)}
    assert statuses == {kept.id: "open", due.id: "closed"}


async def test_flags_and_permissions(runtime: Runtime, clock: FrozenClock) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    saeil = await member(runtime, 2, "saeil-cheonan")
    coordinator = await member(runtime, 3, "chungnam-province", "coordinator")
    async with runtime.session() as s:
        flagged, _ = await openings.create_opening(
            session=s, clock=clock, actor=coordinator,
            draft=OPENING | {"weekly_hours": 35.0, "wage_amount": 11_000},
            minimum_wage={2026: 10_320})
    assert flagged.rule_flags == ["weekly_hours", "wage"]
    async with runtime.session() as s:  # a 저장 repeated with the draft's token
        first, created = await openings.create_opening(
            session=s, clock=clock, actor=employer, draft=OPENING, minimum_wage={},
            token="draft-1")
        again, repeated = await openings.create_opening(
            session=s, clock=clock, actor=employer, draft=OPENING, minimum_wage={},
            token="draft-1")
    assert created and not repeated and again.id == first.id
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await openings.create_opening(session=s, clock=clock, actor=saeil, draft=OPENING,
                                          minimum_wage={})
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await seekers.create_seeker(session=s, clock=clock, actor=employer,
                                        cipher=runtime.cipher,
                                        draft=seeker_draft(runtime, "010-5555-6666"),
                                        consent_at=clock.now())
    with pytest.raises(NotAllowed):  # the employer may not edit the province's opening
        async with runtime.session() as s:
            await openings.update_opening_field(session=s, clock=clock, actor=employer,
                                                opening_id=flagged.id or 0, key="positions",
                                                value=3, minimum_wage={})
    async with runtime.session() as s:
        fixed = await openings.update_opening_field(
            session=s, clock=clock, actor=coordinator, opening_id=flagged.id or 0,
            key="weekly_hours", value=25.0, minimum_wage={2026: 10_320})
    assert fixed.rule_flags == ["wage"]


async def test_demo_season_is_idempotent(runtime: Runtime) -> None:
    clock = FrozenClock(datetime(2026, 11, 25, 9, 0))
    counts = []
    for _ in range(2):
        async with runtime.session() as s:
            await seed_demo(session=s, clock=clock, cipher=runtime.cipher)
        async with runtime.session() as s:
            all_openings = await openings_db.list_openings(session=s)
            all_seekers = await seekers_db.list_seekers(session=s)
            hires = await hires_db.list_hires(session=s)
        counts.append((len(all_openings), len(all_seekers), len(hires)))
    assert counts[0] == counts[1]  # the second run adds nothing
    # The records step loads 40 openings and 60 seekers; the meeting days may top up a few.
    assert 40 <= len(all_openings) <= 45 and 60 <= len(all_seekers) <= 65
    assert 10 <= len([h for h in hires if h.meeting_id is None]) <= 15
    assert len({o.region_code for o in all_openings}) == 15
    assert all(s.consent_collect_at is not None for s in all_seekers)
    assert {s.status for s in all_seekers} >= {"seeking", "matched", "hired"}
    months = {o.created_at.month for o in all_openings if o.created_at}
    assert months <= {7, 8, 9, 10, 11} and len(months) >= 3
    assert sum(o.positions_filled for o in all_openings) == len(hires)
