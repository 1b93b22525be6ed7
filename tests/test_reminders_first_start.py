"""A fresh install does not blame a stop that never happened; a real stop is told once, with
how long the bot was stopped and what was missed.

What fell due before the database's first reminder pass is skipped silently (shown as skipped
in /reminders, never as missed); so is what fell due, while the bot ran, before its data existed.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

from sqlmodel import select

from demo.seed import DEMO_USERS, seed_demo
from models.tables import ReminderLog
from testing.fakeapi import FakeBotAPI
from tests.harness import TOKEN, BotHarness, clear_targets
from tests.test_reminders_e2e import CHAMBER_A, COORD, SAEIL, pass_at, rows, setup_council
from tests.test_run_command import ITDA, env_for

DEMO_COORDINATORS = [u.telegram_id for u in DEMO_USERS if u.role in ("admin", "coordinator")]


def states(found: list[ReminderLog]) -> Counter[str]:
    return Counter(r.state for r in found)


async def test_first_start_of_a_demo_season_skips_the_past_silently(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    """A demo season loaded into a new database on 9/8 10:30 (after the August report
    escalation, the discovery nudges and their summary): the first pass sends nothing, tells
    nobody of missed reminders and lists the past as skipped."""
    assert harness.runtime is not None
    harness.clock.set(harness.clock.now().replace(month=9, day=8, hour=10, minute=30))
    for user in DEMO_USERS:
        api.add_user(user.telegram_id, user.name)
    async with harness.runtime.session() as s:
        await seed_demo(session=s, clock=harness.clock, cipher=harness.runtime.cipher)
    report = await pass_at(harness, "2026-09-08T10:30")
    assert report.skipped > 5, "the season's past reminders are in the outbox as skipped"
    assert report.expired == 0 and report.sent == 0
    assert set(states(await rows(harness))) == {"skipped"}
    for chat in DEMO_COORDINATORS:
        assert api.sent_to(chat) == [], "no notice of reminders missed while stopped"

    report = await pass_at(harness, "2026-09-08T10:31")  # the next pass: nothing new
    assert report.skipped == 0 and report.expired == 0 and report.sent == 0
    view = await harness.send(DEMO_USERS[1].telegram_id, "/reminders")
    assert "만료 0" in view["text"] and "건너뜀" in view["text"]
    assert f"건너뜀 {states(await rows(harness))['skipped']}" in view["text"]
    assert "놓친 것이 아니에요" in view["text"], "what skipped means is said"


async def test_a_real_stop_is_told_once_with_its_length_and_what_was_missed(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    """The bot ran on Thursday 8/20 and was stopped until Monday 8/24 13:15: the 8/21 D-14
    discovery nudges (two chamber staff, one 새일센터 staff) were missed."""
    await setup_council(harness)
    report = await pass_at(harness, "2026-08-20T09:00")  # the bot runs; nothing is due
    assert report.sent == 0 and report.skipped == 0
    report = await pass_at(harness, "2026-08-24T13:15")
    assert report.expired == 3 and report.sent == 1  # the notice to the coordinator
    [notice] = api.sent_to(COORD)
    text = notice["text"]
    assert "4일 4시간 15분" in text, text
    assert "8월 20일(목) 09:00" in text and "8월 24일(월) 13:15" in text
    assert "3건" in text and "만료" in text
    assert "충남북부상의 (2명)" in text and "천안새일센터 (1명)" in text
    assert text.count("발굴 마감 알림") == 2, "one line per agency and reminder"
    assert api.sent_to(CHAMBER_A) == [] and api.sent_to(SAEIL) == []

    report = await pass_at(harness, "2026-08-24T13:16")
    assert report.expired == 0 and report.sent == 0 and len(api.sent_to(COORD)) == 1
    view = await harness.send(COORD, "/reminders")
    assert "만료 3" in view["text"]


async def test_data_that_came_after_its_time_while_the_bot_ran_is_skipped(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    """The bot ran all along; the discovery targets were entered on 8/24, after the 8/21 nudge
    would have gone out: nobody missed it, so it is skipped and no notice is sent."""
    assert harness.runtime is not None
    await setup_council(harness)
    async with harness.runtime.session() as s:
        await clear_targets(s)
    await pass_at(harness, "2026-08-20T09:00")
    await pass_at(harness, "2026-08-24T11:59")  # (a stop, but nothing was due without targets)
    assert api.sent_to(COORD) == []
    await setup_council_targets(harness)
    report = await pass_at(harness, "2026-08-24T12:00")
    assert report.skipped == 3 and report.expired == 0 and report.sent == 0
    assert api.sent_to(COORD) == []


async def setup_council_targets(h: BotHarness) -> None:
    from tests.harness import put_target
    from tests.test_reminders_e2e import agency_id

    assert h.runtime is not None
    chamber = await agency_id(h, "chungnam-north-chamber")
    saeil = await agency_id(h, "saeil-cheonan")
    async with h.runtime.session() as s:
        await put_target(s, agency_id=chamber, year=2026, metric="openings", value=20)
        await put_target(s, agency_id=saeil, year=2026, metric="seekers", value=30)


async def test_itda_seed_demo_then_the_first_itda_run_blames_no_stop(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    """The real commands on a fresh install, the clock pinned (ITDA_NOW) in the season: the
    first pass runs within seconds of the start and no admin or coordinator hears of missed
    reminders."""
    env = env_for(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url,
                  ITDA_NOW="2026-09-08T10:30:00+09:00", REMINDER_INTERVAL="1")
    seed = await asyncio.create_subprocess_exec(
        *ITDA, "seed", "--demo", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(seed.communicate(), timeout=120)
    assert seed.returncode == 0, err.decode()
    for user in DEMO_USERS:
        api.add_user(user.telegram_id, user.name)
    proc = await asyncio.create_subprocess_exec(
        *ITDA, "run", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    db_file = tmp_path / "data" / "itda.db"
    try:
        deadline = time.monotonic() + 180
        while outbox_states(db_file).get("skipped", 0) == 0:  # the first pass is done
            assert proc.returncode is None and time.monotonic() < deadline
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.5)  # two more passes
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, out.decode()[-2000:]
    assert set(outbox_states(db_file)) == {"skipped"}
    sent = [c for c in api.calls if c.method == "sendMessage"]
    assert not [c for c in sent if "만료" in str(c.params)], "no notice of a stop"
    assert not [c for c in sent if c.chat_id in DEMO_COORDINATORS]


def outbox_states(db_file: Path) -> dict[str, int]:
    if not db_file.exists():
        return {}
    db = sqlite3.connect(db_file)
    try:
        found = db.execute("SELECT state, count(*) FROM reminderlog GROUP BY state").fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return {}
    finally:
        db.close()
    return {state: int(n) for state, n in found}


async def test_rows_are_never_both_skipped_and_sent(harness: BotHarness) -> None:
    """The states stay exclusive per key (a skipped row is never claimed)."""
    await setup_council(harness)
    await pass_at(harness, "2026-08-21T10:30")  # the 10:00 nudges: before the first pass
    await pass_at(harness, "2026-08-21T10:31")
    assert harness.runtime is not None
    async with harness.runtime.session() as s:
        found = (await s.exec(select(ReminderLog))).all()
    assert {r.state for r in found} == {"skipped"} and len(found) == 3
