"""End to end (issue 16): a coordinator picks a period and receives the analysis workbook over
the fake Bot API; bad periods and a group get a clear Korean answer and no document; the chart
is readable on a phone."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from PIL import Image

from models import audit as audit_db
from rendering import chart
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness
from tests.test_status_reports import SEEKER_NAMES, SEEKER_PHONES, seed_records

COORD, SAEIL = 11, 12
GROUP = -100701
SLOW = 60.0  # seconds: building a workbook is CPU work on a busy machine


def documents(api: FakeBotAPI, chat: int) -> list[object]:
    return [c for c in api.calls if c.method == "sendDocument" and c.chat_id == chat]


async def test_coordinator_receives_the_analysis(harness: BotHarness, api: FakeBotAPI) -> None:
    assert harness.runtime is not None
    await seed_records(harness.runtime)
    await harness.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    menu = await harness.send(COORD, "/export")
    labels = [b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["이번 달 (9/1~9/1)", "지난달 (8/1~8/31)", "올해 사업 누계 (7/1~9/1)",
                      "연간 전체, 늦은 입력 포함 (7/1~12/31)", "기간 직접 입력"]
    hint = await harness.press(COORD, menu, "기간 직접 입력")
    assert "/export 2026-07-01 2026-12-31" in hint["text"]
    document = await harness.press(COORD, menu, "지난달", timeout=SLOW)
    assert document["document"]["file_name"] == "itda-20260801-20260831.xlsx"
    assert "성과분석 2026-08-01~2026-08-31" in document["caption"]
    book = load_workbook(io.BytesIO(api.files[document["document"]["file_id"]].data))
    assert book.sheetnames[0] == "성과 요약"
    summary = book["성과 요약"]
    assert len(summary._charts) >= 2  # noqa: SLF001
    cells = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row)
    assert "천안새일센터" in cells and "홍*순" in cells
    assert not [s for s in SEEKER_NAMES + SEEKER_PHONES if s in cells]
    typed = await harness.send(COORD, "/export 2026.7.1 2026.12.31", timeout=SLOW)
    assert typed["document"]["file_name"] == "itda-20260701-20261231.xlsx"
    async with harness.runtime.session() as s:
        logged = await audit_db.list_audit(session=s, action_prefix="export.")
    assert [e.action for e in logged] == ["export.masked", "export.masked"]
    assert logged[0].actor_telegram_id == COORD and logged[0].detail["channel"] == "bot"


async def test_bad_periods_and_groups_get_no_document(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    assert harness.runtime is not None
    await harness.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    api.add_group(GROUP, "충남 실무자협의회", members=[COORD])
    await harness.send(COORD, "/register_group", chat_id=GROUP)
    answers = {
        "/export 2026-11-30 2026-07-01": "보다 앞서요",
        "/export 2024-01-01 2026-07-01": "최대 2년",
        "/export 2026-02-30 2026-03-31": "달력에 없는 날짜",
        "/export 어제 오늘": "날짜를 읽을 수 없어요",
        "/export 2026-07-01": "시작일과 종료일을 함께",
    }
    for text, expected in answers.items():
        reply = await harness.send(COORD, text)
        assert expected in reply["text"], (text, reply["text"])
    in_group = await harness.send(COORD, "/export 2026-07-01 2026-11-30", chat_id=GROUP)
    assert "개인 대화" in in_group["text"] and in_group.get("reply_markup")
    overview = await harness.send(COORD, "/status", chat_id=GROUP)
    api.drain(GROUP)
    harness.press_data(COORD, overview, "exp:x:20260701:20261130")  # a forged export button
    pressed = await harness.expect(GROUP)
    assert "개인 대화" in pressed["text"] and pressed.get("reply_markup")
    assert not documents(api, COORD) and not documents(api, GROUP)
    async with harness.runtime.session() as s:
        assert not await audit_db.list_audit(session=s, action_prefix="export.")


async def test_chart_is_readable_on_a_phone(harness: BotHarness) -> None:
    """1080 px wide, labels of at least 14 px, values on the bars, best agency on top."""
    assert harness.runtime is not None
    await seed_records(harness.runtime)
    from locales import Translator
    from services import targets

    async with harness.runtime.session() as s:
        rows = await targets.progress(session=s, year=2026)
    order = [r.agency.short_name for r in chart.ranked(rows)]
    assert order[:2] == ["천안새일센터", "충남북부상의"]
    png = chart.progress_chart(rows, Translator("ko"), title="2026")
    with Image.open(io.BytesIO(png)) as image:
        assert image.width >= 1080
    assert chart.LABEL_PT * chart.DPI / 72 >= 14  # label height in px at that width
    assert chart.pct_text(0) == "0" and chart.pct_text(0.3) == "0" and chart.pct_text(15) == "15%"
