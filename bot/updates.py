"""Update concurrency: different people are served at the same time, one person in order.

python-telegram-bot processes updates one after the other by default, so with Telegram's
round trip of a few hundred milliseconds per Bot API call one slow reply holds up everybody
(see docs/PERFORMANCE.md). `PerUserUpdateProcessor` runs updates concurrently but keeps the
updates of one user (or, without a user, one chat) strictly in arrival order, so a form never
sees its second step before its first one has finished and saved its state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 256


def _key(update: object) -> object:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return None


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across users, sequential per user (FIFO: asyncio locks wake in order)."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def update_processor() -> PerUserUpdateProcessor:
    return PerUserUpdateProcessor()
