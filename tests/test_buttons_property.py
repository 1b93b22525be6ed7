"""Every callback_data fits Telegram's 64 UTF-8 bytes, whatever Hangul goes into it; and any data
pressed on any button pattern (empty, missing, garbled) is answered without a handler raising."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram.ext import CallbackQueryHandler, ConversationHandler

from core.clock import FrozenClock
from handlers.common import MAX_CALLBACK_BYTES, callback_data, keyboard
from locales import Translator
from testing.fakeapi import FakeBotAPI
from tests.harness import TOKEN, BotHarness, make_settings

HANGUL = st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), max_size=40)
ANY = st.one_of(HANGUL, st.text(max_size=40), st.integers(-(10**12), 10**12))


@settings(max_examples=50, deadline=None)
@given(feature=st.sampled_from(["opening", "seeker", "mtg", "inv", "mem"]),
       parts=st.lists(ANY, min_size=1, max_size=4), label=HANGUL)
def test_callback_data_always_fits_and_stays_valid_utf8(
    feature: str, parts: list[object], label: str
) -> None:
    data = callback_data(feature, *parts)
    raw = data.encode("utf-8")
    assert 0 < len(raw) <= MAX_CALLBACK_BYTES
    assert raw.decode("utf-8") == data  # never cut inside a character
    assert data.startswith(feature)
    markup = keyboard([[(label or "가", data)]])
    button = markup.inline_keyboard[0][0]
    assert button.callback_data == data


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
               min_size=20, max_size=60))
def test_keyboard_refuses_oversized_data(text: str) -> None:
    with pytest.raises(ValueError):
        keyboard([[("버튼", "x:" + text + "가나")]])


# --- random data pressed on every registered button pattern, over the fake Bot API ---------------
GROUP = -100555
PRESSERS = (1, 11, 12, 13)  # admin, coordinator, 새일센터 staff, employer association staff
# Commands that open a screen or a form first, so that buttons of a form's states are reachable.
OPENERS = (None, "/mine", "/opening", "/seeker", "/council_meeting", "/meeting_day", "/invite",
           "/programme", "/targets", "/report", "/hire", "/meetings", "/members", "/reminders")


def registered_patterns(app: Any) -> list[str]:
    """The pattern of every CallbackQueryHandler, conversations' states included."""
    found: set[str] = set()

    def walk(handlers: Any) -> None:
        for handler in handlers:
            if isinstance(handler, ConversationHandler):
                walk(handler.entry_points)
                for state in handler.states.values():
                    walk(state)
                walk(handler.fallbacks)
            elif isinstance(handler, CallbackQueryHandler):
                pattern = handler.pattern
                if isinstance(pattern, re.Pattern):
                    found.add(pattern.pattern)
                elif isinstance(pattern, str):
                    found.add(pattern)

    for group in app.handlers.values():
        walk(group)
    return sorted(found)


def _fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES


def _garbled(pattern: str) -> st.SearchStrategy[str]:
    """Data the pattern accepts, and data a little off it: cut short, with something added, a
    character replaced."""
    matching = st.from_regex(pattern, fullmatch=True)
    noise = st.text(max_size=6)
    return st.one_of(
        matching,
        matching.map(lambda s: s[:-1]),
        st.tuples(matching, noise).map("".join),
        st.tuples(matching, st.integers(0, 63), st.characters()).map(
            lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]
        ),
    ).filter(_fits)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _world(h: BotHarness) -> None:
    h.api.add_user(1, "관리자")
    await h.add_member(11, "김민지", "chungnam-province", "coordinator")
    await h.add_member(12, "이수진", "saeil-cheonan")
    await h.add_member(13, "박정호", "chungnam-north-chamber")
    h.api.add_group(GROUP, "협의회", members=list(PRESSERS))
    await h.send(1, "/help")  # the admin becomes a member by writing once


def test_random_button_data_never_raises_and_is_always_answered(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """Empty, missing, garbled or forged callback data on every pattern, by several roles, in
    private and in the group: every press is answered, and no handler raises."""
    loop = asyncio.new_event_loop()
    api = FakeBotAPI(TOKEN, bot_username="itda_test_bot")
    loop.run_until_complete(api.start())
    h = BotHarness(api, make_settings(tmp_path, TELEGRAM_API_URL=api.url, ADMIN_IDS="1"), clock)
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    generic = Translator("ko")("error.generic")
    try:
        loop.run_until_complete(h.start())
        loop.run_until_complete(_world(h))
        assert h.app is not None
        patterns = registered_patterns(h.app)
        assert len(patterns) > 50
        data = st.one_of(
            st.none(), st.just(""), st.text(max_size=64).filter(_fits),
            st.sampled_from(patterns).flatmap(_garbled),
        )

        async def one(user: int, in_group: bool, opener: str | None, pressed: str | None) -> None:
            chat = GROUP if in_group else user
            if opener is not None and not in_group:
                await h.send(user, opener, timeout=60)
            anchor = await h.send(user, "/help", chat_id=GROUP if in_group else None, timeout=60)
            seen = len(errors.records)
            query_id = h.press_data(user, anchor, pressed)
            await api.wait_for(
                lambda c: c.method == "answerCallbackQuery"
                and c.params.get("callback_query_id") == query_id, timeout=60)
            await h.settled()
            raised = [r.getMessage() for r in errors.records[seen:]]
            assert not raised, f"{pressed!r} by {user} (after {opener}): {raised}"
            assert not [m for m in api.sent_to(chat) if m.get("text") == generic]

        @settings(max_examples=150, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(user=st.sampled_from(PRESSERS), in_group=st.booleans(),
               opener=st.sampled_from(OPENERS), pressed=data)
        def press(user: int, in_group: bool, opener: str | None, pressed: str | None) -> None:
            loop.run_until_complete(one(user, in_group, opener, pressed))

        press()
    finally:
        logging.getLogger().removeHandler(errors)
        loop.run_until_complete(h.stop())
        loop.run_until_complete(api.stop())
        loop.close()
