"""The outbox under kill -9 (issue 13): the real `itda run` process is killed with SIGKILL at 10
random moments of a fan-out of 320 reminders against the fake Bot API, and started again each
time. Counted from the server's own log (every sendMessage that reached it): no reminder lost,
none doubled, and the rows a kill leaves ambiguous (each listed as ambiguous, none repeated) no
more than the sends the sender may have in flight (`MAX_IN_FLIGHT`): how many were in flight at
the moment of a kill depends on the machine's speed (one on an idle machine, two seen with five
suites on two cores), so the test asserts the bound the design guarantees, not the usual count.

The process runs as `python -m tests.test_outbox_crash run`: `itda run` itself (bot.cli.main)
with its clock pinned at ITDA_NOW and moving on in real time from there (the season's
2026-08-21 10:00, when the D-14 discovery nudges fall due), since the plan depends on the date.
To keep eleven starts within the test's time on a busy machine (importing the bot takes up to
15 s there), all eleven processes are started at the beginning and import the bot's modules
meanwhile; each begins `itda run` when the test writes the moment ITDA_NOW to its stdin, right
after the kill of the one before.

`ITDA_CRASH_SEED=<n>` replays another schedule of kills.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sqlite3
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.wiring import create_runtime, prepare_database
from core.clock import FrozenClock, local_zone
from core.config import load_settings
from models import council as council_db
from models.tables import Member
from scheduler.reminders import MAX_IN_FLIGHT
from services import reminder_outbox
from testing.fakeapi import FakeBotAPI
from tests.harness import TOKEN, clear_targets, put_target
from tests.test_reminders_e2e import kst
from tests.test_run_command import env_for

SEED = int(os.environ.get("ITDA_CRASH_SEED", "20260821"))
KILLS = 10
REMINDERS = 320
FIRST_UID = 50_000
DUE = "2026-08-21T10:00:00+09:00"


class PinnedClock:
    """The wall clock shifted so that the process starts at ITDA_NOW (then moves on in real
    time); the plain system clock when ITDA_NOW is unset."""

    def __init__(self, tz: ZoneInfo | None = None) -> None:
        self.tz = tz or local_zone()
        pinned = os.environ.get("ITDA_NOW")
        start = datetime.fromisoformat(pinned) if pinned else datetime.now(self.tz)
        self._offset = start.astimezone(self.tz) - datetime.now(self.tz)

    def now(self) -> datetime:
        return datetime.now(self.tz) + self._offset

    def today(self) -> date:
        return self.now().date()


async def seed(tmp_path: Path) -> list[int]:
    """REMINDERS staff of one employer association below its openings target, and a reminder
    pass the day before (so the 10:00 nudges are due, not skipped as before the first start)."""
    settings = load_settings(_env_file=None, BOT_TOKEN=TOKEN,
                             ITDA_DATA_DIR=str(tmp_path / "data"))
    runtime = create_runtime(settings, FrozenClock(kst("2026-08-20T09:00")))
    await prepare_database(runtime)
    uids = list(range(FIRST_UID, FIRST_UID + REMINDERS))
    try:
        async with runtime.session() as s:
            chamber = await council_db.get_agency_by_code(session=s,
                                                          code="chungnam-north-chamber")
            assert chamber is not None and chamber.id is not None
            await clear_targets(s)
            await put_target(s, agency_id=chamber.id, year=2026, metric="openings", value=20)
            for uid in uids:
                s.add(Member(telegram_id=uid, display_name=f"직원{uid}", agency_id=chamber.id,
                             role="staff", joined_at=kst("2026-08-01T09:00")))
            await reminder_outbox.note_pass(session=s, now=kst("2026-08-20T09:00"))
    finally:
        await runtime.close()
    return uids


def outbox(db_file: Path) -> list[tuple[int, str, str]]:
    """(chat id, state, claimed_by) of every outbox row."""
    db = sqlite3.connect(db_file, timeout=30)
    try:
        found = db.execute("SELECT chat_id, state, coalesce(claimed_by, '') FROM reminderlog")
        return [(int(c), str(s), str(w)) for c, s, w in found.fetchall()]
    except sqlite3.OperationalError:  # not there yet, or locked by the bot a moment too long
        return []
    finally:
        db.close()


async def test_kill_9_at_ten_random_moments_of_a_fan_out_loses_and_doubles_nothing(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    started = time.monotonic()
    db_file = tmp_path / "data" / "itda.db"
    output: list[str] = []

    def delivered() -> int:  # sendMessage requests that reached the server (on arrival)
        return api.stats["sendMessage"]

    async def spawn() -> asyncio.subprocess.Process:
        env = env_for(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url,
                      REMINDER_INTERVAL="1")
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.test_outbox_crash", "run", cwd=tmp_path, env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )

    spares = [await spawn() for _ in range(KILLS + 1)]  # they import while the data is made
    uids = await seed(tmp_path)
    for uid in uids:
        api.add_user(uid, f"직원{uid}")

    async def start() -> asyncio.subprocess.Process:
        """`itda run` in the next warmed-up process."""
        proc = spares.pop(0)
        # The pinned clock goes on from where the last process left it (never back).
        now = kst(DUE) + timedelta(seconds=time.monotonic() - started)
        assert proc.stdin is not None
        proc.stdin.write(f"{now.isoformat()}\n".encode())
        await proc.stdin.drain()
        return proc

    # Ten moments spread over the fan-out: after the n-th request reached the server, plus up
    # to a pacing interval (the kill lands anywhere in the claim / request / record cycle).
    moments = sorted(rng.sample(range(3, REMINDERS - 10), KILLS))
    workers_killed = 0
    restarts: list[float] = []  # seconds from a kill to the next process's first send
    kills_at: list[float] = []
    seeded = time.monotonic() - started
    proc = await start()
    try:
        for moment in moments:
            async with asyncio.timeout(240):  # only turns a hang into a failure
                while delivered() < moment:  # noqa: ASYNC110 - counters of the fake API
                    assert proc.returncode is None, "itda run exited on its own"
                    await asyncio.sleep(0.002)
            await asyncio.sleep(rng.uniform(0, 0.04))
            proc.send_signal(signal.SIGKILL)
            kills_at.append(time.monotonic())
            assert await proc.wait() == -signal.SIGKILL
            assert proc.stdout is not None
            output.append((await proc.stdout.read()).decode(errors="replace"))
            workers_killed += 1
            restarted = time.monotonic()
            proc = await start()
            async with asyncio.timeout(240):
                while delivered() <= moment:  # noqa: ASYNC110 - counters of the fake API
                    await asyncio.sleep(0.01)
            restarts.append(time.monotonic() - restarted)
        async with asyncio.timeout(240):
            while True:
                rows = outbox(db_file)
                if len(rows) == REMINDERS and not [r for r in rows if r[1] in
                                                  ("pending", "claimed", "sending")]:
                    break
                assert proc.returncode is None, "itda run exited on its own"
                await asyncio.sleep(0.2)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
        output.append(out.decode(errors="replace"))
        for spare in spares:  # not needed (a failure): each ends when its stdin closes
            await asyncio.wait_for(spare.communicate(b""), timeout=120)
    for n, text in enumerate(output):  # each process's log, for a failure's post-mortem
        (tmp_path / f"itda-run-{n}.log").write_text(text)
    events = sorted([(at, "kill") for at in kills_at] + [
        (c.at, f"{c.method} {c.chat_id}") for c in api.calls if c.method != "getUpdates"])
    (tmp_path / "timeline.txt").write_text(
        "".join(f"{at - started:8.3f} {what}\n" for at, what in events))
    assert proc.returncode == 0, output[-1][-3000:]

    # --- counted from the server's own log ---------------------------------------------------
    reached = Counter(c.chat_id for c in api.calls
                      if c.method == "sendMessage" and c.response and c.response.get("ok"))
    rows = outbox(db_file)
    assert len(rows) == REMINDERS and {chat for chat, _, _ in rows} == set(uids)
    states = Counter(state for _, state, _ in rows)
    ambiguous = [(chat, worker) for chat, state, worker in rows if state == "ambiguous"]
    doubled = [chat for chat, n in reached.items() if n > 1]
    lost = [chat for chat, state, _ in rows if state != "ambiguous" and reached[chat] == 0]
    per_kill = Counter(worker for _, worker in ambiguous)
    ambiguous_reached = sum(1 for chat, _ in ambiguous if reached[chat])
    released = sum(int(n) for n in re.findall(r"released (\d+)", "".join(output)))
    summary = (
        f"outbox crash test (seed {SEED}): {REMINDERS} reminders, {workers_killed} kills "
        f"(SIGKILL) in {time.monotonic() - started:.0f} s: lost {len(lost)}, doubled "
        f"{len(doubled)}, ambiguous {len(ambiguous)} (of which {ambiguous_reached} reached "
        f"the chat), most ambiguous in one kill {max(per_kill.values(), default=0)}, claimed "
        f"rows sent after a restart {released}; states {dict(states)}; seeding {seeded:.0f} s, "
        f"restarts (s) {[round(r, 1) for r in restarts]}"
    )
    print(summary)
    assert workers_killed == KILLS
    assert not lost, summary
    assert not doubled, summary
    assert set(states) <= {"sent", "ambiguous"}, summary
    assert all(n <= MAX_IN_FLIGHT for n in per_kill.values()), summary
    assert all(reached[chat] == 1 for chat, state, _ in rows if state == "sent"), summary


if __name__ == "__main__" and sys.argv[1:2] == ["run"]:
    # `itda run`, its clock pinned at ITDA_NOW (see the module docstring).
    import adapters.logs  # noqa: F401 - imported ahead (see the module docstring)
    import bot.app
    import bot.instance
    import bot.wiring
    from bot import cli

    moment = sys.stdin.readline().strip()  # the test starts this process ahead of its turn
    if not moment:
        sys.exit(0)
    os.environ["ITDA_NOW"] = moment
    setattr(bot.wiring, "SystemClock", PinnedClock)  # noqa: B010 - the one seam of the clock
    sys.exit(cli.main())
