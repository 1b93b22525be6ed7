"""Fault injection and flood limits: failures, blocked users, delays and 429s before a method."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any, Final

from testing.fakeapi.common import (
    JSON,
    ApiError,
    Dropped,
    Failure,
    Handler,
)
from testing.fakeapi.state import FakeState

# Flood limits applied when ``enforce_limits`` is on (see ``FakeBotAPI._check_limits``).
GLOBAL_LIMIT: Final = 30  # messages per rolling second, all chats together

PRIVATE_BURST_LIMIT: Final = 3  # messages per rolling second to one private chat

GROUP_LIMIT: Final = 20  # messages per rolling minute to one group

GROUP_WINDOW: Final = 60.0

# Methods that produce or change a visible message: they are rate limited and counted in stats.
LIMITED_METHODS: Final = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)

FAILURE_KINDS: Final = frozenset({"429", "403", "400", "500", "502", "timeout", "drop"})


class FaultsMixin(FakeState):
    """Injected failures (fail, block), api_delay and enforce_limits around every method."""

    def fail(
        self,
        method: str,
        *,
        error: str,
        chat_id: int | None = None,
        times: int = 1,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally to ``chat_id``) fail.

        ``error`` is one of "429", "403", "400", "500", "502", "timeout" (answer normally
        after ``timeout_sleep`` seconds) or "drop" (close the connection). ``times=-1``
        keeps failing until ``clear_failures``.
        """
        if error not in FAILURE_KINDS:
            raise ValueError(f"error must be one of {sorted(FAILURE_KINDS)}, not {error!r}")
        if times == 0 or times < -1:
            raise ValueError("times must be positive, or -1 for 'until cleared'")
        self._failures.append(
            Failure(method.lower(), error, chat_id, times, retry_after, description)
        )

    def block(self, user_id: int) -> None:
        """The user blocks the bot: every send/edit to their chat answers 403."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def clear_failures(self) -> None:
        self._failures.clear()

    async def _dispatch(
        self, name: str, handler: Handler, params: JSON, chat_id: int | None
    ) -> Any:
        if name != "getUpdates" and self.api_delay > 0:
            if not await self._pause(self.api_delay):
                raise ApiError(504, "Gateway Timeout")
        failure = self._take_failure(name, chat_id)
        if failure is not None:
            await self._apply_failure(failure)
        if chat_id in self._blocked and name.startswith(("send", "edit")):
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        limited = name in LIMITED_METHODS
        if limited and self.enforce_limits:
            self._check_limits(chat_id, time.monotonic())
        result = await handler(params)
        if limited:
            self._note_sent(chat_id, time.monotonic())
        return result

    def _take_failure(self, method: str, chat_id: int | None) -> Failure | None:
        for failure in self._failures:
            if failure.method != method.lower():
                continue
            if failure.chat_id is not None and failure.chat_id != chat_id:
                continue
            if failure.times > 0:
                failure.times -= 1
                if failure.times == 0:
                    self._failures.remove(failure)
            return failure
        return None

    async def _apply_failure(self, failure: Failure) -> None:
        """Raise the injected error (or sleep, for "timeout")."""
        kind = failure.error
        if kind == "drop":
            raise Dropped
        if kind == "timeout":
            if not await self._pause(self.timeout_sleep):
                raise ApiError(504, "Gateway Timeout")
            return
        if kind == "429":
            raise ApiError(
                429,
                failure.description or f"Too Many Requests: retry after {failure.retry_after}",
                {"retry_after": failure.retry_after},
            )
        defaults = {
            "400": "Bad Request: injected error",
            "403": "Forbidden: bot was blocked by the user",
            "500": "Internal Server Error",
            "502": "Bad Gateway",
        }
        raise ApiError(int(kind), failure.description or defaults[kind])

    def _check_limits(self, chat_id: int | None, now: float) -> None:
        """Telegram-like flood control: raise 429 when a send would exceed a limit."""
        checks: list[tuple[deque[float], int, float]] = [(self._recent_all, GLOBAL_LIMIT, 1.0)]
        if chat_id is not None and chat_id > 0:
            checks.append(
                (self._recent_chat.setdefault(chat_id, deque()), PRIVATE_BURST_LIMIT, 1.0)
            )
        elif chat_id is not None:
            checks.append(
                (self._recent_group.setdefault(chat_id, deque()), GROUP_LIMIT, GROUP_WINDOW)
            )
        for stamps, limit, window in checks:
            while stamps and stamps[0] <= now - window:
                stamps.popleft()
            if len(stamps) >= limit:
                retry_after = max(1, math.ceil(stamps[0] + window - now))
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )

    def _note_sent(self, chat_id: int | None, now: float) -> None:
        """Record a successful message send/edit for limits and stats."""
        self._recent_all.append(now)
        while self._recent_all and self._recent_all[0] <= now - 1.0:
            self._recent_all.popleft()
        self.stats["messages"] += 1
        self.stats["peak_per_second"] = max(self.stats["peak_per_second"], len(self._recent_all))
        if chat_id is None:
            return
        per_chat = self._recent_chat.setdefault(chat_id, deque())
        per_chat.append(now)
        while per_chat and per_chat[0] <= now - 1.0:
            per_chat.popleft()
        self.stats["max_per_chat_per_second"] = max(
            self.stats["max_per_chat_per_second"], len(per_chat)
        )
        if chat_id < 0:
            per_group = self._recent_group.setdefault(chat_id, deque())
            per_group.append(now)
            while per_group and per_group[0] <= now - GROUP_WINDOW:
                per_group.popleft()
