"""Reminder fan-out against Telegram's flood limits, enforced by the fake server.

`measure_fanout` sends ``count`` messages through a ``fan_out(bot, chat_ids, text)`` callable to
a fake Bot API with ``enforce_limits=True`` (30 messages per rolling second overall, 3 per
second to one private chat) and the realistic 250 ms per call, and reports the seconds it took,
the peak rates the server observed and the 429s it had to answer.

`paced_fan_out` is a PLACEHOLDER for the reminders outbox sender of issue #6
(``send_due(app_or_bot, runtime, *, now)``); the benchmark labels its result
``fanout_placeholder``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram import Bot
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from bot.fakeapi import FakeBotAPI

FanOut = Callable[[Bot, Sequence[int], str], Awaitable[None]]

GLOBAL_RATE = 25.0  # messages per second, under Telegram's ~30
PER_CHAT_GAP = 1.1  # seconds between two messages to the same chat


@dataclass
class FanoutResult:
    messages: int
    seconds: float
    peak_per_second: int
    peak_per_chat_per_second: int
    status_429: int
    delivered: int


async def paced_fan_out(bot: Bot, chat_ids: Sequence[int], text: str) -> None:
    """PLACEHOLDER sender: start sends at GLOBAL_RATE, one chat at most every PER_CHAT_GAP
    seconds, many requests in flight (each takes a round trip), retry after a 429."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    last_for_chat: dict[int, float] = {}
    tasks = []

    async def send(chat_id: int) -> None:
        for _ in range(5):
            try:
                await bot.send_message(chat_id, text)
                return
            except RetryAfter as exc:
                delay = exc.retry_after
                await asyncio.sleep(delay if isinstance(delay, int | float) else 1.0)

    next_slot = start
    for chat_id in chat_ids:
        at = max(next_slot, last_for_chat.get(chat_id, -1e9) + PER_CHAT_GAP)
        last_for_chat[chat_id] = at
        next_slot = at + 1.0 / GLOBAL_RATE
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(chat_id)))
    await asyncio.gather(*tasks)


def fanout_chats(count: int, chats: int) -> list[int]:
    """`count` recipients over `chats` private chats, round robin (each chat gets several)."""
    return [1_000_000 + (i % chats) for i in range(count)]


async def measure_fanout(
    fan_out: FanOut,
    *,
    token: str,
    count: int = 1000,
    chats: int = 500,
    api_delay: float = 0.25,
    text: str = "bench reminder",
) -> FanoutResult:
    """Run `fan_out` once on a fresh fake server with Telegram's limits enforced."""
    api = FakeBotAPI(token, api_delay=api_delay, enforce_limits=True)
    await api.start()
    try:
        recipients = fanout_chats(count, chats)
        for chat_id in sorted(set(recipients)):
            api.add_user(chat_id, f"staff{chat_id}")
        bot = Bot(
            token,
            base_url=f"{api.url}/bot",
            base_file_url=f"{api.url}/file/bot",
            request=HTTPXRequest(connection_pool_size=128, read_timeout=30, write_timeout=30),
        )
        async with bot:
            started = time.perf_counter()
            await fan_out(bot, recipients, text)
            seconds = time.perf_counter() - started
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
