"""End to end over HTTP (issue 15): /import sends the template, the filled file comes back as a
document, the preview lists problems, 저장 stores the ready rows once and tells the 새일센터."""

from __future__ import annotations

import io
import logging

import openpyxl
import pytest

from models import openings as openings_db
from models import seekers as seekers_db
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness
from tests.import_files import SEEKER_HEADERS, csv_bytes, opening_row, seeker_row

COORD, SAEIL, EMPLOYER, SAEIL_ASAN = 11, 12, 13, 14
GROUP = -100500


async def people(h: BotHarness) -> None:
    await h.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await h.add_member(SAEIL, "이수진", "saeil-cheonan")
    await h.add_member(EMPLOYER, "박정호", "chungnam-north-chamber")
    await h.add_member(SAEIL_ASAN, "최은영", "saeil-asan")


async def template(h: BotHarness, api: FakeBotAPI, user: int) -> openpyxl.Workbook:
    intro = await h.send(user, "/import")
    assert "일괄 등록" in intro["text"]
    doc = await h.expect(user)
    assert doc["document"]["file_name"].endswith(".xlsx")
    return openpyxl.load_workbook(io.BytesIO(api.files[doc["document"]["file_id"]].data))


def as_bytes(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def upload(h: BotHarness, api: FakeBotAPI, user: int, data: bytes, name: str) -> dict:
    """Send a file; returns the preview (the error workbook, when sent, comes before it)."""
    api.drain(user)
    api.send_document(user, data, name)
    while True:
        message = await h.expect(user)
        if "document" not in message:
            return message


async def test_openings_import_preview_save_and_notice(harness: BotHarness, api: FakeBotAPI
                                                       ) -> None:
    h = harness
    await people(h)
    book = await template(h, api, EMPLOYER)
    sheet = book["자료"]
    sheet.append(opening_row("행복제과"))
    sheet.append(opening_row("좋은식품", 임금="12,000원만"))  # not an amount
    sheet.append(opening_row("바른물산", 시군="아산시"))
    data = as_bytes(book)
    preview = await upload(h, api, EMPLOYER, data, "구인.xlsx")
    assert "저장 가능: 2건" in preview["text"] and "문제 있음: 1건" in preview["text"]
    assert "4행 임금:" in preview["text"]  # row 2 is the template's example, left out
    report = [m for m in api.sent_to(EMPLOYER) if "document" in m][-1]
    assert report["document"]["file_name"] == "itda-import-errors.xlsx"
    api.drain(SAEIL)
    saved = await h.press(EMPLOYER, preview, "2건 저장")
    assert "저장했습니다" in saved["text"] and "2건" in saved["text"]
    notice = await h.expect(SAEIL)  # 천안 centre: one notice for its one new opening
    assert "새 구인 1건" in notice["text"]
    listing = await h.press(SAEIL, notice, "새 구인 보기")
    assert "행복제과" in listing["text"] and "바른물산" not in listing["text"]
    assert h.runtime is not None
    async with h.runtime.session() as s:
        assert len(await openings_db.list_openings(session=s)) == 2
    # The same file again: nothing is ready, nothing saved twice.
    await h.send(EMPLOYER, "/import")
    await h.expect(EMPLOYER)
    again = await upload(h, api, EMPLOYER, data, "구인.xlsx")
    assert "이미 저장됨: 2건" in again["text"] and "이미 저장했습니다" in again["text"]
    assert not api.buttons(again)
    async with h.runtime.session() as s:
        assert len(await openings_db.list_openings(session=s)) == 2


async def test_seekers_from_cp949_csv(harness: BotHarness, api: FakeBotAPI,
                                      caplog: pytest.LogCaptureFixture) -> None:
    h = harness
    await people(h)
    caplog.set_level(logging.DEBUG)
    await template(h, api, SAEIL)
    rows = [seeker_row("김하나", "010-2345-6701"), seeker_row("이두리", "010-2345-6702"),
            seeker_row("박세나", "010-2345-6701")]  # the same phone as the first row
    rows[1][0] = ""  # no 제15조 consent date: refused
    preview = await upload(h, api, SAEIL, csv_bytes(SEEKER_HEADERS, rows, "cp949"), "명단.csv")
    assert "저장 가능: 1건" in preview["text"]
    assert "3행 제15조 동의일" in preview["text"] and "4행 휴대전화: 2행과 중복" in preview["text"]
    # A double tap on 저장 saves once.
    data = api.button(preview, "저장")
    api.drain(SAEIL)
    api.press(SAEIL, preview, data)
    api.press(SAEIL, preview, data)
    await h.expect(SAEIL)
    await h.settled()
    assert h.runtime is not None
    async with h.runtime.session() as s:
        people_saved = await seekers_db.list_seekers(session=s)
    assert len(people_saved) == 1
    assert h.runtime.cipher.decrypt(people_saved[0].name) == "김하나"
    assert "김하나" not in caplog.text and "010-2345-67" not in caplog.text


async def test_bad_files_and_groups(harness: BotHarness, api: FakeBotAPI) -> None:
    h = harness
    await people(h)
    await template(h, api, EMPLOYER)
    refused = await upload(h, api, EMPLOYER, b"\xd0\xcf\x11\xe0" + b"\0" * 60, "old.xls")
    assert ".xls" in refused["text"] and "xlsx" in refused["text"]
    broken = await upload(h, api, EMPLOYER, b"PK\x03\x04broken", "x.xlsx")
    assert "열 수 없습니다" in broken["text"]
    # A spreadsheet sent in a group is refused and never downloaded.
    api.add_group(GROUP, "협의회", members=[EMPLOYER])
    api.drain(GROUP)
    sent = api.send_document(EMPLOYER, b"a,b\n1,2\n", "명단.csv", chat_id=GROUP)
    answer = await h.expect(GROUP)
    assert "그룹에서 받지 않습니다" in answer["text"]
    file_id = sent["message"]["document"]["file_id"]
    assert not [c for c in api.calls
                if c.method == "getFile" and c.params.get("file_id") == file_id]
    assert h.runtime is not None
    async with h.runtime.session() as s:
        assert await openings_db.list_openings(session=s) == []


async def test_coordinator_picks_kind_and_agency(harness: BotHarness, api: FakeBotAPI) -> None:
    h = harness
    await people(h)
    choose = await h.send(COORD, "/import")
    agencies = await h.press(COORD, choose, "구직자")
    intro = await h.press(COORD, agencies, "아산")
    assert "구직자 일괄 등록" in intro["text"]
    doc = await h.expect(COORD)
    assert "document" in doc
    preview = await upload(h, api, COORD, csv_bytes(SEEKER_HEADERS, [seeker_row()], "utf-8-sig"),
                           "a.csv")
    await h.press(COORD, preview, "저장")
    assert h.runtime is not None
    async with h.runtime.session() as s:
        saved = await seekers_db.list_seekers(session=s)
    assert [p.agency_id for p in saved] and saved[0].agency_id != 0
