"""Two bot processes on one PostgreSQL database: every reminder is claimed and sent once.

Runs against the real PostgreSQL server on 127.0.0.1:5432 (user postgres, trust auth) in a
database of its own, dropped afterwards; skipped only when the server is unreachable.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import select
from telegram import Bot

from adapters.runtime import Runtime
from bot.wiring import create_runtime, prepare_database
from core.clock import FrozenClock
from models import council as council_db
from models import reminders as outbox_db
from models.tables import Member, ReminderLog
from scheduler.reminders import send_due
from testing.fakeapi import FakeBotAPI
from tests.harness import TOKEN, clear_targets, make_settings, put_target

PG = "postgresql://postgres@127.0.0.1:5432"
ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.fromisoformat("2026-08-21T10:00:00+09:00")

WORKER = ["-m", "tests.reminder_worker"]


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    asyncpg = pytest.importorskip("asyncpg")
    try:
        admin = await asyncpg.connect(f"{PG}/postgres", timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL is not reachable: {type(exc).__name__}")
    name = f"itda_test_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


PROCESS_START = 240  # seconds a worker process may take to start and send


async def seed(runtime: Runtime, staff: int) -> list[int]:
    async with runtime.session() as s:
        chamber = await council_db.get_agency_by_code(session=s, code="chungnam-north-chamber")
        saeil = await council_db.get_agency_by_code(session=s, code="saeil-cheonan")
        assert chamber is not None and saeil is not None
        await clear_targets(s)
        await put_target(s, agency_id=chamber.id or 0, year=2026, metric="openings", value=10)
        await put_target(s, agency_id=saeil.id or 0, year=2026, metric="seekers", value=10)
        chats = []
        for i in range(staff):
            agency = chamber if i % 2 else saeil
            s.add(Member(telegram_id=5000 + i, display_name=f"staff{i}", agency_id=agency.id))
            chats.append(5000 + i)
    return chats


async def test_two_processes_send_each_reminder_once(
    pg_url: str, api: FakeBotAPI, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, DATABASE_URL=pg_url, TELEGRAM_API_URL=api.url)
    runtime = create_runtime(settings, FrozenClock(NOW))
    await prepare_database(runtime)
    chats = await seed(runtime, staff=50)
    for chat in chats:
        api.add_user(chat, f"user{chat}")
    api.api_delay = 0.02  # the fan-out takes long enough for both processes to overlap
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ITDA_"))}
    env.update({
        "BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api.url, "DATABASE_URL": pg_url,
        "ITDA_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT),
    })
    # One worker is a separate OS process (`python -m tests.reminder_worker`), the other this
    # test process with its own engine; it joins as soon as the first has started its fan-out.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *WORKER, NOW.isoformat(), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    # A new interpreter importing the bot takes seconds when idle and, on a busy 2-core machine,
    # more than a minute (a suite run under load waited 60 s in vain): wait as long as it needs.
    try:
        await api.wait_for(lambda c: c.method == "sendMessage", timeout=PROCESS_START)
    except TimeoutError:
        proc.kill()
        _, err = await proc.communicate()
        raise AssertionError(f"the worker sent nothing within {PROCESS_START} s: "
                             + err.decode()[-2000:]) from None
    async with Bot(TOKEN, base_url=settings.bot_base_url) as bot:
        here = await send_due(bot, runtime, now=NOW)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=PROCESS_START)
    assert proc.returncode == 0, err.decode()[-2000:]
    sent_by_process = [int(out.decode().split()[-1]), here.sent]
    assert sum(sent_by_process) == 50
    delivered = Counter(c.chat_id for c in api.calls if c.method == "sendMessage")
    assert delivered == Counter({chat: 1 for chat in chats})
    async with runtime.session() as s:
        rows = (await s.exec(select(ReminderLog))).all()
    assert len(rows) == 50 and {r.state for r in rows} == {"sent"}
    assert len({r.claimed_by for r in rows}) == 2, "both processes took part"
    assert all(n > 0 for n in sent_by_process)
    await runtime.close()


async def test_concurrent_claims_of_one_row_have_one_winner(
    pg_url: str, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, DATABASE_URL=pg_url)
    runtimes = [create_runtime(settings, FrozenClock(NOW)) for _ in range(2)]
    await prepare_database(runtimes[0])
    async with runtimes[0].session() as s:
        s.add(ReminderLog(key="k|1|x", kind="report_nudge", chat_id=1, occurrence="x",
                          due_at=NOW))

    async def grab(runtime: Runtime, worker: str) -> bool:
        async with runtime.session() as s:
            row = await outbox_db.claim_next(session=s, now=NOW, worker=worker)
            await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
            return row is not None

    wins = await asyncio.gather(*(grab(rt, f"w{i}") for i, rt in enumerate(runtimes * 4)))
    assert sum(wins) == 1
    for rt in runtimes:
        await rt.close()
