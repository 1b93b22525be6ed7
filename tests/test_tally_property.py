"""The summary's counters (models/tally.py) always equal a plain recount of the records.

Random sequences of creates, edits (agency, date), soft deletes and restores, meeting status and
kind changes, hard deletes, and edits made from a stale copy (another session changed the record
since it was loaded) run against the real database (SQLite; PostgreSQL with
ITDA_TEST_DATABASE=postgres, where two transactions also edit one record at the same time); after
each sequence the counters, the season figures /status reads and the old counting queries agree.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from adapters.runtime import Runtime
from core.clock import local_zone
from models import stats, tally
from models.tables import Agency, Hire, JobOpening, JobSeeker, Meeting, Tally
from services import targets
from tests.harness import PG_MODE

KINDS = ("opening", "seeker", "hire", "meeting")
# Moments near the season's and months' edges in the council's zone (and one UTC day off).
BASE = datetime(2025, 12, 31, 23, 30)
OFFSETS = st.sampled_from([0, 20, 40, 60 * 24 * 31, 60 * 24 * 59 + 45, 60 * 24 * 365 + 31, -600])
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(KINDS), st.integers(0, 2), OFFSETS),
        st.tuples(st.just("agency"), st.integers(0, 50), st.integers(0, 2)),
        st.tuples(st.just("date"), st.integers(0, 50), OFFSETS),
        st.tuples(st.just("delete"), st.integers(0, 50), st.booleans()),
        st.tuples(st.just("meeting"), st.integers(0, 50),
                  st.sampled_from(["held", "scheduled", "cancelled", "council"])),
        st.tuples(st.just("drop"), st.integers(0, 50)),
        st.tuples(st.just("stale"), st.integers(0, 50), st.integers(0, 2), OFFSETS),
    ),
    min_size=1,
    max_size=25,
)


def moment(offset: int) -> datetime:
    return (BASE + timedelta(minutes=offset)).replace(tzinfo=local_zone())


async def agency_ids(rt: Runtime) -> list[int]:
    async with rt.sessions() as s:
        found = (await s.exec(select(Agency).order_by(col(Agency.id)))).all()
        return [a.id for a in found if a.id is not None][:3]


def build(kind: str, agency: int, at: datetime) -> list[Any]:
    """The record(s) a create adds (a hire brings its own opening and seeker)."""
    if kind == "meeting":
        return [Meeting(kind="meeting_day", host_agency_id=agency, starts_at=at, created_at=at,
                        status="held")]
    opening = JobOpening(agency_id=agency, company_name="c", job_title="t", region_code="asan",
                         created_at=at)
    seeker = JobSeeker(agency_id=agency, name="x", phone="x", phone_key=uuid.uuid4().hex,
                       region_code="asan", created_at=at)
    chosen: dict[str, list[Any]] = {"opening": [opening], "seeker": [seeker]}
    return chosen.get(kind, [opening, seeker])


def edit(record: Any, op: tuple[Any, ...], agencies: list[int]) -> None:
    """Apply an edit op to a loaded record (ignored where it does not fit the record)."""
    name = op[0]
    if name in ("agency", "stale"):
        if isinstance(record, Meeting):
            record.host_agency_id = agencies[op[2]]
        else:
            record.agency_id = agencies[op[2]]
    if name in ("date", "stale"):
        at = moment(op[-1])
        if isinstance(record, Meeting):
            record.starts_at = at
        elif isinstance(record, Hire):
            record.hired_on = at.date()
        else:
            record.created_at = at
    if name == "delete" and not isinstance(record, Meeting):
        record.deleted_at = moment(0) if op[2] else None
    if name == "meeting" and isinstance(record, Meeting):
        if op[2] == "council":
            record.kind = "council" if record.kind == "meeting_day" else "meeting_day"
        else:
            record.status = op[2]


async def run_ops(rt: Runtime, ops: list[tuple[Any, ...]]) -> None:
    agencies = await agency_ids(rt)
    made: list[tuple[type, int]] = []
    for op in ops:
        if op[0] == "create":
            _, kind, agency, offset = op
            at = moment(offset)
            async with rt.sessions() as s:
                records = build(kind, agencies[agency], at)
                s.add_all(records)
                await s.flush()
                if kind == "hire":
                    hire = Hire(seeker_id=records[1].id, opening_id=records[0].id,
                                agency_id=agencies[agency], hired_on=at.date(), created_at=at)
                    s.add(hire)
                    records.append(hire)
                await s.commit()
                made += [(type(r), r.id) for r in records]
            continue
        if not made:
            continue
        cls, record_id = made[op[1] % len(made)]
        if op[0] == "stale":  # B loads, A changes the record, B writes from its old copy
            async with rt.sessions() as b:
                copy = await b.get(cls, record_id)
                await b.commit()
                async with rt.sessions() as a:
                    fresh = await a.get(cls, record_id)
                    if fresh is not None:
                        edit(fresh, ("agency", 0, (op[2] + 1) % 3), agencies)
                        edit(fresh, ("delete", 0, op[2] == 0), agencies)
                        await a.commit()
                if copy is not None and fresh is not None:
                    edit(copy, op, agencies)
                    b.add(copy)
                    await b.commit()
            continue
        async with rt.sessions() as s:
            record = await s.get(cls, record_id)
            if record is None:
                continue
            if op[0] == "drop":
                if cls in (JobOpening, JobSeeker):  # a hire may point at it: soft delete
                    record.deleted_at = moment(5)
                else:
                    await s.delete(record)
                    made.remove((cls, record_id))
            else:
                edit(record, op, agencies)
            await s.commit()


async def assert_counters_match(rt: Runtime) -> None:
    async with rt.sessions() as s:
        rows = (await s.exec(select(Tally))).all()
        counted = await s.run_sync(lambda sync: tally.count_rows(sync.connection()))
        kept = {(r.zone, r.month, r.agency_id, r.metric): r.n for r in rows if r.n}
        assert all(r.n >= 0 for r in rows), "a counter went below zero"
        assert kept == counted
        for year in (2025, 2026, 2027):
            start, end = targets.season_bounds(year)
            read = await stats.figures_by_agency(session=s, start=start, end=end)
            plain = await stats.count_by_agency(session=s, start=start, end=end)
            assert read == plain, year


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=OPS)
async def test_counters_equal_a_recount(runtime: Runtime, ops: list[tuple[Any, ...]]) -> None:
    await run_ops(runtime, ops)
    await assert_counters_match(runtime)


async def test_recount_rebuilds_after_core_writes_and_refuses_another_zone(
    runtime: Runtime,
) -> None:
    """Core inserts bypass the counters until `recount`; rows of another zone send the reader
    back to counting (never a wrong figure)."""
    (agency, *_) = await agency_ids(runtime)
    at = moment(60 * 24 * 40)
    async with runtime.sessions() as s:
        await s.run_sync(lambda sync: sync.connection().execute(
            JobOpening.__table__.insert(),  # type: ignore[attr-defined]
            [{"agency_id": agency, "company_name": "c", "job_title": "t", "region_code": "asan",
              "created_at": at, "status": "open", "rule_flags": []}] * 3,
        ))
        await s.commit()
    start, end = targets.season_bounds(2026)
    async with runtime.sessions() as s:
        assert (await stats.figures_by_agency(session=s, start=start, end=end)) == {}
        assert await tally.recount(session=s) == 1
        await s.commit()
    async with runtime.sessions() as s:
        figures = await stats.figures_by_agency(session=s, start=start, end=end)
        assert figures == {agency: {"openings": 3}}
        s.add(Tally(zone="UTC", month="2026-02", agency_id=agency, metric="openings", n=7))
        await s.commit()
    async with runtime.sessions() as s:
        assert await tally.sums_by_agency(session=s, start=start, end=end) is None
        assert (await stats.figures_by_agency(session=s, start=start, end=end)) == figures
        # Bounds that are not whole months are counted, not summed.
        assert await tally.sums_by_agency(session=s, start=start + timedelta(hours=1),
                                          end=end) is None


async def test_two_transactions_edit_one_record_at_once(runtime: Runtime) -> None:
    """PostgreSQL: while A holds its change uncommitted, B changes the same record from its own
    copy; B waits for A's row lock and counts from what A left (SQLite writers take turns)."""
    if not PG_MODE:
        return
    a_id, b_id, c_id = await agency_ids(runtime)
    at = moment(60 * 24 * 40)
    async with runtime.sessions() as s:
        opening = JobOpening(agency_id=a_id, company_name="c", job_title="t",
                             region_code="asan", created_at=at)
        s.add(opening)
        await s.commit()
    counts: dict[str, int] = defaultdict(int)

    async def change(agency: int, hold: float) -> None:
        async with runtime.sessions() as s:
            record = await s.get(JobOpening, opening.id)
            assert record is not None
            record.agency_id = agency
            await s.flush()
            await asyncio.sleep(hold)
            await s.commit()
            counts["done"] += 1

    await asyncio.gather(change(b_id, 0.3), change(c_id, 0.0))
    assert counts["done"] == 2
    await assert_counters_match(runtime)
    async with runtime.sessions() as s:
        start, end = targets.season_bounds(2026)
        figures = await stats.figures_by_agency(session=s, start=start, end=end)
        assert sum(f.get("openings", 0) for f in figures.values()) == 1
