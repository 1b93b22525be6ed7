"""How long the November analysis workbook takes, and how much memory (issue 16).

    uv run python -m bench.export            # the demo season and a 100,000-record season
    uv run python -m bench.export --size 2000 --json-only   # a quick run (tests)

`export_demo_s`: the demo season (`demo.seed`) exported, July to the clock's December, in
seconds (goal < 3). `export_100k_s` and `export_100k_mb`: a generated season of `--size`
records (half openings, half seekers, with their hires and meeting days; `bench.seasondata`)
exported, in seconds (goal < 60) and how much the export raised the process's peak resident
memory, in MB (goal < 300: the query, the sheets and the workbook streamed in write-only mode).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from core.clock import FrozenClock, local_zone

DEMO_GOAL_S, BIG_GOAL_S, BIG_GOAL_MB = 3.0, 60.0, 300.0


async def _export_once(runtime: Any, start: date, end: date) -> int:
    from locales import Translator
    from rendering import workbook
    from services import export

    async with runtime.session() as session:
        data = await export.build_export(session=session, clock=runtime.clock,
                                         cipher=runtime.cipher, start=start, end=end,
                                         channel="bench")
    return len(workbook.to_xlsx(data, Translator("ko")))


async def _runtime(folder: Path, clock: FrozenClock) -> Any:
    from bot.wiring import create_runtime, prepare_database
    from core.config import load_settings

    settings = load_settings(
        _env_file=None, ITDA_DATA_DIR=str(folder / "data"),
        DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'bench.db'}",
    )
    runtime = create_runtime(settings, clock)
    await prepare_database(runtime)
    return runtime


async def demo_export(folder: Path) -> float:
    from demo.seed import seed_demo

    clock = FrozenClock(datetime(2026, 12, 3, 10, tzinfo=local_zone()))
    runtime = await _runtime(folder, clock)
    try:
        async with runtime.session() as session:
            await seed_demo(session=session, clock=clock, cipher=runtime.cipher)
        started = time.perf_counter()
        await _export_once(runtime, date(2026, 7, 1), date(2026, 12, 31))
        return time.perf_counter() - started
    finally:
        await runtime.close()


def _peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _encrypt_seekers(engine: Any, cipher: Any) -> None:
    """The generator writes names and phones in clear; the bot stores them encrypted."""
    from sqlalchemy import bindparam, select, update

    from models.tables import JobSeeker

    table = JobSeeker.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        rows = connection.execute(select(table.c.id, table.c.name, table.c.phone)).all()
        connection.execute(
            update(table).where(table.c.id == bindparam("row_id")).values(
                name=bindparam("new_name"), phone=bindparam("new_phone")),
            [{"row_id": i, "new_name": cipher.encrypt(n), "new_phone": cipher.encrypt(p)}
             for i, n, p in rows],
        )


async def big_export(folder: Path, size: int) -> tuple[float, float]:
    from sqlalchemy import create_engine

    from bench import seasondata

    clock = FrozenClock(datetime(2026, 11, 30, 18, tzinfo=local_zone()))
    runtime = await _runtime(folder, clock)
    engine = create_engine(f"sqlite:///{folder / 'bench.db'}")
    try:
        await asyncio.to_thread(seasondata.SeasonGenerator(engine, clock).grow_to, size // 2)
        await asyncio.to_thread(_encrypt_seekers, engine, runtime.cipher)
        before = _peak_rss_mb()
        started = time.perf_counter()
        await _export_once(runtime, date(2026, 1, 1), date(2026, 12, 31))
        seconds = time.perf_counter() - started
        return seconds, _peak_rss_mb() - before
    finally:
        engine.dispose()
        await runtime.close()


async def measure(size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="itda-bench-export-") as tmp:
        root = Path(tmp)
        (root / "demo").mkdir()
        (root / "big").mkdir()
        demo_s = await demo_export(root / "demo")
        big_s, big_mb = await big_export(root / "big", size)
    return {
        "export_demo_s": round(demo_s, 2), "export_100k_s": round(big_s, 2),
        "export_100k_mb": round(big_mb, 1), "export_records": size,
        "export_goals_met": demo_s < DEMO_GOAL_S and big_s < BIG_GOAL_S and big_mb < BIG_GOAL_MB,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="records of the big season")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.size))
    if not args.json_only:
        print(f"demo season export: {figures['export_demo_s']} s (< {DEMO_GOAL_S:g})")
        print(f"{args.size:,} records: {figures['export_100k_s']} s (< {BIG_GOAL_S:g}), "
              f"{figures['export_100k_mb']} MB (< {BIG_GOAL_MB:g})")
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
