"""`itda reminders plan`: the operator's view of the season before it starts."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from bot.wiring import create_runtime, prepare_database
from models import council as council_db
from models.tables import Member, ProgrammeStep
from tests.harness import make_settings, put_target


def seed(tmp_path: Path, *, cutoff_day: int | None = None) -> None:
    async def go() -> None:
        runtime = create_runtime(make_settings(tmp_path, DATABASE_URL=os.environ["DATABASE_URL"]))
        await prepare_database(runtime)
        async with runtime.session() as s:
            chamber = await council_db.get_agency_by_code(session=s, code="chungnam-north-chamber")
            assert chamber is not None
            await put_target(s, agency_id=chamber.id or 0, year=2026, metric="openings", value=5)
            s.add(Member(telegram_id=11, display_name="박정호", agency_id=chamber.id))
            if cutoff_day is not None:
                from datetime import date

                step = (
                    await s.exec(
                        select(ProgrammeStep).where(
                            ProgrammeStep.year == 2026, ProgrammeStep.number == 3
                        )
                    )
                ).first() or ProgrammeStep(year=2026, number=3, due_on=date(2026, 9, 5))
                step.due_on = date(2026, 9, cutoff_day)
                s.add(step)
        await runtime.close()

    asyncio.run(go())


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ITDA_DATA_DIR", str(tmp_path / "data"))
    # The same database the seeding uses (SQLite, or PostgreSQL when the suite runs there).
    monkeypatch.setenv("DATABASE_URL", make_settings(tmp_path).effective_database_url)
    return tmp_path


def test_plan_prints_one_line_per_reminder(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(env)
    assert main(["reminders", "plan", "--from", "2026-08-01", "--to", "2026-09-30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # The council file gives every association and centre a target; follow the one with staff.
    discovery = [line for line in lines if " discovery_nudge 충남북부상의 " in line]
    assert [line.split()[0] for line in discovery] == [
        "2026-08-21T10:00:00+09:00", "2026-08-28T10:00:00+09:00",
        "2026-09-02T10:00:00+09:00", "2026-09-04T10:00:00+09:00"]
    assert all(line.split()[2] == "충남북부상의" for line in discovery)
    assert "1 chats" in discovery[0]
    assert any(line.startswith("2026-09-07T10:00:00+09:00 discovery_summary group")
               for line in lines)
    # Nobody has reported: month-end nudges for every reporting agency, escalations in September.
    assert any(line.startswith("2026-08-31T10:00:00+09:00 report_nudge 천안새일센터")
               for line in lines)
    assert any(line.startswith("2026-09-01T10:00:00+09:00 report_escalation coordinators")
               for line in lines)
    assert all(line[:4] == "2026" for line in lines)
    assert lines == sorted(lines, key=lambda line: line.split()[0])


def test_editing_the_calendar_changes_the_printed_plan(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(env, cutoff_day=11)
    assert main(["reminders", "plan", "--from", "2026-08-01", "--to", "2026-09-30"]) == 0
    discovery = [line.split()[0][:10] for line in capsys.readouterr().out.splitlines()
                 if " discovery_nudge 충남북부상의 " in line]
    assert discovery == ["2026-08-28", "2026-09-04", "2026-09-08", "2026-09-10"]


def test_bad_dates_are_refused(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reminders", "plan", "--from", "2026-09-30", "--to", "2026-08-01"]) == 2
    with pytest.raises(SystemExit):
        main(["reminders", "plan", "--from", "9/5", "--to", "2026-08-01"])
    assert "not a date" in capsys.readouterr().err
