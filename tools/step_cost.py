"""What each kind of benchmark step costs the bot, one user after the other (no queueing):
SQL statements, transactions, CPU and wall time per step, and with `--sql` the statements
themselves (their first words, never their parameters).

    uv run python -m tools.step_cost [--users 12] [--sql]
    ITDA_TEST_DATABASE=postgres uv run python -m tools.step_cost    # on PostgreSQL (a database
                                                                    # it creates and drops)

The bench's scenarios (bench/scenarios.py) are played against the real Application in this
process, on the fake Bot API, through the test harness. CPU and wall time include the harness,
the fake API and the waits for the bot to settle: compare kinds with each other, not with the
benchmark's latencies (docs/PERFORMANCE.md, "Round three, second idle run").
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the harness is the tests' own

from harness import (  # noqa: E402
    SEOUL_START,
    TOKEN,
    BotHarness,
    drop_test_databases,
    make_settings,
)
from sqlalchemy import event  # noqa: E402

from bench import load, scenarios  # noqa: E402
from bench.run import prepare_itda_db, sim_users  # noqa: E402
from core.clock import FrozenClock  # noqa: E402
from testing.fakeapi import FakeBotAPI  # noqa: E402


async def measure(users: int, show_sql: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="itda-step-cost-"))
    api = FakeBotAPI(TOKEN)
    await api.start()
    harness = BotHarness(
        api, make_settings(folder, TELEGRAM_API_URL=api.url),
        FrozenClock(SEOUL_START),
    )
    await harness.start()
    runtime = harness.runtime
    assert runtime is not None
    label = [""]
    counts = Counter[str]()
    statements = Counter[str]()

    @event.listens_for(runtime.engine.sync_engine, "before_cursor_execute")
    def on_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counts["statements"] += 1
        statements[f"{label[0]}: {' '.join(statement.split()[:4])[:70]}"] += 1

    @event.listens_for(runtime.engine.sync_engine, "commit")
    def on_commit(conn: Any) -> None:
        counts["transactions"] += 1

    staff = sim_users(5_000_000, users)
    leads = sim_users(5_900_000, 3)
    # the benchmark's own set-up: the leads as coordinators, an invite for each member of staff
    await prepare_itda_db(folder, staff, leads, harness.settings.effective_database_url)
    for user in staff + leads:
        api.add_user(user.user_id, user.name)
    driver = load.Driver(api, reply_timeout=30)
    found: dict[str, list[tuple[int, int, float, float]]] = defaultdict(list)

    async def play(user: Any, factory: scenarios.ScenarioFactory) -> None:
        scenario = factory(user)
        try:
            step = next(scenario)
            while True:
                label[0] = step.label
                await harness.settled()
                before = counts.copy()
                cpu, wall = time.process_time(), time.perf_counter()
                reply = await driver.play_step(user, step)
                await harness.settled()
                found[step.label].append((
                    counts["statements"] - before["statements"],
                    counts["transactions"] - before["transactions"],
                    (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000,
                ))
                step = scenario.send(reply)  # type: ignore[arg-type]  # None: no reply
        except StopIteration:
            pass

    try:
        for _ in range(3):  # join, then a form each (staff); three invites (leads)
            for user in staff:
                await play(user, scenarios.staff_session)
            for lead in leads:
                await play(lead, scenarios.create_invite)
    finally:
        driver.close()
        await harness.stop()
        await api.stop()
        drop_test_databases()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'kind of step':18} {'steps':>5} {'statements':>10} {'transactions':>12} "
          f"{'cpu ms':>7} {'wall ms':>7}   (medians)")
    for kind, rows in sorted(found.items()):
        print(f"{kind:18} {len(rows):5} {statistics.median(r[0] for r in rows):10g} "
              f"{statistics.median(r[1] for r in rows):12g} "
              f"{statistics.median(r[2] for r in rows):7.1f} "
              f"{statistics.median(r[3] for r in rows):7.1f}")
    if show_sql:
        steps = {kind: len(rows) for kind, rows in found.items()}
        for key, count in sorted(statements.items()):
            kind = key.split(":")[0]
            print(f"{count / max(steps.get(kind, 1), 1):5.1f} per step  {key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=12, help="staff who join and fill forms")
    parser.add_argument("--sql", action="store_true", help="list the statements per kind")
    options = parser.parse_args()
    asyncio.run(measure(options.users, options.sql))


if __name__ == "__main__":
    main()
