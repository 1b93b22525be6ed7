"""The benchmark's machinery in its tiny mode: every figure is there, with the right type.

No timed assertion: speed depends on the machine; docs/PERFORMANCE.md has the real numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
NUMBER_KEYS = (
    "echo_ups", "itda_ups", "ratio", "p50_ms", "p99_ms", "callback_ack_p99_ms", "rss_mb"
)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def test_smoke_run_prints_every_figure_as_the_last_json_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ITDA_", "ADMIN_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--json-only", "--sizes", "50,200"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, "--json-only prints the JSON line alone"
    figures = json.loads(lines[-1])

    for key in NUMBER_KEYS:
        assert is_number(figures[key]), (key, figures[key])
        assert figures[key] > 0, key
    # Echo and ITDA rounds alternate (A B A B ...): the ratio is the median of the pairs'.
    pairs = figures["ratio_pairs"]
    assert len(pairs["ratios"]) >= 5
    assert len(pairs["echo_ups"]) == len(pairs["itda_ups"]) == len(pairs["ratios"])
    for echo, itda, ratio in zip(pairs["echo_ups"], pairs["itda_ups"], pairs["ratios"],
                                 strict=True):
        assert echo > 0 and itda > 0 and abs(ratio - itda / echo) < 0.01
    assert pairs["min"] <= figures["ratio"] == pairs["median"] <= pairs["max"]
    # Each kind of step's p99 in ms and in units of the echo bot's time per update.
    by_step, norm = figures["p99_ms_by_step"], figures["p99_norm_by_step"]
    assert by_step and set(norm) == set(by_step)
    for label, ms in by_step.items():
        if ms is not None:
            assert abs(norm[label] - ms * figures["echo_ups"] / 1000) < 0.05 * norm[label] + 0.01

    # /status (the council's overview) by season size; the reminder sender's fan-out.
    assert set(figures["status_ms"]) == {"50", "200"}
    assert all(is_number(ms) and ms > 0 for ms in figures["status_ms"].values())
    assert is_number(figures["fanout_s"]) and figures["fanout_s"] > 0
    assert isinstance(figures["fanout_429"], int)
    assert figures["fanout"]["delivered"] == figures["fanout_messages"]
    # The reminder pass that plans the past of members who just joined, and one with nothing new.
    assert figures["plan_members"] == 20 and figures["plan_rows"] >= 20
    for key in ("plan_ms", "plan_noop_ms"):
        assert is_number(figures[key]) and figures[key] > 0, key
    # /import: a 1,000-row workbook read, checked and previewed, every row ready.
    assert is_number(figures["import_1000_s"]) and figures["import_1000_s"] > 0
    assert figures["import_rows"] == figures["import_ready"] == 1000
    # /export: the demo season's workbook and a generated season's (small in the smoke run).
    for key in ("export_demo_s", "export_100k_s", "export_100k_mb"):
        assert is_number(figures[key]) and figures[key] >= 0, key
    assert figures["export_records"] == 400
    assert not [k for k in figures if "placeholder" in k]

    # The bot really worked: form steps of both kinds were answered, and it logged no failure.
    steps = figures["itda_steps"]
    assert steps.get("opening_field", 0) > 0 and steps.get("seeker_field", 0) > 0, steps
    assert figures["bot_errors_logged"] == 0
    assert figures["bot_exit_code"] == 0
    assert isinstance(figures["errors"], int)


# --- the scale path (bench.scale): skipped when no PostgreSQL answers on 127.0.0.1:5432 -------
def postgres_answers() -> bool:
    import asyncio

    import asyncpg

    async def probe() -> None:
        connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                                           timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


needs_postgres = pytest.mark.skipif(not postgres_answers(), reason="PostgreSQL is not reachable")


# This test run's benchmark databases (another run may use the same PostgreSQL server).
DB_PREFIX = f"itda_bench_t{os.getpid()}_"


def smoke(*args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ITDA_", "ADMIN_"))}
    env["ITDA_BENCH_DB_PREFIX"] = DB_PREFIX
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--json-only", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def bench_databases() -> set[str]:
    import asyncio

    import asyncpg

    async def names() -> set[str]:
        connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
        try:
            rows = await connection.fetch("SELECT datname FROM pg_database")
        finally:
            await connection.close()
        return {row["datname"] for row in rows if row["datname"].startswith(DB_PREFIX)}

    return asyncio.run(names())


@needs_postgres
def test_postgres_mode_runs_the_itda_phases_on_postgresql() -> None:
    before = bench_databases()
    figures = smoke("--database", "postgres", "--phases", "pg")

    assert is_number(figures["pg_ratio"]) and figures["pg_ratio"] > 0
    pg = figures["pg"]
    assert len(pg["ratio_pairs"]["ratios"]) >= 5
    assert pg["ratio"] == figures["pg_ratio"] == pg["ratio_pairs"]["median"]
    by_step = figures["pg_p99_ms"]
    assert by_step == pg["p99_ms_by_step"] and by_step
    assert all(ms is None or is_number(ms) for ms in by_step.values())
    steps = pg["itda_steps"]
    assert steps.get("opening_field", 0) > 0 and steps.get("seeker_field", 0) > 0, steps
    assert pg["bot_exit_code"] == 0 and pg["bot_errors_logged"] == 0
    # Only what was asked ran (no SQLite rounds), and the database it made is gone.
    assert figures["ratio"] is None and figures["webhook2_speedup"] is None
    assert bench_databases() == before


@needs_postgres
def test_webhook2_phase_runs_two_webhook_processes_on_one_database() -> None:
    before = bench_databases()
    figures = smoke("--phases", "webhook2")

    assert is_number(figures["webhook2_speedup"]) and figures["webhook2_speedup"] > 0
    # Alternate updates of one form reach different processes; one chat's updates take their
    # turns across processes (models/locks.py), so nothing is stored twice. Lost steps are
    # counted, not asserted: on a busy machine a question can time out at the Bot API and is then
    # shown again, as the forms do after a fault (docs/PERFORMANCE.md).
    w = figures["webhook2"]
    assert figures["webhook2_doubled"] == 0
    for key in ("webhook2_lost", "webhook2_unfinished"):
        assert isinstance(figures[key], int) and figures[key] >= 0, key
    assert len(w["speedup_pairs"]) >= 5
    # Both processes served, and each conversation's updates went to them in turn.
    assert set(w["updates_by_process"]) == {"webhook-a", "webhook-b"}
    assert min(w["updates_by_process"].values()) > 0
    assert w["alternated"] == 1.0
    assert w["push_failed"] == 0
    assert w["steps_answered"].get("join", 0) > 0
    # The reminders were counted in the fake server's log and each sender named.
    assert figures["webhook2_reminder_senders"] == len(w["reminders_by_process"])
    assert sum(w["reminders_by_process"].values()) == w["reminders_sent"]
    assert set(w["reminders_by_process"]) <= {"webhook-a", "webhook-b"}
    assert w["exit_codes"] == [0, 0] and w["errors_logged"] == [0, 0]
    # Each round's CPU: the bots worked in both kinds of round, the second only when two served.
    one, two = w["cpu_pct"]["one"], w["cpu_pct"]["two"]
    assert set(one) == set(two) == {"bench", "postgres", "webhook-a", "webhook-b", "total"}
    assert one["webhook-a"] > 0 and two["webhook-a"] > 0 and two["webhook-b"] > 0
    assert one["bench"] > 0 and two["total"] >= two["webhook-b"]
    assert bench_databases() == before


@needs_postgres
def test_the_locks_benchmark_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.locks", "--rounds", "1", "--updates", "50",
         "--concurrency", "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["wall_ms_per_update"] > 0 and figures["cpu_ms_per_update"] > 0


def test_the_step_cost_tool_counts_every_kind_of_step() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.step_cost", "--users", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[1:] if line}
    for kind in ("start", "join", "opening", "opening_field", "opening_saved", "seeker",
                 "seeker_field", "seeker_saved", "invite", "invite_role"):
        steps, statements, transactions = (float(value) for value in rows[kind][:3])
        assert steps > 0 and statements > 0 and transactions > 0, kind
    # a stored opening writes its row: more statements than one of its field steps
    assert float(rows["opening_saved"][1]) > float(rows["opening_field"][1])
