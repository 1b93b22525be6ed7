"""A fault never misleads the user, and groups stay where they belong (issue 13), end to end
over HTTP against the fake Bot API."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

import pytest

from adapters.persistence import DatabasePersistence
from core.clock import FrozenClock
from handlers import form_faults
from locales import Translator
from testing.fakeapi import Call, FakeBotAPI
from tests.harness import BotHarness, make_settings
from tests.records_helpers import start_opening

COORD, SAEIL, EMPLOYER, EMPLOYER2 = 11, 12, 13, 15
KO = Translator("ko")


def plain(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


SHOWN_AGAIN = plain(KO("records.shown_again"))
GENERIC = plain(KO("error.generic"))
ASK_NUMBER = plain(KO("opening.ask.business_number"))
ASK_INDUSTRY = plain(KO("opening.ask.industry"))


async def people(h: BotHarness) -> None:
    await h.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await h.add_member(SAEIL, "이수진", "saeil-cheonan")
    await h.add_member(EMPLOYER, "박정호", "chungnam-north-chamber")
    await h.add_member(EMPLOYER2, "정다은", "chungnam-venture")


def no_apology(api: FakeBotAPI, chat_id: int) -> None:
    assert not [m for m in api.sent_to(chat_id) if GENERIC in plain(m.get("text", ""))]


def last_sent(api: FakeBotAPI, chat_id: int) -> dict:
    return api.sent_to(chat_id)[-1]


# --- 1. a form question that did not go out --------------------------------------------------
async def test_question_refused_once_is_shown_again_with_the_answer_kept(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await people(harness)
    await start_opening(harness, EMPLOYER)
    api.fail("sendMessage", error="400", chat_id=EMPLOYER)  # the next question is refused
    again = plain((await harness.send(EMPLOYER, "행복제과"))["text"])
    assert again.startswith(SHOWN_AGAIN) and ASK_NUMBER in again and "[2/" in again
    no_apology(api, EMPLOYER)
    nxt = await harness.press(EMPLOYER, last_sent(api, EMPLOYER), "건너뛰기")
    assert ASK_INDUSTRY in plain(nxt["text"])


async def test_next_message_meets_the_question_it_never_saw(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await people(harness)
    await start_opening(harness, EMPLOYER)
    api.block(EMPLOYER)  # 403 for the next question (and for any apology)
    api.send_text(EMPLOYER, "행복제과")
    await api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == EMPLOYER
                       and c.response is not None and c.response.get("error_code") == 403)
    await harness.settled()
    api.unblock(EMPLOYER)
    # The user writes again, answering what they last saw: it is not taken as question 2.
    again = plain((await harness.send(EMPLOYER, "행복제과"))["text"])
    assert again.startswith(SHOWN_AGAIN) and ASK_NUMBER in again and "[2/" in again
    nxt = await harness.send(EMPLOYER, "123-45-67891")
    assert ASK_INDUSTRY in plain(nxt["text"])
    no_apology(api, EMPLOYER)


async def test_question_timed_out_is_shown_again_not_apologised_for(
    api: FakeBotAPI, tmp_path: Path, clock: FrozenClock
) -> None:
    settings = make_settings(tmp_path, TELEGRAM_API_URL=api.url, ADMIN_IDS="1",
                             REQUEST_TIMEOUT="1")
    h = BotHarness(api, settings, clock)
    await h.start()
    try:
        await people(h)
        await start_opening(h, EMPLOYER)
        api.timeout_sleep = 1.6  # Telegram answers after the bot gave up: it may have arrived
        api.fail("sendMessage", error="timeout", chat_id=EMPLOYER)
        api.drain(EMPLOYER)
        api.send_text(EMPLOYER, "행복제과")
        shown = [plain((await api.next_message(EMPLOYER, timeout=60))["text"])
                 for _ in range(2)]  # the question as it came late, and shown again
        assert any(t.startswith(SHOWN_AGAIN) and ASK_NUMBER in t for t in shown), shown
        await h.settled()
        no_apology(api, EMPLOYER)
        nxt = await h.send(EMPLOYER, "123-45-67891")
        assert ASK_INDUSTRY in plain(nxt["text"])
    finally:
        await h.stop()


async def test_question_lost_twice_is_sent_again_when_telegram_answers(
    harness: BotHarness, api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(form_faults, "RESEND_AFTER", (0.2, 0.2))
    await people(harness)
    await start_opening(harness, EMPLOYER)
    api.fail("sendMessage", error="drop", chat_id=EMPLOYER, times=2)  # and the quick retry
    api.send_text(EMPLOYER, "행복제과")
    again = plain((await api.next_message(EMPLOYER, timeout=60))["text"])
    assert again.startswith(SHOWN_AGAIN) and ASK_NUMBER in again
    no_apology(api, EMPLOYER)
    nxt = await harness.send(EMPLOYER, "123-45-67891")
    assert ASK_INDUSTRY in plain(nxt["text"])



async def test_the_jobs_screen_is_noted_as_sent_before_the_next_answer_is_read(
    harness: BotHarness, api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job that shows a lost question again holds the chat's turn until it has saved that
    the question went out: an answer that comes in between waits, and is taken as the answer
    (it once met "shown again" a second time, one suite run in twenty under load)."""
    monkeypatch.setattr(form_faults, "RESEND_AFTER", (0.2, 0.2))
    await people(harness)
    await start_opening(harness, EMPLOYER)
    assert harness.app is not None
    persistence = harness.app.persistence
    assert isinstance(persistence, DatabasePersistence)
    write = persistence._write  # noqa: SLF001 - the job's save, held back below
    armed, held, gate = [False], asyncio.Event(), asyncio.Event()

    def on_call(call: Call) -> None:  # the job's screen reached Telegram: hold its save
        ok = call.response is not None and call.response.get("ok")
        if (call.method == "sendMessage" and call.chat_id == EMPLOYER and ok
                and SHOWN_AGAIN in plain(str(call.params.get("text", "")))):
            armed[0] = True

    async def held_back(pending: dict[tuple[str, str, object], str | None]) -> None:
        if armed[0] and ("data", "user", EMPLOYER) in pending:
            armed[0] = False
            held.set()
            await gate.wait()
        await write(pending)

    api.call_listeners.append(on_call)
    monkeypatch.setattr(persistence, "_write", held_back)
    api.fail("sendMessage", error="drop", chat_id=EMPLOYER, times=2)  # and the quick retry
    api.send_text(EMPLOYER, "행복제과")
    async with asyncio.timeout(60):
        await held.wait()
    api.drain(EMPLOYER)
    sent = len(api.sent_to(EMPLOYER))
    update = api.send_text(EMPLOYER, "123-45-67891")
    await api.wait_for(lambda _: update["update_id"] in api.delivered_at)
    for _ in range(30):  # time for the answer to be read, were it not waiting for its turn
        await asyncio.sleep(0.01)
    assert len(api.sent_to(EMPLOYER)) == sent, "the answer was handled while the save waited"
    gate.set()
    nxt = plain((await api.next_message(EMPLOYER, timeout=60))["text"])
    assert ASK_INDUSTRY in nxt and not nxt.startswith(SHOWN_AGAIN)

# --- 3. editing another agency's record -------------------------------------------------------
OPENING = {
    "company_name": "행복제과", "business_number": None, "industry": "제조",
    "job_title": "포장·사무보조", "duties": "제품 포장", "region_code": "cheonan",
    "employment_type": "regular_part_time", "weekly_hours": 20.0, "work_days": "월~금",
    "work_time": "10:00-15:00", "wage_type": "hourly", "wage_amount": 13_500,
    "positions": 2, "small_firm": "yes", "subsidy_approved": "yes", "deadline": None,
    "contact": "041-555-1234",
}


async def an_opening(h: BotHarness, user: int) -> int:
    from models import members as members_db
    from services import openings as openings_service
    from services.membership import Actor

    assert h.runtime is not None
    async with h.runtime.session() as s:
        member = await members_db.get_member_by_telegram_id(session=s, telegram_id=user)
        opening, _ = await openings_service.create_opening(
            session=s, clock=h.clock, actor=Actor(user, member), draft=OPENING,
            minimum_wage=h.runtime.council.minimum_wage)
    assert opening.id is not None
    return opening.id


async def test_editing_another_agencys_record_is_refused_before_any_question(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await people(harness)
    opening_id = await an_opening(harness, EMPLOYER)
    not_yours = plain(KO("records.not_yours"))
    await harness.send(EMPLOYER2, "/mine")
    for data in (f"mine:ed:{opening_id}", f"mine:ef:{opening_id}:job_title"):
        anchor = last_sent(api, EMPLOYER2)
        api.drain(EMPLOYER2)
        harness.press_data(EMPLOYER2, anchor, data)
        reply = plain((await harness.expect(EMPLOYER2))["text"])
        assert reply == not_yours, (data, reply)
    # Typing now changes nothing and asks nothing: no edit was begun.
    reply = plain((await harness.send(EMPLOYER2, "사무원"))["text"])
    assert reply != not_yours and plain(KO("opening.ask.job_title")) not in reply
    # The owner may.
    await harness.send(EMPLOYER, "/mine")
    anchor = last_sent(api, EMPLOYER)
    api.drain(EMPLOYER)
    harness.press_data(EMPLOYER, anchor, f"mine:ef:{opening_id}:job_title")
    assert plain(KO("opening.ask.job_title")) in plain((await harness.expect(EMPLOYER))["text"])


# --- 4. a double tap on 저장 -------------------------------------------------------------------
async def test_double_tap_on_save_is_answered_quietly(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    from tests.records_helpers import EMPLOYER_OPENING, walk

    await people(harness)
    summary = await walk(harness, EMPLOYER, await start_opening(harness, EMPLOYER),
                         EMPLOYER_OPENING)
    data = api.button(summary, "저장")
    api.drain(EMPLOYER)
    api.press(EMPLOYER, summary, data)
    api.press(EMPLOYER, summary, data)  # the second tap, before the first is answered
    saved = await harness.expect(EMPLOYER)
    match = re.search(r"#(\d+)", saved["text"])
    assert match, saved["text"]
    await harness.settled()
    answers = [a.get("text") for a in api.answered_callbacks[-2:]]
    assert answers[-1] == KO("records.already_saved", id=match.group(1)), answers
    stale = plain(KO("stale.text"))
    assert not [m for m in api.sent_to(EMPLOYER) if plain(m.get("text", "")) == stale]
    with pytest.raises(TimeoutError):
        await api.next_message(EMPLOYER, timeout=0.5)


# --- 5. /status and the chart only in the council group ---------------------------------------
COUNCIL, OTHER_GROUP = -100901, -100902


async def test_status_and_chart_answer_only_in_the_council_group(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await people(harness)
    members = [COORD, SAEIL, EMPLOYER]
    api.add_group(COUNCIL, "충남 실무자협의회", members=members)
    api.add_group(OTHER_GROUP, "친목방", members=members)
    await harness.send(COORD, "/register_group", chat_id=COUNCIL)
    how = plain(KO("group.not_registered"))
    for words in ("/status", "/status 차트", "/status 천안시"):
        reply = await harness.send(SAEIL, words, chat_id=OTHER_GROUP)
        assert plain(reply["text"]) == how, words
    # The chart's button, pressed in the other group (an old or forwarded message): the same.
    anchor = last_sent(api, OTHER_GROUP)
    api.drain(OTHER_GROUP)
    harness.press_data(SAEIL, anchor, "st:chart")
    assert plain((await harness.expect(OTHER_GROUP))["text"]) == how
    await harness.settled()
    assert not [c for c in api.calls if c.method == "sendPhoto" and c.chat_id == OTHER_GROUP]
    # In the council group and in private, /status answers.
    overview = await harness.send(SAEIL, "/status", chat_id=COUNCIL)
    assert plain(overview["text"]) != how and api.buttons(overview)
    mine = await harness.send(COORD, "/status")
    assert plain(mine["text"]) != how


# --- 6. moving the council group ----------------------------------------------------------------
async def test_register_group_elsewhere_asks_to_move_the_council_group(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    from datetime import datetime

    from models import audit as audit_db
    from scheduler.reminders import send_due

    await people(harness)
    members = [COORD, SAEIL, EMPLOYER]
    api.add_group(COUNCIL, "충남 실무자협의회", members=members)
    api.add_group(OTHER_GROUP, "새 협의회방", members=members)
    await harness.send(COORD, "/register_group", chat_id=COUNCIL)
    ask = await harness.send(COORD, "/register_group", chat_id=OTHER_GROUP)
    assert "충남 실무자협의회" in ask["text"] and "새 협의회방" in ask["text"]
    # Keeping changes nothing; a staff member's tap is refused (the coordinator decides).
    kept = await harness.press(COORD, ask, "그대로", chat_id=OTHER_GROUP)
    assert plain(kept["text"]) == plain(KO("group.kept"))
    ask = await harness.send(COORD, "/register_group", chat_id=OTHER_GROUP)
    refused = await harness.press(SAEIL, ask, "옮기기", chat_id=OTHER_GROUP)
    assert plain(refused["text"]) == plain(KO("auth.leads_only"))
    assert plain((await harness.send(SAEIL, "/status", chat_id=OTHER_GROUP))["text"]) == plain(
        KO("group.not_registered"))
    api.drain(COUNCIL)
    moved = await harness.press(COORD, ask, "옮기기", chat_id=OTHER_GROUP)
    assert "새 협의회방" in moved["text"] and "충남 실무자협의회" in moved["text"]
    told = await harness.expect(COUNCIL)
    assert plain(told["text"]) == plain(KO("group.moved_away", here="새 협의회방"))
    assert harness.runtime is not None
    async with harness.runtime.session() as s:
        moves = [e for e in await audit_db.list_audit(session=s) if e.action == "group.move"]
    assert len(moves) == 1 and moves[0].actor_telegram_id == COORD
    # /status follows the council group, and so do the group's reminders.
    assert plain((await harness.send(SAEIL, "/status", chat_id=COUNCIL))["text"]) == plain(
        KO("group.not_registered"))
    assert plain((await harness.send(SAEIL, "/status", chat_id=OTHER_GROUP))["text"]) != plain(
        KO("group.not_registered"))
    api.drain(COUNCIL)
    api.drain(OTHER_GROUP)
    before_old = len(api.sent_to(COUNCIL))
    assert harness.app is not None
    when = datetime.fromisoformat("2026-10-01T10:00:00+09:00")  # September's reports are late
    harness.clock.set(when)
    await send_due(harness.app, harness.runtime, now=when)
    assert len(api.sent_to(COUNCIL)) == before_old, "the old group gets no more reminders"
    assert await harness.expect(OTHER_GROUP)


# --- 7. the bot added to a group ----------------------------------------------------------------
async def test_bot_added_to_a_group_says_once_what_it_does_there(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await people(harness)
    api.add_user(90, "낯선사람")
    harness.add_bot_to_group(OTHER_GROUP, "새 협의회방", by=90)  # anyone may add it
    hello = plain((await harness.expect(OTHER_GROUP))["text"])
    assert plain(KO("group.welcome")) in hello and "/register_group" in hello
    # Made an administrator afterwards: no second hello.
    harness.add_bot_to_group(OTHER_GROUP, "새 협의회방", by=COORD, status="administrator",
                             before="member")
    await harness.settled()
    assert len(api.sent_to(OTHER_GROUP)) == 1
    # Added again to the council group once registered: what it does, not how to register.
    await harness.send(COORD, "/register_group", chat_id=OTHER_GROUP)
    harness.add_bot_to_group(OTHER_GROUP, "새 협의회방", by=COORD, before="left")
    again = plain((await harness.expect(OTHER_GROUP))["text"])
    assert again == plain(KO("group.welcome"))


# --- 8. a personal-data command in a group ------------------------------------------------------
async def test_personal_data_command_in_a_group_offers_the_private_chat(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await people(harness)
    api.add_group(COUNCIL, "충남 실무자협의회", members=[COORD, SAEIL, EMPLOYER])
    for user, command in ((SAEIL, "seeker"), (EMPLOYER, "opening"), (SAEIL, "mine")):
        reply = await harness.send(user, f"/{command}", chat_id=COUNCIL)
        assert plain(reply["text"]) == plain(KO("auth.private_only", command=command))
        [[button]] = reply["reply_markup"]["inline_keyboard"]
        assert button["url"] == f"https://t.me/{api.bot_username}?start=go-{command}"
        assert button["text"] == KO("auth.btn_private")
    # Tapping it opens the private chat with /start go-mine: the bot says what to send.
    opened = await harness.send(SAEIL, "/start go-mine")
    assert plain(opened["text"]) == plain(KO("start.continue_here", command="mine"))
