"""A reminder pass right after many members joined: what it costs the event loop.

Each pass (every REMINDER_INTERVAL, 30 s) plans every reminder due in the last week into the
outbox. Members who joined since the last pass bring their past reminders with them (the
discovery nudges of the week, the month-end report), which the pass writes as skipped. On SQLite
the statements run in the event loop (`models.inline_sqlite`), so the pass's time is time in
which no update is answered: in the realistic phase all ten slowest steps once sat behind one
such pass (418 ms for 980 rows; issue 18).

`measure_plan` makes a database, runs a first pass (the bot is running), then `rounds` times
adds `members` members and times the pass that plans their past (`plan_ms`, the median), and
times passes with nothing new (`plan_noop_ms`, the median of five). The clock is fixed at
Thursday 3 September 2026, 10:00 in Seoul: the week before holds the discovery nudges and the
August report's reminders, the same rows on any day the benchmark runs.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

MOMENT = datetime(2026, 9, 3, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))
NOOP_PASSES = 5


async def measure_plan(workdir: Path, *, members: int, rounds: int = 3) -> dict[str, Any]:
    from bench.run import itda_settings
    from bot.wiring import create_runtime, prepare_database
    from core.clock import FrozenClock
    from models import council as council_db
    from models.tables import Member
    from scheduler.reminders import SendReport, prepare_pass

    clock = FrozenClock(MOMENT - timedelta(minutes=1))
    runtime = create_runtime(itda_settings(workdir / "plan"), clock)
    took: list[float] = []
    planned: list[int] = []
    idle: list[float] = []
    try:
        await prepare_database(runtime)
        await prepare_pass(runtime, now=clock.now(), report=SendReport())  # the bot runs
        async with runtime.session() as session:
            agencies = await council_db.list_agencies(session=session)
        now = MOMENT
        for round_ in range(rounds):
            async with runtime.session() as session:
                for i in range(members):
                    session.add(Member(
                        telegram_id=2_000_000 + round_ * members + i, display_name=f"m{i}",
                        agency_id=agencies[i % len(agencies)].id, joined_at=now,
                    ))
            now += timedelta(seconds=30)
            report = SendReport()
            started = time.perf_counter()
            await prepare_pass(runtime, now=now, report=report)
            took.append((time.perf_counter() - started) * 1000)
            planned.append(report.skipped + report.planned + report.expired)
        for _ in range(NOOP_PASSES):
            now += timedelta(seconds=30)
            started = time.perf_counter()
            await prepare_pass(runtime, now=now, report=SendReport())
            idle.append((time.perf_counter() - started) * 1000)
    finally:
        await runtime.close()
    return {
        "plan_members": members,
        "plan_rows": int(statistics.median(planned)),
        "plan_ms": statistics.median(took),
        "plan_noop_ms": statistics.median(idle),
    }
