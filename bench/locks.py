"""What an update's turn across processes costs on PostgreSQL (models/locks.py): many updates at
once take and give back their chat's and user's advisory locks, as `PerChatUpdateProcessor`
does for each update. Prints the CPU and the wall time per update, medians of the rounds:
`uv run python -m bench.locks` (docs/PERFORMANCE.md; needs PostgreSQL on 127.0.0.1:5432)."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from models.db import make_engine
from models.locks import CHAT, USER, AdvisoryLocks, key_of

URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def measure(*, rounds: int, updates: int, concurrency: int) -> dict[str, float]:
    engine = make_engine(URL)
    locks = AdvisoryLocks(engine)
    wall: list[float] = []
    cpu: list[float] = []
    try:
        for _ in range(rounds):
            left = updates

            async def user(number: int) -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    async with locks.held([key_of(CHAT, number), key_of(USER, number)]):
                        await asyncio.sleep(0)  # the update's own work

            started, used = time.perf_counter(), time.process_time()
            await asyncio.gather(*(user(1000 + n) for n in range(concurrency)))
            wall.append((time.perf_counter() - started) * 1000 / updates)
            cpu.append((time.process_time() - used) * 1000 / updates)
    finally:
        await locks.close()
        await engine.dispose()
    return {"wall_ms_per_update": round(statistics.median(wall), 3),
            "cpu_ms_per_update": round(statistics.median(cpu), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--updates", type=int, default=2000, help="updates a round")
    parser.add_argument("--concurrency", type=int, default=20, help="users at once")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(
        rounds=args.rounds, updates=args.updates, concurrency=args.concurrency))))


if __name__ == "__main__":
    main()
