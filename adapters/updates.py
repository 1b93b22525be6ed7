"""Updates of one chat in order, different chats at the same time.

python-telegram-bot handles updates one after another by default, so one slow user (or one slow
Bot API call) stalls everybody. `PerChatUpdateProcessor` lets up to `max_concurrent_updates`
updates run together but holds a lock per chat and per user: two messages of one person, or two
messages in one group, are handled in the order they arrived (forms depend on it), while other
chats go ahead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from models.locks import CHAT, USER, AdvisoryLocks, key_of


def lock_keys(update: object) -> list[tuple[str, int]]:
    """The chat and the user an update belongs to, in a fixed order (no deadlocks)."""
    if not isinstance(update, Update):
        return []
    keys = set()
    if update.effective_chat is not None:
        keys.add(("chat", update.effective_chat.id))
    if update.effective_user is not None:
        keys.add(("user", update.effective_user.id))
    return sorted(keys)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Up to `max_concurrent_updates` updates at once, one at a time per chat and per user.

    An update first waits for its chat's (and user's) turn and only then takes one of the
    `max_concurrent_updates` places: a person tapping ten times does not hold ten places that
    other chats could use while those taps wait behind each other.
    """

    def __init__(
        self, max_concurrent_updates: int = 64, shared: AdvisoryLocks | None = None
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}
        self._users: dict[tuple[str, int], int] = {}
        # On PostgreSQL, the same turns across the processes sharing the database.
        self._shared = shared

    # PTB marks process_update final (it takes a place, then calls do_process_update); this
    # processor overrides it on purpose to wait for the chat's turn before taking a place.
    async def process_update(  # type: ignore[misc]
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        async with self._turn(update), self._semaphore:
            await coroutine

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        async with self._turn(update):
            await coroutine

    def turn(self, chat_id: int, user_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        """The turn of a chat and its user outside an update, for work that changes what the
        next update reads (a job that shows a form screen again and saves that it did): the
        chat's next update waits until it is over, here and in the other processes."""
        return self._held(sorted({("chat", chat_id), ("user", user_id)}))

    def _turn(self, update: object) -> contextlib.AbstractAsyncContextManager[None]:
        return self._held(lock_keys(update))

    @contextlib.asynccontextmanager
    async def _held(self, keys: list[tuple[str, int]]) -> AsyncIterator[None]:
        registered: list[tuple[str, int]] = []
        acquired: list[tuple[str, int]] = []
        try:
            for key in keys:
                lock = self._locks.get(key)
                if lock is None:
                    lock = self._locks[key] = asyncio.Lock()
                self._users[key] = self._users.get(key, 0) + 1
                registered.append(key)
                await lock.acquire()
                acquired.append(key)
            if self._shared is None:
                yield
            else:
                kinds = {"chat": CHAT, "user": USER}
                async with self._shared.held([key_of(kinds[k], n) for k, n in keys]):
                    yield
        finally:
            for key in reversed(acquired):
                self._locks[key].release()
            for key in registered:
                self._users[key] -= 1
                if self._users[key] == 0:
                    del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._shared is not None:
            await self._shared.close()
