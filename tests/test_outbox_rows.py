"""Writing into the reminders outbox: one row per key, whoever wrote it first; and a pass that
plans the past reminders of many new members does it in a few statements, not one per row
(issue 18: a savepoint and a flush a row held the event loop for 418 ms at 980 rows)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func
from sqlmodel import col, select

from adapters.runtime import Runtime
from core.clock import FrozenClock
from models import council as council_db
from models import reminders as outbox_db
from models.tables import Member, ReminderLog
from scheduler.reminders import SendReport, prepare_pass
from tests.test_reminders_e2e import kst


def entry(key: str, *, state: str = outbox_db.PENDING, chat_id: int = 7) -> outbox_db.OutboxEntry:
    return outbox_db.OutboxEntry(
        key=key, kind="report_nudge", chat_id=chat_id, agency_id=None, occurrence=key,
        due_at=kst("2026-09-03T10:00"), state=state, payload={"month": "2026-09"},
    )


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements the runtime's engine runs meanwhile."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", note)


async def test_add_rows_keeps_the_first_of_a_key_and_returns_only_what_it_inserted(
    runtime: Runtime,
) -> None:
    async with runtime.session() as s:
        [first] = await outbox_db.add_rows(session=s, rows=[entry("a", chat_id=1)])
    assert first.id is not None
    rows = [entry("a", chat_id=2), entry("b", chat_id=3), entry("b", chat_id=4), entry("c")]
    async with runtime.session() as s:
        added = await outbox_db.add_rows(session=s, rows=rows)
    assert [(r.key, r.chat_id) for r in added] == [("b", 3), ("c", 7)]
    assert all(r.id is not None for r in added) and len({r.id for r in added}) == 2
    async with runtime.session() as s:
        found = {r.key: r for r in (await s.exec(select(ReminderLog))).all()}
    assert {k: r.chat_id for k, r in found.items()} == {"a": 1, "b": 3, "c": 7}
    assert found["b"].id == added[0].id and found["b"].state == outbox_db.PENDING
    assert found["b"].payload == {"month": "2026-09"} and found["b"].attempts == 0
    assert found["b"].due_at == kst("2026-09-03T10:00")
    async with runtime.session() as s:
        assert await outbox_db.add_rows(session=s, rows=[]) == []


async def test_many_rows_go_in_by_the_chunk_and_are_all_counted(runtime: Runtime) -> None:
    n = outbox_db.ADD_CHUNK * 2 + 17
    with statements(runtime) as seen:
        async with runtime.session() as s:
            added = await outbox_db.add_rows(session=s, rows=[entry(f"k{i}") for i in range(n)])
    assert len(added) == n and len({r.id for r in added}) == n
    inserts = [q for q in seen if q.lstrip().upper().startswith("INSERT")]
    assert 1 <= len(inserts) <= 3 * 2, "a few statements for 417 rows, not one a row"
    async with runtime.session() as s:
        assert (await s.exec(select(func.count()).select_from(ReminderLog))).one() == n


async def plan_for_new_members(runtime: Runtime, clock: FrozenClock, n: int) -> tuple[int, int]:
    """The bot runs (a pass at 09:59), `n` members join, the next pass plans their past
    reminders as skipped: (rows planned, statements that pass ran)."""
    now = kst("2026-09-03T10:00")
    clock.set(now - timedelta(minutes=1))
    await prepare_pass(runtime, now=clock.now(), report=SendReport())
    async with runtime.session() as s:
        agencies = await council_db.list_agencies(session=s)
        base = (await s.exec(select(func.count()).select_from(Member))).one()
        for i in range(n):
            s.add(Member(telegram_id=50_000 + base + i, display_name=f"m{i}",
                         agency_id=agencies[i % len(agencies)].id, joined_at=now))
    clock.set(now)
    report = SendReport()
    with statements(runtime) as seen:
        await prepare_pass(runtime, now=now, report=report)
    assert report.planned == 0 and report.expired == 0, "all in the past, before their data"
    return report.skipped, len(seen)


async def test_a_pass_plans_hundreds_of_new_rows_in_few_statements(
    runtime: Runtime, clock: FrozenClock
) -> None:
    planned, ran = await plan_for_new_members(runtime, clock, 300)
    assert planned >= 300, "each new member has past reminders to skip"
    assert ran <= 40, f"{ran} statements for {planned} rows"
    async with runtime.session() as s:
        skipped = (await s.exec(
            select(func.count()).select_from(ReminderLog)
            .where(col(ReminderLog.state) == outbox_db.SKIPPED)
        )).one()
    assert skipped >= planned
