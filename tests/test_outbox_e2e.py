"""The outbox keeps its promise over HTTP (issue 13): a send whose answer never came is ambiguous,
never repeated and shown to coordinators; a chat that is gone fails at once.

The real Application against the fake Bot API; passes are run with `send_due` at a frozen clock
(see tests/test_reminders_e2e.py). The crash test with the real process is
tests/test_outbox_crash.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from core.clock import FrozenClock
from models.tables import Member
from services import reminder_outbox
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness, make_settings
from tests.test_reminders_e2e import (
    CHAMBER_A,
    CHAMBER_B,
    COORD,
    SAEIL,
    kst,
    pass_at,
    rows,
    sends,
    setup_council,
    texts,
)

TIMEOUT = 1  # REQUEST_TIMEOUT (its lowest value)
LATE = 2.5  # when the fake API answers a request it "times out"


@pytest.fixture
async def slow_harness(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The bot waits REQUEST_TIMEOUT seconds for an answer."""
    settings = make_settings(tmp_path, TELEGRAM_API_URL=api.url, ADMIN_IDS="1",
                             REQUEST_TIMEOUT=str(TIMEOUT))
    h = BotHarness(api, settings, FrozenClock(kst("2026-08-21T09:00")))
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


def attempts_to(api: FakeBotAPI, chat: int) -> int:
    """sendMessage requests that reached the server for `chat` (answered or not)."""
    return sum(1 for c in api.calls if c.method == "sendMessage" and c.chat_id == chat)


async def test_a_send_answered_after_the_timeout_is_ambiguous_and_never_repeated(
    slow_harness: BotHarness, api: FakeBotAPI
) -> None:
    """Telegram gets the nudge but answers after the bot stopped waiting: the message reached
    the chat once; the row ends ambiguous, later passes do not send it again, and the
    coordinator sees it in /reminders."""
    h = slow_harness
    await setup_council(h)
    await pass_at(h, "2026-08-20T09:00")  # the bot ran before: the 10:00 nudges are due
    api.timeout_sleep = LATE
    api.fail("sendMessage", error="timeout", chat_id=CHAMBER_A)
    report = await pass_at(h, "2026-08-21T10:00")
    assert report.ambiguous == 1 and report.sent == 2 and report.retried == 0
    await api.wait_for(lambda c: attempts_to(api, CHAMBER_A) == 1, timeout=30)
    [row] = [r for r in await rows(h) if r.chat_id == CHAMBER_A]
    assert row.state == "ambiguous" and row.attempts == 1
    assert row.last_error.startswith(reminder_outbox.AMBIGUOUS_NO_ANSWER)
    for later in ("2026-08-21T10:01", "2026-08-21T10:30", "2026-08-21T14:00"):
        report = await pass_at(h, later)
        assert report.sent == 0 and report.retried == 0
    await asyncio.sleep(LATE)  # nothing else is on its way
    assert sends(api)[CHAMBER_A] == 1, "the one message reached the chat"
    assert attempts_to(api, CHAMBER_A) == 1, "and was never requested again"
    assert len(texts(api, CHAMBER_A)) == 1
    [row] = [r for r in await rows(h) if r.chat_id == CHAMBER_A]
    assert row.state == "ambiguous"
    view = await h.send(COORD, "/reminders")
    assert "전달 확인 안 됨 1건" in view["text"] and "❔" in view["text"]
    assert "충남북부상의" in view["text"]
    refused = await h.send(CHAMBER_B, "/reminders")
    assert "전달 확인" not in refused["text"], "staff do not see the outbox"


async def test_a_5xx_answer_is_retried_not_ambiguous(
    slow_harness: BotHarness, api: FakeBotAPI
) -> None:
    """A 5xx answer (Telegram refused it, nothing delivered) is retried after the backoff and
    sent once: only a missing answer makes a row ambiguous."""
    h = slow_harness
    await setup_council(h)
    await pass_at(h, "2026-08-20T09:00")
    api.fail("sendMessage", error="502", chat_id=SAEIL)
    report = await pass_at(h, "2026-08-21T10:00")
    assert report.retried == 1 and report.ambiguous == 0
    report = await pass_at(h, "2026-08-21T10:02")
    assert report.sent == 1
    assert sends(api)[SAEIL] == 1
    assert [r.state for r in await rows(h) if r.chat_id == SAEIL] == ["sent"]


async def test_chat_not_found_fails_at_once_and_the_member_is_marked_like_a_blocked_one(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    """A member whose chat Telegram does not know (400 "chat not found"): one request, no
    retries; the row fails, the member is made inactive like one who blocked the bot, the
    coordinator is told, and the member's later reminders are not attempted."""
    await setup_council(harness)
    del api.users[CHAMBER_B]
    api.chats.pop(CHAMBER_B, None)
    await pass_at(harness, "2026-08-20T09:00")
    report = await pass_at(harness, "2026-08-21T10:00")
    assert report.blocked == 1 and report.retried == 0 and report.failed == 0
    assert attempts_to(api, CHAMBER_B) == 1
    [row] = [r for r in await rows(harness) if r.chat_id == CHAMBER_B]
    assert row.state == "failed" and row.last_error == reminder_outbox.CHAT_GONE
    assert row.attempts == 1
    assert harness.runtime is not None
    async with harness.runtime.session() as s:
        member = await s.get(Member, await member_id(harness, CHAMBER_B))
    assert member is not None and not member.active
    assert member.blocked_at == kst("2026-08-21T10:00")
    [notice] = texts(api, COORD)
    assert "최유리" in notice and "비활성" in notice
    when = kst("2026-08-21T10:00")
    for _ in range(6):  # well past every backoff
        when += timedelta(minutes=16)
        await pass_at(harness, when.isoformat()[:19])
    await pass_at(harness, "2026-08-28T10:00")  # the D-7 nudge: not to the gone chat
    assert attempts_to(api, CHAMBER_B) == 1
    view = await harness.send(COORD, "/reminders")
    assert "대화방 없음" in view["text"]


async def test_another_400_fails_at_once_without_touching_the_member(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    """A 400 about the request itself (here: too long) is not retried either (it would be
    refused again), but the member stays active."""
    await setup_council(harness)
    await pass_at(harness, "2026-08-20T09:00")
    api.fail("sendMessage", error="400", chat_id=SAEIL, times=-1,
             description="Bad Request: message is too long")
    report = await pass_at(harness, "2026-08-21T10:00")
    assert report.failed == 1 and report.retried == 0 and report.blocked == 0
    await pass_at(harness, "2026-08-21T10:20")
    assert attempts_to(api, SAEIL) == 1
    [row] = [r for r in await rows(harness) if r.chat_id == SAEIL]
    assert row.state == "failed" and row.attempts == 1
    assert harness.runtime is not None
    async with harness.runtime.session() as s:
        member = await s.get(Member, await member_id(harness, SAEIL))
    assert member is not None and member.active and member.blocked_at is None
    assert texts(api, COORD) == [], "nobody is told the member is gone"


async def member_id(h: BotHarness, chat_id: int) -> int:
    assert h.runtime is not None
    async with h.runtime.session() as s:
        member = (await s.exec(select(Member).where(Member.telegram_id == chat_id))).one()
    assert member.id is not None
    return member.id
