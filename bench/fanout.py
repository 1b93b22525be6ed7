"""Reminder fan-out against Telegram's flood limits, enforced by the fake server.

`measure_fanout` starts a fake Bot API with ``enforce_limits=True`` (30 messages per rolling
second overall, 3 per second to one private chat) and the realistic 250 ms per call, and runs
a fan-out on it: ITDA's own reminder sender (`real_fan_out`: one outbox row per message, due
now, then `scheduler.reminders.send_due` with the bot the application builds, until nothing is
pending). It reports the seconds the sending took, the peak rates the server observed and the
429s it had to answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from testing.fakeapi import FakeBotAPI

# ``fan_out(workdir, api_url, token, chat_ids)``: prepares what it needs, sends one message per
# entry of `chat_ids`, returns the seconds the sending itself took.
FanOut = Callable[[Path, str, str, Sequence[int]], Awaitable[float]]


@dataclass
class FanoutResult:
    messages: int
    seconds: float
    peak_per_second: int
    peak_per_chat_per_second: int
    status_429: int
    delivered: int


def fanout_chats(count: int, chats: int) -> list[int]:
    """`count` recipients over `chats` private chats, round robin (each chat gets several)."""
    return [1_000_000 + (i % chats) for i in range(count)]


def send_moment(now: datetime) -> datetime:
    """Today at 10:00 Seoul time: outside the quiet hours whenever the benchmark runs."""
    return now.replace(hour=10, minute=0, second=0, microsecond=0)


async def real_fan_out(
    workdir: Path, api_url: str, token: str, chat_ids: Sequence[int]
) -> float:
    """ITDA's reminder sender: report nudges in the outbox, `send_due` until none is pending."""
    from bot.app import build_bot
    from bot.wiring import create_runtime, prepare_database
    from core.config import load_settings
    from models import reminders as outbox_db
    from scheduler.reminders import send_due
    from services import reminders as planner

    settings = load_settings(
        _env_file=None, BOT_TOKEN=token, TELEGRAM_API_URL=api_url,
        ITDA_DATA_DIR=str(workdir / "fanout"),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'fanout.db'}",
    )
    runtime = create_runtime(settings)
    try:
        await prepare_database(runtime)
        now = send_moment(runtime.clock.now())
        deadline = (now + timedelta(days=3)).date().isoformat()
        month = f"{now.year:04d}-{now.month:02d}"
        rows = [
            outbox_db.OutboxEntry(
                key=f"bench:{n}", kind=planner.REPORT_NUDGE, chat_id=chat_id, agency_id=None,
                occurrence=f"bench-{n}", due_at=now, state=outbox_db.PENDING,
                payload={"month": month, "deadline": deadline, "agency": "새일센터"},
            )
            for n, chat_id in enumerate(chat_ids)
        ]
        async with runtime.session() as session:
            await outbox_db.add_rows(session=session, rows=rows)
        bot = build_bot(runtime)
        async with bot:
            started = time.perf_counter()
            passes = 0
            while True:
                passes += 1
                await send_due(bot, runtime, now=now, plan=False)
                async with runtime.session() as session:
                    left = (await outbox_db.count_by_state(session=session)).get(
                        outbox_db.PENDING, 0
                    )
                if not left or passes >= 20:
                    break
            seconds = time.perf_counter() - started
        return seconds
    finally:
        await runtime.close()


async def measure_fanout(
    fan_out: FanOut,
    *,
    workdir: Path,
    token: str,
    count: int = 1000,
    chats: int = 500,
    api_delay: float = 0.25,
) -> FanoutResult:
    """Run `fan_out` once on a fresh fake server with Telegram's limits enforced."""
    api = FakeBotAPI(token, api_delay=api_delay, enforce_limits=True)
    await api.start()
    try:
        recipients = fanout_chats(count, chats)
        for chat_id in sorted(set(recipients)):
            api.add_user(chat_id, f"staff{chat_id}")
        seconds = await fan_out(workdir, api.url, token, recipients)
        await asyncio.sleep(0)
        delivered = sum(len(api.sent_to(chat_id)) for chat_id in set(recipients))
        return FanoutResult(
            messages=count,
            seconds=seconds,
            peak_per_second=int(api.stats["peak_per_second"]),
            peak_per_chat_per_second=int(api.stats["max_per_chat_per_second"]),
            status_429=int(api.stats["429"]),
            delivered=delivered,
        )
    finally:
        await api.stop()
