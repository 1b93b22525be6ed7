"""The fake server's state (world, updates, observations) and the helpers every part uses."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections import Counter, deque
from collections.abc import Callable

from aiohttp import web

from testing.fakeapi.common import (
    DEFAULT_TOKEN,
    JSON,
    ApiError,
    Call,
    Failure,
    StoredFile,
    as_int,
    bad_request,
)


class FakeState:
    """Everything the fake server knows; the method groups are mixins over it."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "itda_test_bot",
        bot_id: int = 123456,
        api_delay: float = 0.0,
        enforce_limits: bool = False,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.api_delay = api_delay
        self.enforce_limits = enforce_limits
        self.timeout_sleep = 30.0
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "ITDA",
            "username": bot_username,
        }

        # Observations.
        self.calls: list[Call] = []
        self.answered_callbacks: list[JSON] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.webhook: JSON = {"url": ""}
        self.files: dict[str, StoredFile] = {}
        self.deleted: set[tuple[int, int]] = set()
        self.stats: Counter[str] = Counter()
        # Benchmark hooks: when each update was first handed to the bot by getUpdates
        # (``time.monotonic()``), and functions called with every recorded ``Call``.
        self.delivered_at: dict[int, float] = {}
        self.call_listeners: list[Callable[[Call], None]] = []

        # World.
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, JSON] = {}
        self.members: dict[int, set[int]] = {}
        self._left_groups: set[int] = set()
        self._blocked: set[int] = set()
        self._last_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._sent: dict[int, list[JSON]] = {}
        self._events: dict[int, list[JSON]] = {}
        self._cursor: dict[int, int] = {}

        # Updates.
        self._updates: list[JSON] = []
        self._last_update_id = 0
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._callback_counter = 0
        self._open_callbacks: set[str] = set()
        self._file_counter = 0

        # Failures and limits.
        self._failures: list[Failure] = []
        self._recent_all: deque[float] = deque()
        self._recent_chat: dict[int, deque[float]] = {}
        self._recent_group: dict[int, deque[float]] = {}

        # Server plumbing.
        self._changed = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait(self, event: asyncio.Event, timeout: float) -> None:  # noqa: ASYNC109
        # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that
        # arrives as the event is set, and a cancelled waiter (the sandbox's watcher) then never
        # stops.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await event.wait()

    async def _pause(self, seconds: float) -> bool:
        """Sleep unless the server stops first; return False if it stopped."""
        if self._stopping:
            return False
        try:
            async with asyncio.timeout(seconds):
                await self._stop_event.wait()
        except TimeoutError:
            return True
        return False

    def _user(self, user_id: int) -> JSON:
        user = self.users.get(user_id)
        if user is None:
            raise KeyError(f"unknown user {user_id}; call add_user first")
        return user

    def _chat(self, params: JSON, name: str = "chat_id") -> JSON:
        value = params.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        chat: JSON | None = None
        chat_id = as_int(value)
        if chat_id is not None:
            chat = self.chats.get(chat_id)
        elif isinstance(value, str) and value.startswith("@"):
            chat = next((c for c in self.chats.values() if c.get("username") == value[1:]), None)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, params: JSON) -> JSON:
        chat = self._chat(params)
        if chat["id"] in self._left_groups:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _enqueue(self, payload: JSON) -> JSON:
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, **copy.deepcopy(payload)}
        self._updates.append(update)
        self._notify()
        return copy.deepcopy(update)
