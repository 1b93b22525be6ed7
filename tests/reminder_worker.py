"""A bot process that only sends reminders: `python -m tests.reminder_worker NOW_ISO`.

Used by tests that need a second OS process (PostgreSQL sharing, kill -9 mid fan-out). Settings
come from the environment like `itda run`; the clock is frozen at NOW_ISO.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from telegram import Bot

from bot.wiring import create_runtime
from core.clock import FrozenClock
from core.config import load_settings
from scheduler.reminders import send_due


async def main(now: datetime) -> int:
    settings = load_settings()
    runtime = create_runtime(settings, FrozenClock(now))
    try:
        async with Bot(settings.token(), base_url=settings.bot_base_url) as bot:
            report = await send_due(bot, runtime, now=now)
    finally:
        await runtime.close()
    return report.sent


if __name__ == "__main__":
    print(asyncio.run(main(datetime.fromisoformat(sys.argv[1]))))
