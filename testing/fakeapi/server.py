"""An in-process fake of the Telegram Bot API HTTP server.

This module is hand-written on purpose: no maintained library offers a fake of the Bot API that
the real python-telegram-bot ``Application`` can talk to over HTTP, so end-to-end tests, the
offline sandbox chat and the benchmark all share this one implementation.

Point PTB at it with::

    api = FakeBotAPI()
    await api.start()
    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(f"{api.url}/bot")
        .base_file_url(f"{api.url}/file/bot")
        .build()
    )

The fake keeps a small simulated world (users, groups, the messages in every chat), lets tests
act as users (``send_text``, ``press``, ``send_document``, ``send_update``), records every call
the bot makes (``calls``) and can inject failures (``fail``, ``block``) or delays and Telegram's
flood limits (``api_delay``, ``enforce_limits``). For the benchmark it notes when each update was
first handed to the bot (``delivered_at``) and calls ``call_listeners`` with every ``Call``.

Fidelity notes:

* Parameters are read from the query string, a JSON body, an urlencoded form or multipart form
  data. Form values that PTB JSON-encodes (numbers, booleans, ``reply_markup``, ``scope``,
  ``entities``...) are decoded; string parameters such as ``text`` are kept verbatim.
* ``parse_mode`` HTML, MarkdownV2 and legacy Markdown are parsed like Telegram does (markup is
  stripped, entities are returned, malformed markup gives "can't parse entities"), and text is
  trimmed of surrounding whitespace. Automatic detection of URLs, mentions and the like is not
  implemented.
* Webhooks are only stored: updates are never pushed, and ``getUpdates`` answers 409 while one
  is set, as Telegram does.
* ``press`` only allows callback data that is currently shown on the message; use
  ``send_update`` to forge anything else.

For a standalone server (``python -m testing.fakeapi``) a tiny control API is served under
``/_fake/``: ``POST /_fake/users`` (``add_user`` arguments as JSON), ``POST /_fake/send_text``
(``{"user_id", "text", "chat_id"?}``), ``POST /_fake/press``
(``{"user_id", "chat_id", "message_id", "data"}``) and ``GET /_fake/messages/{chat_id}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import mimetypes
import re
import struct
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Final

from aiohttp import web

from testing.fakeapi.common import (
    DEFAULT_TOKEN,
    JSON,
    ApiError,
    Call,
    Dropped,
    Failure,
    StoredFile,
    Upload,
    as_bool,
    as_int,
    bad_request,
    decode_param,
    require_int,
)
from testing.fakeapi.entities import PARSERS, ParseError, strip_text, u16

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_UPLOAD_BYTES: Final = 60 * 1024 * 1024

# Flood limits applied when ``enforce_limits`` is on (see ``FakeBotAPI._check_limits``).
GLOBAL_LIMIT: Final = 30  # messages per rolling second, all chats together
PRIVATE_BURST_LIMIT: Final = 3  # messages per rolling second to one private chat
GROUP_LIMIT: Final = 20  # messages per rolling minute to one group
GROUP_WINDOW: Final = 60.0

NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)

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

CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

SCOPE_TYPES: Final = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

# Update types Telegram leaves out unless they are asked for explicitly.
OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


_BOT_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?")
_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE: Final = re.compile(r"[a-z]{2}")


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG image; (0, 0) when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + length
    return 0, 0


def scope_key(scope: JSON | None) -> str:
    """Canonical JSON of a ``BotCommandScope`` dict, used as part of ``commands`` keys."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# The server

_Handler = Callable[[JSON], Awaitable[Any]]


class FakeBotAPI:
    """A fake Telegram Bot API server with a simulated world. See the module docstring."""

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
        self._keyboards: dict[int, JSON] = {}

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
        self._methods: dict[str, tuple[str, _Handler]] = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("logOut", self._true),
                ("close", self._true),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("sendMessage", self._send_message),
                ("sendDocument", self._send_document),
                ("sendPhoto", self._send_photo),
                ("editMessageText", self._edit_message_text),
                ("editMessageCaption", self._edit_message_caption),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("deleteMessage", self._delete_message),
                ("deleteMessages", self._delete_messages),
                ("answerCallbackQuery", self._answer_callback_query),
                ("getFile", self._get_file),
                ("sendChatAction", self._send_chat_action),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("setMyDescription", self._set_my_description),
                ("getMyDescription", self._get_my_description),
                ("setMyShortDescription", self._set_my_short_description),
                ("getMyShortDescription", self._get_my_short_description),
                ("setMyName", self._set_my_name),
                ("getMyName", self._get_my_name),
                ("setChatMenuButton", self._set_chat_menu_button),
                ("getChatMenuButton", self._get_chat_menu_button),
                ("getChat", self._get_chat),
                ("getChatMember", self._get_chat_member),
                ("leaveChat", self._leave_chat),
            )
        }

    # ---------------------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start serving on ``host:port`` (port 0 picks a free port)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already running")
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        app.router.add_post("/_fake/users", self._control_add_user)
        app.router.add_post("/_fake/send_text", self._control_send_text)
        app.router.add_post("/_fake/press", self._control_press)
        app.router.add_get("/_fake/messages/{chat_id}", self._control_messages)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        if ":" in bound_host:
            bound_host = f"[{bound_host}]"
        self._url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        """Wake every pending long poll or delayed answer and shut the server down."""
        if self._runner is None:
            return
        self._stopping = True
        self._stop_event.set()
        self._notify()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    @property
    def url(self) -> str:
        """Root URL such as ``http://127.0.0.1:43123``."""
        if self._url is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._url

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---------------------------------------------------------------------------- world

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str = "ko",
    ) -> JSON:
        """Register a user and their private chat (whose id is the user id)."""
        if user_id <= 0:
            raise ValueError("user ids must be positive")
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: JSON = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name is not None:
            user["last_name"] = chat["last_name"] = last_name
        if username is not None:
            user["username"] = chat["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        self.chats[user_id] = chat
        return copy.deepcopy(user)

    def add_group(self, chat_id: int, title: str, members: list[int] | None = None) -> JSON:
        """Register a group (ids below -10**12 become supergroups) with the bot in it."""
        if chat_id >= 0:
            raise ValueError("group chat ids must be negative")
        chat_type = "supergroup" if chat_id <= -(10**12) else "group"
        chat: JSON = {"id": chat_id, "type": chat_type, "title": title}
        self.chats[chat_id] = chat
        self.members[chat_id] = set(members or [])
        self._left_groups.discard(chat_id)
        return copy.deepcopy(chat)

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The current state of a message, or None if unknown or deleted."""
        found = self._messages.get((chat_id, message_id))
        return copy.deepcopy(found) if found is not None else None

    def keyboard(self, chat_id: int) -> JSON | None:
        """The reply keyboard (``ReplyKeyboardMarkup`` dict) currently shown in a chat."""
        found = self._keyboards.get(chat_id)
        return copy.deepcopy(found) if found is not None else None

    # ---------------------------------------------------------------------------- driving

    def send_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> JSON:
        """Enqueue a text message from a user (to their private chat unless ``chat_id``)."""
        message = self._user_message(user_id, chat_id)
        message["text"] = text
        match = _BOT_COMMAND_RE.match(text)
        if match:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": u16(match.group())}
            ]
        keyboard = self._keyboards.get(message["chat"]["id"])
        if keyboard and keyboard.get("one_time_keyboard"):
            del self._keyboards[message["chat"]["id"]]
        return self._enqueue({"message": message})

    def send_document(
        self,
        user_id: int,
        data: bytes,
        filename: str,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """Enqueue a document message from a user; the bot can getFile/download it."""
        message = self._user_message(user_id, chat_id)
        stored = self._store_file("documents", Upload(filename, data))
        message["document"] = self._document_object(stored)
        if caption:
            message["caption"] = caption
        return self._enqueue({"message": message})

    def press(self, user_id: int, message: JSON, data: str) -> JSON:
        """Enqueue a callback query: ``user_id`` presses the button with ``data``."""
        user = self._user(user_id)
        chat_id = message["chat"]["id"]
        key = (chat_id, message["message_id"])
        current = self._messages.get(key)
        if current is None:
            state = "deleted" if key in self.deleted else "unknown"
            raise ValueError(f"message {key[1]} in chat {chat_id} is {state}")
        shown = [button_data for _, button_data in self.buttons(current)]
        if data not in shown:
            raise ValueError(f"callback data {data!r} is not on message {key[1]}: {shown}")
        self._callback_counter += 1
        query_id = str(4_300_000_000_000_000_000 + self._callback_counter)
        self._open_callbacks.add(query_id)
        query: JSON = {
            "id": query_id,
            "from": copy.deepcopy(user),
            "message": copy.deepcopy(current),
            "chat_instance": str((chat_id * 2_654_435_761) % (1 << 62)),
            "data": data,
        }
        return self._enqueue({"callback_query": query})

    def send_update(self, update: JSON) -> JSON:
        """Enqueue a raw update dict (an ``update_id`` is assigned when missing)."""
        update = copy.deepcopy(update)
        if "update_id" in update:
            self._last_update_id = max(self._last_update_id, int(update["update_id"]))
            self._updates.append(update)
            self._notify()
            return copy.deepcopy(update)
        return self._enqueue(update)

    # ---------------------------------------------------------------------------- observing

    def sent_to(self, chat_id: int) -> list[JSON]:
        """Messages the bot sent (not edits) to a chat, in order, as they were sent."""
        return copy.deepcopy(self._sent.get(chat_id, []))

    async def next_message(self, chat_id: int, *, timeout: float = 30.0) -> JSON:  # noqa: ASYNC109
        """The next bot message or edit in a chat not yet returned (edits carry ``_edited``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            events = self._events.get(chat_id, [])
            cursor = self._cursor.get(chat_id, 0)
            if cursor < len(events):
                self._cursor[chat_id] = cursor + 1
                return copy.deepcopy(events[cursor])
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._describe_chat(chat_id, timeout))
            await self._wait(changed, remaining)

    async def wait_for(
        self,
        predicate: Callable[[Call], bool],
        *,
        timeout: float = 30.0,  # noqa: ASYNC109
    ) -> Call:
        """The first recorded call matching ``predicate``, waiting for it if needed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        checked = 0
        while True:
            changed = self._changed
            for call in self.calls[checked:]:
                if predicate(call):
                    return call
            checked = len(self.calls)
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(call.method for call in self.calls[-10:]) or "none"
                raise TimeoutError(
                    f"no matching Bot API call within {timeout}s; last calls: {recent}"
                )
            await self._wait(changed, remaining)

    def drain(self, chat_id: int) -> None:
        """Skip every message and edit seen so far in a chat (for ``next_message``)."""
        self._cursor[chat_id] = len(self._events.get(chat_id, []))

    @staticmethod
    def buttons(message: JSON) -> list[tuple[str, str]]:
        """(text, callback_data) of every callback button of a message's inline keyboard."""
        markup = message.get("reply_markup") or {}
        return [
            (button["text"], button["callback_data"])
            for row in markup.get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]

    @classmethod
    def button(cls, message: JSON, text_contains: str) -> str:
        """Callback data of the first button whose text contains ``text_contains``."""
        found = cls.buttons(message)
        for text, data in found:
            if text_contains in text:
                return data
        raise LookupError(f"no button containing {text_contains!r}; buttons: {found}")

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """Commands stored by setMyCommands for a scope dict and language."""
        return copy.deepcopy(self.commands.get((scope_key(scope), language_code), []))

    # ---------------------------------------------------------------------------- failures

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

    # ---------------------------------------------------------------------------- internals

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait(self, event: asyncio.Event, timeout: float) -> None:  # noqa: ASYNC109
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    async def _pause(self, seconds: float) -> bool:
        """Sleep unless the server stops first; return False if it stopped."""
        if self._stopping:
            return False
        try:
            await asyncio.wait_for(self._stop_event.wait(), seconds)
        except TimeoutError:
            return True
        return False

    def _describe_chat(self, chat_id: int, timeout: float) -> str:
        lines = [f"no new bot message in chat {chat_id} within {timeout}s"]
        events = self._events.get(chat_id, [])
        if not events:
            lines.append("the bot has not sent anything to this chat")
        for event in events[-5:]:
            kind = "edit" if event.get("_edited") else "sent"
            body = event.get("text") or event.get("caption") or "<media>"
            if len(body) > 120:
                body = body[:117] + "..."
            labels = [text for text, _ in self.buttons(event)]
            suffix = f" buttons={labels}" if labels else ""
            lines.append(f"  [{kind} #{event['message_id']}] {body!r}{suffix}")
        recent = [call.method for call in self.calls if call.chat_id == chat_id][-5:]
        lines.append(f"recent calls to this chat: {recent}")
        return "\n".join(lines)

    def _user(self, user_id: int) -> JSON:
        user = self.users.get(user_id)
        if user is None:
            raise KeyError(f"unknown user {user_id}; call add_user first")
        return user

    def _user_message(self, user_id: int, chat_id: int | None) -> JSON:
        user = self._user(user_id)
        target = user_id if chat_id is None else chat_id
        chat = self.chats.get(target)
        if chat is None:
            raise KeyError(f"unknown chat {target}; call add_group first")
        if target < 0:
            self.members[target].add(user_id)
        message: JSON = {
            "message_id": self._next_message_id(target),
            "from": copy.deepcopy(user),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        self._messages[(target, message["message_id"])] = message
        return message

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _enqueue(self, payload: JSON) -> JSON:
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, **copy.deepcopy(payload)}
        self._updates.append(update)
        self._notify()
        return copy.deepcopy(update)

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

    # ---------------------------------------------------------------------------- HTTP

    def _json(self, payload: JSON, status: int = 200) -> web.Response:
        return web.json_response(payload, status=status)

    async def _read_params(self, request: web.Request) -> JSON:
        raw: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as err:
                    raise bad_request("can't parse JSON object") from err
                if not isinstance(body, dict):
                    raise bad_request("can't parse JSON object")
                raw.update(body)
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[name] = Upload(
                            value.filename, value.file.read(), value.content_type
                        )
                    elif isinstance(value, bytes | bytearray):
                        raw[name] = bytes(value).decode("utf-8", "replace")
                    else:
                        raw[name] = value
        params = {name: decode_param(name, value) for name, value in raw.items()}
        for name, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                attached = uploads.pop(value.removeprefix("attach://"), None)
                if attached is not None:
                    params[name] = attached
        params.update(uploads)
        return params

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._json(ApiError(401, "Unauthorized").payload(), 401)
        method = request.match_info["method"]
        at = time.monotonic()
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        self.stats[name] += 1
        params: JSON = {}
        chat_id: int | None = None
        payload: JSON | None
        try:
            params = await self._read_params(request)
            chat_id = as_int(params.get("chat_id"))
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            payload = {"ok": True, "result": await self._dispatch(name, entry[1], params, chat_id)}
            status = 200
        except ApiError as err:
            if err.error_code == 429:
                self.stats["429"] += 1
            payload, status = err.payload(), err.error_code
        except Dropped:
            payload = None
            status = 0
        call = Call(name, params, at, chat_id, payload)
        self.calls.append(call)
        if name == "getUpdates" and payload is not None and payload.get("ok"):
            sent_at = time.monotonic()
            for update in payload["result"]:
                self.delivered_at.setdefault(update["update_id"], sent_at)
        for listener in self.call_listeners:
            listener(call)
        self._notify()
        if payload is None:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=204)
        return self._json(payload, status)

    async def _dispatch(
        self, name: str, handler: _Handler, params: JSON, chat_id: int | None
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

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._json(ApiError(401, "Unauthorized").payload(), 401)
        path = request.match_info["file_path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return self._json(ApiError(404, "Not Found").payload(), 404)

    async def _control_add_user(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        user = self.add_user(
            int(body["user_id"]),
            str(body["first_name"]),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code", "ko"),
        )
        return self._json({"ok": True, "result": user})

    async def _control_send_text(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        chat_id = body.get("chat_id")
        update = self.send_text(
            int(body["user_id"]),
            str(body["text"]),
            chat_id=int(chat_id) if chat_id is not None else None,
        )
        return self._json({"ok": True, "result": update})

    async def _control_press(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        message = self._messages.get((int(body["chat_id"]), int(body["message_id"])))
        if message is None:
            return self._json(ApiError(404, "Not Found: message").payload(), 404)
        update = self.press(int(body["user_id"]), message, str(body["data"]))
        return self._json({"ok": True, "result": update})

    async def _control_messages(self, request: web.Request) -> web.StreamResponse:
        chat_id = int(request.match_info["chat_id"])
        return self._json({"ok": True, "result": self._events.get(chat_id, [])})

    # ---------------------------------------------------------------------------- helpers

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

    def _formatted(
        self, params: JSON, text_key: str, entities_key: str, limit: int, required: bool
    ) -> tuple[str, list[JSON]]:
        raw = params.get(text_key)
        if raw is None or raw == "":
            if required:
                raise bad_request("message text is empty")
            return "", []
        text = str(raw)
        entities = params.get(entities_key)
        if entities is not None:
            if not isinstance(entities, list):
                raise bad_request(f"can't parse {entities_key} JSON object")
            parsed: tuple[str, list[JSON]] = (text, [dict(e) for e in entities])
        else:
            mode = params.get("parse_mode")
            if mode:
                parser = PARSERS.get(str(mode).lower())
                if parser is None:
                    raise bad_request(f"unsupported parse_mode {mode!r}")
                try:
                    parsed = parser(text)
                except ParseError as err:
                    raise bad_request(f"can't parse entities: {err}") from err
            else:
                parsed = (text, [])
        text, found = strip_text(*parsed)
        if not text and required:
            raise bad_request("message text is empty")
        if len(text) > limit:
            raise bad_request(
                "message is too long" if text_key == "text" else "message caption is too long"
            )
        return text, found

    def _inline_markup(self, params: JSON, chat_id: int) -> JSON | None:
        """Validate ``reply_markup``; return it if inline, track reply keyboards per chat."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("can't parse inline keyboard markup JSON object")
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise bad_request("can't parse inline keyboard button: text is empty")
                    data = button.get("callback_data")
                    if data is not None:
                        size = len(str(data).encode("utf-8"))
                        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                            raise bad_request("BUTTON_DATA_INVALID")
                    elif len(button) == 1:
                        raise bad_request(
                            "can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard"
                        )
            return copy.deepcopy(markup)
        if "keyboard" in markup:
            self._keyboards[chat_id] = copy.deepcopy(markup)
        elif markup.get("remove_keyboard"):
            self._keyboards.pop(chat_id, None)
        return None

    def _reply_target(self, params: JSON, chat_id: int) -> JSON | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = as_int(reply.get("message_id"))
            target_chat = as_int(reply.get("chat_id")) or chat_id
            allow_missing = as_bool(reply.get("allow_sending_without_reply", False))
        else:
            message_id = as_int(params.get("reply_to_message_id"))
            target_chat = chat_id
            allow_missing = as_bool(params.get("allow_sending_without_reply", False))
        if message_id is None:
            return None
        target = self._messages.get((target_chat, message_id))
        if target is None:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        replied = copy.deepcopy(target)
        replied.pop("reply_to_message", None)
        return replied

    def _new_message(self, chat: JSON, params: JSON, markup: JSON | None) -> JSON:
        chat_id = chat["id"]
        reply = self._reply_target(params, chat_id)
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "from": copy.deepcopy(self.bot_user),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        if reply is not None:
            message["reply_to_message"] = reply
        if as_bool(params.get("protect_content", False)):
            message["has_protected_content"] = True
        if markup is not None:
            message["reply_markup"] = markup
        return message

    def _store_sent(self, message: JSON) -> JSON:
        chat_id = message["chat"]["id"]
        self._messages[(chat_id, message["message_id"])] = message
        self._sent.setdefault(chat_id, []).append(copy.deepcopy(message))
        self._events.setdefault(chat_id, []).append(copy.deepcopy(message))
        return copy.deepcopy(message)

    def _store_edit(self, message: JSON) -> JSON:
        chat_id = message["chat"]["id"]
        message["edit_date"] = int(time.time())
        self._messages[(chat_id, message["message_id"])] = message
        self._events.setdefault(chat_id, []).append({**copy.deepcopy(message), "_edited": True})
        return copy.deepcopy(message)

    def _editable(self, params: JSON) -> JSON:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the fake server")
        chat = self._writable_chat(params)
        message_id = require_int(params, "message_id")
        message = self._messages.get((chat["id"], message_id))
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise bad_request("message can't be edited")
        return copy.deepcopy(message)

    def _store_file(self, folder: str, upload: Upload) -> StoredFile:
        if not upload.data:
            raise bad_request("file must be non-empty")
        self._file_counter += 1
        number = self._file_counter
        suffix = ""
        if upload.filename and "." in upload.filename:
            suffix = "." + upload.filename.rsplit(".", 1)[1]
        elif folder == "photos":
            suffix = ".jpg"
        mime_type = upload.content_type
        if not mime_type or mime_type == "application/octet-stream":
            guessed = mimetypes.guess_type(upload.filename or f"x{suffix}")[0]
            mime_type = guessed or mime_type or "application/octet-stream"
        stored = StoredFile(
            file_id=f"{folder[:3].upper()}ACAgUAAxk{number:08d}{self.bot_id}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            filename=upload.filename,
            data=upload.data,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def _input_file(self, params: JSON, key: str, folder: str) -> StoredFile:
        value = params.get(key)
        if isinstance(value, Upload):
            return self._store_file(folder, value)
        if isinstance(value, str) and value:
            if value in self.files:
                return self.files[value]
            if value.startswith(("http://", "https://")):
                raise bad_request("failed to get HTTP URL content")
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {key} in the request")

    @staticmethod
    def _document_object(stored: StoredFile) -> JSON:
        document: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if stored.filename:
            document["file_name"] = stored.filename
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document

    # ---------------------------------------------------------------------------- methods

    async def _true(self, params: JSON) -> bool:
        return True

    async def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _confirm_updates(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def _deliverable(self, limit: int) -> list[JSON]:
        allowed = set(self._allowed_updates)
        kept: list[JSON] = []
        for update in self._updates:
            kinds = set(update) - {"update_id"}
            if (allowed and not kinds & allowed) or (not allowed and kinds <= OPT_IN_UPDATES):
                continue
            kept.append(update)
        self._updates = kept
        return copy.deepcopy(kept[:limit])

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = as_int(params.get("offset")) or 0
        limit = min(max(as_int(params.get("limit")) or 100, 1), 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        self._confirm_updates(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0.0)
        while True:
            changed = self._changed
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._deliverable(limit)
            remaining = deadline - loop.time()
            if batch or self._stopping or remaining <= 0:
                return batch
            await self._wait(changed, remaining)

    async def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
        self.webhook = {"url": url}
        for key in ("max_connections", "allowed_updates", "secret_token", "ip_address"):
            if key in params:
                self.webhook[key] = params[key]
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        if as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
        self.webhook = {"url": ""}
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        for key in ("max_connections", "allowed_updates", "ip_address"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        return info

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._writable_chat(params)
        text, entities = self._formatted(params, "text", "entities", MAX_TEXT_LENGTH, True)
        markup = self._inline_markup(params, chat["id"])
        message = self._new_message(chat, params, markup)
        message["text"] = text
        if entities:
            message["entities"] = entities
        if isinstance(params.get("link_preview_options"), dict):
            message["link_preview_options"] = params["link_preview_options"]
        return self._store_sent(message)

    async def _send_media(self, params: JSON, key: str) -> JSON:
        chat = self._writable_chat(params)
        caption, entities = self._formatted(
            params, "caption", "caption_entities", MAX_CAPTION_LENGTH, False
        )
        markup = self._inline_markup(params, chat["id"])
        stored = self._input_file(params, key, "photos" if key == "photo" else "documents")
        message = self._new_message(chat, params, markup)
        if key == "photo":
            width, height = _image_size(stored.data)
            message["photo"] = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.file_size,
                    "width": width,
                    "height": height,
                }
            ]
        else:
            message["document"] = self._document_object(stored)
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        return self._store_sent(message)

    async def _send_document(self, params: JSON) -> JSON:
        return await self._send_media(params, "document")

    async def _send_photo(self, params: JSON) -> JSON:
        return await self._send_media(params, "photo")

    async def _edit_message_text(self, params: JSON) -> JSON:
        message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(params, "text", "entities", MAX_TEXT_LENGTH, True)
        markup = self._inline_markup(params, message["chat"]["id"])
        if (
            text == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise bad_request(NOT_MODIFIED)
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        if isinstance(params.get("link_preview_options"), dict):
            message["link_preview_options"] = params["link_preview_options"]
        return self._store_edit(message)

    async def _edit_message_caption(self, params: JSON) -> JSON:
        message = self._editable(params)
        if "photo" not in message and "document" not in message:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._formatted(
            params, "caption", "caption_entities", MAX_CAPTION_LENGTH, False
        )
        markup = self._inline_markup(params, message["chat"]["id"])
        if (
            caption == message.get("caption", "")
            and entities == message.get("caption_entities", [])
            and markup == message.get("reply_markup")
        ):
            raise bad_request(NOT_MODIFIED)
        for key in ("caption", "caption_entities", "reply_markup"):
            message.pop(key, None)
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        return self._store_edit(message)

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        message = self._editable(params)
        markup = self._inline_markup(params, message["chat"]["id"])
        if markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        return self._store_edit(message)

    async def _delete_message(self, params: JSON) -> bool:
        chat = self._chat(params)
        key = (chat["id"], require_int(params, "message_id"))
        if key not in self._messages:
            raise bad_request("message to delete not found")
        del self._messages[key]
        self.deleted.add(key)
        return True

    async def _delete_messages(self, params: JSON) -> bool:
        chat = self._chat(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("message_ids is empty")
        for message_id in ids:
            key = (chat["id"], int(message_id))
            if self._messages.pop(key, None) is not None:
                self.deleted.add(key)
        return True

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        self.answered_callbacks.append(copy.deepcopy(params))
        return True

    async def _get_file(self, params: JSON) -> JSON:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    async def _send_chat_action(self, params: JSON) -> bool:
        self._writable_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _commands_key(self, params: JSON) -> tuple[str, str]:
        scope = params.get("scope")
        if scope is not None:
            if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
                raise bad_request("can't parse BotCommandScope JSON object")
            if "chat_id" in scope:
                self._chat(scope)
        language = str(params.get("language_code") or "")
        if language and not _LANGUAGE_RE.fullmatch(language):
            raise bad_request("invalid language code specified")
        return scope_key(scope), language

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        cleaned: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", "")).removeprefix("/")
            description = str(command.get("description", "")).strip()
            if not _COMMAND_NAME_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(params)
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _store_text_setting(
        self, params: JSON, key: str, store: dict[str, str], limit: int
    ) -> bool:
        value = str(params.get(key) or "")
        if len(value) > limit:
            raise bad_request(f"{key} is too long")
        language = str(params.get("language_code") or "")
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True

    async def _set_my_description(self, params: JSON) -> bool:
        return self._store_text_setting(params, "description", self.descriptions, 512)

    async def _get_my_description(self, params: JSON) -> JSON:
        language = str(params.get("language_code") or "")
        return {"description": self.descriptions.get(language, "")}

    async def _set_my_short_description(self, params: JSON) -> bool:
        return self._store_text_setting(params, "short_description", self.short_descriptions, 120)

    async def _get_my_short_description(self, params: JSON) -> JSON:
        language = str(params.get("language_code") or "")
        return {"short_description": self.short_descriptions.get(language, "")}

    async def _set_my_name(self, params: JSON) -> bool:
        return self._store_text_setting(params, "name", self.names, 64)

    async def _get_my_name(self, params: JSON) -> JSON:
        language = str(params.get("language_code") or "")
        return {"name": self.names.get(language, self.bot_user["first_name"])}

    async def _set_chat_menu_button(self, params: JSON) -> bool:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._chat(params)["id"]
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise bad_request("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = copy.deepcopy(button)
        return True

    async def _get_chat_menu_button(self, params: JSON) -> JSON:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._chat(params)["id"]
        found = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        return copy.deepcopy(found or {"type": "default"})

    async def _get_chat(self, params: JSON) -> JSON:
        chat = self._chat(params)
        info: JSON = {
            **copy.deepcopy(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if chat["type"] != "private":
            info["permissions"] = {"can_send_messages": True}
        return info

    async def _get_chat_member(self, params: JSON) -> JSON:
        chat = self._chat(params)
        user_id = require_int(params, "user_id")
        if user_id == self.bot_id:
            user = self.bot_user
            present = chat["id"] not in self._left_groups
        else:
            found = self.users.get(user_id)
            if found is None:
                raise bad_request("user not found")
            user = found
            if chat["type"] == "private":
                present = chat["id"] == user_id
            else:
                present = user_id in self.members.get(chat["id"], set())
        return {"status": "member" if present else "left", "user": copy.deepcopy(user)}

    async def _leave_chat(self, params: JSON) -> bool:
        chat = self._chat(params)
        if chat["type"] == "private":
            raise bad_request("chat member status can't be changed in private chats")
        self._left_groups.add(chat["id"])
        return True
