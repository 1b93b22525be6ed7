"""Seekers' names and phone numbers through the feature flows: never in the logs, never in a
group chat, never in full to another agency; and every reader survives the retention purge
(the purged row holds a pseudonym in clear and no phone: nothing may try to decrypt it)."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from adapters.logs import quiet_libraries
from core.clock import FrozenClock
from locales import Translator
from services import retention
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness
from tests.records_helpers import EMPLOYER_OPENING, SEEKER_FORM, start_opening, start_seeker, walk

GROUP = -100_555
NAME, PHONE = "윤서하", "010-3141-5926"
SECRETS = [NAME, PHONE, "01031415926", "3141-5926", "31415926"]
CENTRE, CENTRE_B, EMPLOYER, EMPLOYER_B, LEAD = 501, 502, 503, 504, 505


def words(message: dict[str, Any]) -> str:
    """All a message shows: text or caption and its buttons."""
    shown = [message.get("text", ""), message.get("caption", "")]
    shown += [label for label, _ in FakeBotAPI.buttons(message)]
    return " ".join(shown)


async def cast(h: BotHarness) -> None:
    await h.add_member(CENTRE, "천안새일", "saeil-cheonan")
    await h.add_member(CENTRE_B, "아산새일", "saeil-asan")
    await h.add_member(EMPLOYER, "상의담당", "chungnam-north-chamber")
    await h.add_member(EMPLOYER_B, "여경협담당", "women-entrepreneurs-chungnam")
    await h.add_member(LEAD, "코디", "chungnam-province", "coordinator")
    h.api.add_group(GROUP, "협의회", members=[CENTRE, CENTRE_B, EMPLOYER, EMPLOYER_B, LEAD])


async def register(h: BotHarness) -> tuple[int, int]:
    """The centre registers the seeker; the association an opening in the same 시군."""
    answers = list(SEEKER_FORM)
    answers[0], answers[1] = NAME, PHONE
    answers[-2] = "@아니"  # no consent to share contacts with employers
    summary = await walk(h, CENTRE, await start_seeker(h, CENTRE), answers)
    saved = await h.press(CENTRE, summary, "저장")
    seeker_id = int(saved["text"].split("#")[1].split(")")[0])
    summary = await walk(h, EMPLOYER, await start_opening(h, EMPLOYER), EMPLOYER_OPENING)
    saved = await h.press(EMPLOYER, summary, "저장")
    opening_id = int(saved["text"].split("#")[1].split(")")[0])
    return seeker_id, opening_id


async def use_everything(h: BotHarness, seeker_id: int, opening_id: int) -> None:
    """Every screen that shows seekers, by the owner, other agencies, the lead, the group."""
    for user in (CENTRE, CENTRE_B, EMPLOYER, EMPLOYER_B, LEAD):
        await h.send(user, "/mine")
        await h.send(user, "/cancel")
        await h.send(user, "/match")
        await h.send(user, f"/match o{opening_id}")
        await h.send(user, f"/match s{seeker_id}")
    listing = await h.send(CENTRE, "/mine")
    await h.press(CENTRE, listing, f"#{seeker_id}")
    await h.send(CENTRE, "/cancel")
    searching = await h.press(CENTRE, await h.send(CENTRE, "/mine"), "검색")
    assert searching
    await h.send(CENTRE, NAME[:2])
    await h.send(CENTRE, "/cancel")
    await h.send(CENTRE, "/hire")
    await h.send(CENTRE, "/cancel")
    day = await h.send(CENTRE, "/meeting_day")
    day = await h.press(CENTRE, day, "(")  # the first date button
    confirm = await walk(h, CENTRE, await h.press(CENTRE, day, "14:00"),
                         ["센터 강당", "20", "041-000-0000"])
    await h.press(CENTRE, confirm, "저장")
    shown = await h.expect(CENTRE)
    await h.press(CENTRE, shown, "구직자")
    await h.send(LEAD, "/register_group", chat_id=GROUP)  # /status answers in this group only
    for user in (CENTRE, LEAD, EMPLOYER):
        await h.send(user, "/status", chat_id=GROUP)
        await h.send(user, "/help", chat_id=GROUP)
    await h.send(LEAD, "/status")
    await h.send(LEAD, "/export 2026-08-01 2026-09-30")


async def test_seekers_stay_out_of_logs_groups_and_other_agencies(
    harness: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_libraries()  # as `itda run` does; our own code logs at any level
    caplog.set_level(logging.DEBUG)
    await cast(harness)
    seeker_id, opening_id = await register(harness)
    await use_everything(harness, seeker_id, opening_id)

    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert f"seeker {seeker_id} registered" in logged  # the logs were captured: ids only
    assert not [s for s in SECRETS if s in logged], "a seeker's data in the logs"
    assert "error while handling update" not in logged

    group = " ".join(words(m) for m in api._events.get(GROUP, []))  # noqa: SLF001
    assert group and not [s for s in SECRETS if s in group], "a seeker's data in the group"
    for other in (CENTRE_B, EMPLOYER, EMPLOYER_B, LEAD):
        seen = " ".join(words(m) for m in api._events.get(other, []))  # noqa: SLF001
        assert "윤*하" in seen or other == EMPLOYER_B or other == CENTRE_B, other
        assert not [s for s in SECRETS if s in seen], f"member {other} saw the seeker in full"
    owner = " ".join(words(m) for m in api._events.get(CENTRE, []))  # noqa: SLF001
    assert NAME in owner and PHONE in owner  # the owning centre does see them

    export = [c for c in api.calls if c.method == "sendDocument" and c.chat_id == LEAD]
    assert export, "the coordinator got the workbook"
    upload = export[-1].params["document"]
    book = load_workbook(io.BytesIO(upload.data))
    cells = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row)
    assert "윤*하" in cells and not [s for s in SECRETS if s in cells]


async def test_every_reader_survives_the_purge(
    harness: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await cast(harness)
    seeker_id, opening_id = await register(harness)
    assert harness.runtime is not None
    async with harness.runtime.session() as s:
        plan = await retention.purge(
            session=s, clock=FrozenClock(harness.clock.now() + timedelta(days=800)), months=0,
            pseudonym=Translator("ko")(retention.PSEUDONYM_KEY))
    assert [x.id for x in plan.seekers] == [seeker_id]
    api.drain(CENTRE)
    await use_everything(harness, seeker_id, opening_id)
    assert "error while handling update" not in caplog.text, caplog.text[-3000:]
    everything = " ".join(words(m) for chat in api._events.values() for m in chat)  # noqa: SLF001
    assert "gAAAA" not in everything, "ciphertext shown"
    assert not [s for s in SECRETS if s in everything.split("[파기됨]")[-1]]
    listing = await harness.send(CENTRE, "/mine")
    detail = await harness.press(CENTRE, listing, f"#{seeker_id}")
    assert "[파기됨]" in detail["text"]
    refused = await harness.press(CENTRE, detail, "수정")  # refused before any question
    assert "파기" in refused["text"], "no new data on a destroyed record"
    match = await harness.send(EMPLOYER, f"/match o{opening_id}")
    assert "[파기됨]" not in match["text"], "a destroyed record is not matched"
