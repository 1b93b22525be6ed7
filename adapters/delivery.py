"""Talking to Telegram when Telegram misbehaves: retries, long texts and users who blocked the bot.

`ItdaBot` is python-telegram-bot's ExtBot with one choke point (`_do_post`, which every Bot API
call goes through) that

* waits out 429 "Too Many Requests" for the `retry_after` Telegram asks for, then retries;
* retries 5xx answers and refused connections (the request never reached Telegram) with a
  backoff of about five minutes in all, so an outage of Telegram or of the network loses nothing;
* retries timeouts and broken connections only for idempotent methods (answering, editing,
  menus, reads): a `sendMessage` that timed out may have been delivered, and sending it again
  would show it twice;
* reports a 403 "bot was blocked by the user" to `on_blocked` (the member is marked blocked and
  everyone else is still served) and re-raises it.

`may_have_arrived` tells a caller with its own retry plan (the reminder outbox) the same rule:
whether a failed request may have reached Telegram, so that it must not be repeated;
`chat_is_gone` whether a 400 means the recipient cannot be written to at all.

`send_message` and `edit_message_text` split texts longer than Telegram's 4,096 characters on
line boundaries (the keyboard goes with the last part).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import httpx
from telegram import Message
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

MAX_MESSAGE = 4096  # Telegram's limit, counted in UTF-16 code units
MAX_CALLBACK_BYTES = 64

# Failures that mean the request never reached Telegram (so resending cannot double anything),
# for both HTTP clients: httpx (python-telegram-bot's default) and aiohttp (adapters.request).
NOT_SENT_TIMEOUTS = (httpx.ConnectTimeout, httpx.PoolTimeout, aiohttp.ConnectionTimeoutError)
NOT_SENT_ERRORS = (httpx.ConnectError, aiohttp.ClientConnectorError)

# 400 answers that mean the chat itself is gone (deleted, never started, an id that is wrong):
# a permanent refusal, like a 403 from a user who blocked the bot.
GONE_CHAT_MESSAGES = ("chat not found", "user not found", "peer_id_invalid")


def may_have_arrived(exc: BaseException) -> bool:
    """Whether a failed request may still have reached Telegram: its answer is missing (a read
    timeout, a connection broken after the request was written), not refused (an error answer,
    a refused connection, a connect or pool timeout: the request never left)."""
    if isinstance(exc, TimedOut):
        return not isinstance(exc.__cause__, NOT_SENT_TIMEOUTS)
    if isinstance(exc, BadRequest):
        return False  # answered
    if type(exc) is NetworkError:
        cause = exc.__cause__
        if cause is None:  # a 5xx answer
            return False
        return not isinstance(cause, NOT_SENT_ERRORS)
    if isinstance(exc, TelegramError):
        return False  # Telegram answered (403, 409, 429, a migrated chat...)
    return isinstance(exc, OSError)  # unknown: the conservative answer


def chat_is_gone(exc: BaseException) -> bool:
    """A 400 saying the chat cannot be written to at all ("chat not found")."""
    message = exc.message.lower() if isinstance(exc, BadRequest) else ""
    return any(text in message for text in GONE_CHAT_MESSAGES)


# Whether 429s and 5xx answers are retried inside the call (the default) or raised at once to a
# caller with its own retry plan, like the reminder sender, which serves other chats meanwhile
# and retries a failed reminder later with its own backoff.
_RETRY_IN_PLACE: ContextVar[bool] = ContextVar("itda_retry_in_place", default=True)


@contextmanager
def caller_retries() -> Iterator[None]:
    """Within this block a 429 (RetryAfter) or a 5xx (NetworkError) is raised at once."""
    token = _RETRY_IN_PLACE.set(False)
    try:
        yield
    finally:
        _RETRY_IN_PLACE.reset(token)


# Methods that change nothing when repeated: safe to retry after a timeout or a broken answer.
IDEMPOTENT_PREFIXES = ("get", "answer", "edit", "delete", "set", "pin", "unpin", "leave")


@dataclass
class RetryPolicy:
    """How long to keep trying (seconds). Tests shorten these."""

    flood_attempts: int = 5  # 429 answers honoured per call
    flood_cap: float = 120.0  # longest retry_after waited in place
    server_delays: tuple[float, ...] = (0.5, 2.0, 5.0)  # 5xx
    connect_delays: tuple[float, ...] = field(
        default_factory=lambda: (1, 2, 4, 8, 15) + (30,) * 9  # about five minutes
    )
    timeout_delays: tuple[float, ...] = (1.0, 3.0)  # idempotent methods only


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _safe_cut(text: str, limit: int) -> int:
    """A cut position <= limit (UTF-16 units) not inside an HTML tag or entity."""
    units, cut = 0, 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            break
        cut = index + 1
    head = text[:cut]
    opened_tag, opened_entity = head.rfind("<"), head.rfind("&")
    if opened_tag > head.rfind(">") and opened_tag > 0:
        cut = opened_tag
    elif opened_entity > head.rfind(";") and opened_entity > 0 and cut - opened_entity < 10:
        cut = opened_entity
    return max(cut, 1)


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Parts of at most `limit` UTF-16 units, cut at line ends where possible."""
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while utf16_len(line) > limit:
            cut = _safe_cut(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
        current = line
    if current.strip():
        parts.append(current)
    return [p for p in parts if p.strip()] or [text[: _safe_cut(text, limit)]]


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _private_chat(data: dict[str, Any]) -> int | None:
    try:
        chat_id = int(data.get("chat_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return chat_id if chat_id > 0 else None


BlockedCallback = Callable[[int], Awaitable[None]]


class ItdaBot(ExtBot[None]):
    """ExtBot with retries, text splitting and blocked-user reporting (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._retry_policy = RetryPolicy()
        self._on_blocked: BlockedCallback | None = None

    @property
    def policy(self) -> RetryPolicy:
        return self._retry_policy

    def report_blocked_to(self, callback: BlockedCallback) -> None:
        self._on_blocked = callback

    async def _do_post(
        self, endpoint: str, data: dict[str, Any], **timeouts: Any
    ) -> Any:
        if endpoint == "getUpdates":  # the Updater has its own retry loop
            return await super()._do_post(endpoint, data, **timeouts)
        policy = self.policy
        floods = servers = connects = timeouts_seen = 0
        while True:
            try:
                return await super()._do_post(endpoint, data, **timeouts)
            except RetryAfter as exc:
                if not _RETRY_IN_PLACE.get():
                    raise
                wait = _seconds(exc._retry_after)  # noqa: SLF001 - a timedelta, no warning
                floods += 1
                if floods > policy.flood_attempts or wait > policy.flood_cap:
                    raise
                log.warning("%s: flood control, retrying in %.1fs", endpoint, wait)
                await asyncio.sleep(wait)
            except Forbidden:
                chat_id = _private_chat(data)
                if chat_id is not None and self._on_blocked is not None:
                    await self._on_blocked(chat_id)
                raise
            except BadRequest:
                raise
            except TimedOut as exc:
                not_sent = isinstance(exc.__cause__, NOT_SENT_TIMEOUTS)
                delays = policy.connect_delays if not_sent else policy.timeout_delays
                count = connects if not_sent else timeouts_seen
                if count >= len(delays) or not (not_sent or _idempotent(endpoint)):
                    raise
                log.warning("%s: timed out, retrying", endpoint)
                await asyncio.sleep(delays[count])
                if not_sent:
                    connects += 1
                else:
                    timeouts_seen += 1
            except NetworkError as exc:
                cause = exc.__cause__
                if isinstance(cause, NOT_SENT_ERRORS):
                    delays, count = policy.connect_delays, connects
                    connects += 1
                elif cause is None and type(exc) is NetworkError:  # a 5xx answer
                    if not _RETRY_IN_PLACE.get():
                        raise
                    delays, count = policy.server_delays, servers
                    servers += 1
                elif _idempotent(endpoint):  # the answer was lost; repeating is harmless
                    delays, count = policy.timeout_delays, timeouts_seen
                    timeouts_seen += 1
                else:
                    raise
                if count >= len(delays):
                    raise
                log.warning(
                    "%s: %s, retrying in %.1fs", endpoint, type(exc).__name__, delays[count]
                )
                await asyncio.sleep(delays[count])

    async def send_message(
        self, chat_id: int | str, text: str, *args: Any, **kwargs: Any
    ) -> Message:
        parts = split_text(text)
        if len(parts) == 1:
            return await super().send_message(chat_id, text, *args, **kwargs)
        markup = kwargs.pop("reply_markup", None)
        for part in parts[:-1]:
            await super().send_message(chat_id, part, *args, **kwargs)
        return await super().send_message(
            chat_id, parts[-1], *args, **{**kwargs, "reply_markup": markup}
        )

    async def edit_message_text(
        self, text: str, chat_id: int | str | None = None, *args: Any, **kwargs: Any
    ) -> Message | bool:
        parts = split_text(text)
        if len(parts) == 1 or chat_id is None:
            return await super().edit_message_text(parts[0], chat_id, *args, **kwargs)
        markup = kwargs.pop("reply_markup", None)
        result = await super().edit_message_text(parts[0], chat_id, *args, **kwargs)
        parse_mode = kwargs.get("parse_mode")
        rest = "\n".join(parts[1:])
        extra = {"parse_mode": parse_mode} if parse_mode is not None else {}
        await self.send_message(chat_id, rest, reply_markup=markup, **extra)
        return result


def _idempotent(endpoint: str) -> bool:
    return endpoint.lower().startswith(IDEMPOTENT_PREFIXES)
