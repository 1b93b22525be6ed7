"""End to end: /status in the group and in private, the chart, /report, /reports and /export."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from models import audit as audit_db
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness
from tests.test_status_reports import SEEKER_NAMES, SEEKER_PHONES, seed_records

COORD, SAEIL, SAEIL2, EMPLOYER, STRANGER = 11, 12, 13, 14, 99
GROUP = -100700

CHART_WAIT = 60.0  # seconds


async def test_group_status_and_chart_show_aggregates_only(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    assert harness.runtime is not None
    await seed_records(harness.runtime)
    await harness.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await harness.add_member(SAEIL, "이수진", "saeil-cheonan", "staff")
    api.add_group(GROUP, "충남 실무자협의회", members=[COORD, SAEIL, STRANGER])
    api.add_user(STRANGER, "낯선사람")
    await harness.send(COORD, "/register_group", chat_id=GROUP)  # /status is for this group
    reply = await harness.send(SAEIL, "/status", chat_id=GROUP)
    text = reply["text"]
    assert "진행일정" in text and "충남북부상의" in text and "9월 실적보고" in text
    assert len(text) < 4096
    for secret in SEEKER_NAMES + SEEKER_PHONES:
        assert secret not in text
    # Drawing the chart is CPU work (matplotlib and the Korean font load on the first one): wait
    # for it as long as a busy machine may take, rather than assume the machine's speed.
    photo = await harness.press(SAEIL, reply, "차트", chat_id=GROUP, timeout=CHART_WAIT)
    assert photo["photo"] and "목표 달성률" in photo["caption"]
    stored = api.files[photo["photo"][0]["file_id"]]
    assert stored.data.startswith(b"\x89PNG")
    unknown = await harness.send(SAEIL, "/status 아산새일쎈터", chat_id=GROUP)
    assert "찾지 못했어요" in unknown["text"]
    narrowed = await harness.press(SAEIL, unknown, "아산새일센터", chat_id=GROUP)
    assert "추진 현황 — 아산새일센터" in narrowed["text"]
    chart = await harness.send(COORD, "/status 차트", chat_id=GROUP, timeout=CHART_WAIT)
    assert chart["photo"]
    refused = await harness.send(STRANGER, "/status", chat_id=GROUP)
    assert "초대 링크" in refused["text"]


async def test_staff_private_status_and_report_flow(harness: BotHarness, api: FakeBotAPI) -> None:
    assert harness.runtime is not None
    await seed_records(harness.runtime)
    await harness.add_member(SAEIL, "이수진", "saeil-cheonan", "staff")
    own = await harness.send(SAEIL, "/status")
    assert "천안여성새로일하기센터 — 2026 실적" in own["text"]
    assert "구직자: 3 / 목표 60 (5%)" in own["text"] and "8월 미제출" in own["text"]
    future = await harness.send(SAEIL, "/report 2026-12")
    assert "아직 오지 않은 달" in future["text"]
    before = await harness.send(SAEIL, "/report 2026-05")
    assert "사업 시작(2026-07) 전" in before["text"]
    review = await harness.send(SAEIL, "/report 2026-08")
    assert "천안시: 구인 0 · 구직자 3 · 만남의 날 1 · 면접 3 · 채용 1" in review["text"]
    regions = await harness.press(SAEIL, review, "숫자 고치기")
    metrics = await harness.press(SAEIL, regions, "천안시")
    ask = await harness.press(SAEIL, metrics, "구직자")
    assert "지금 3" in ask["text"]
    refused = await harness.send(SAEIL, "-4")
    assert "음수" in refused["text"]
    refused = await harness.send(SAEIL, "9999")
    assert "너무 커요" in refused["text"]
    reason = await harness.send(SAEIL, "5")
    assert "이유" in reason["text"]
    review = await harness.send(SAEIL, "전화 접수 2명 미등록")
    assert "구직자: 3 → 5 (사유: 전화 접수 2명 미등록)" in review["text"]
    confirm = await harness.press(SAEIL, review, "제출")
    assert "지연 제출" in confirm["text"]  # it is 9/1: August's deadline has passed
    done = await harness.press(SAEIL, confirm, "제출 확정")
    assert "지연 제출로 표시" in done["text"]
    assert not api.buttons(done)  # the confirm button is gone: no second submission
    locked = await harness.send(SAEIL, "/report 2026-08")
    assert "제출 완료 (1차, 잠김)" in locked["text"]
    ask = await harness.press(SAEIL, locked, "정정 보고")
    review = await harness.send(SAEIL, "채용 1건 추가 확인")
    assert "정정 보고" in review["text"] and "2차" in review["text"]
    confirm = await harness.press(SAEIL, review, "제출")
    done = await harness.press(SAEIL, confirm, "제출 확정")
    assert "(2차" in done["text"]


async def test_coordinator_table_nudge_and_export(harness: BotHarness, api: FakeBotAPI) -> None:
    assert harness.runtime is not None
    await seed_records(harness.runtime)
    await harness.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await harness.add_member(SAEIL2, "최은영", "saeil-asan", "staff")
    await harness.add_member(SAEIL, "이수진", "saeil-cheonan", "staff")
    review = await harness.send(SAEIL, "/report")
    confirm = await harness.press(SAEIL, review, "제출")
    done = await harness.press(SAEIL, confirm, "제출 확정")
    assert "2026-09 실적보고를 제출했어요" in done["text"]
    refused = await harness.send(SAEIL, "/reports")
    assert "권한이 없어요" in refused["text"]
    table = await harness.send(COORD, "/reports")
    assert "1/18" in table["text"] and "✅ 천안새일센터" in table["text"]
    assert "❌ 아산새일센터 미제출" in table["text"]
    api.drain(SAEIL2)
    result = await harness.press(COORD, table, "다시 알리기")
    assert "충남도의 2026-09 실적보고가 아직" in result["text"]  # the coordinator's own agency
    result = await harness.expect(COORD)
    assert "미제출 17곳에 알렸어요: 2명에게 보냄" in result["text"]
    nudge = await harness.expect(SAEIL2)
    assert "아산새일센터의 2026-09 실적보고가 아직" in nudge["text"]
    assert not [m for m in api.sent_to(SAEIL) if "아직 제출되지" in (m.get("text") or "")]

    refused = await harness.send(SAEIL2, "/export")
    assert "권한이 없어요" in refused["text"]
    bad = await harness.send(COORD, "/export 2026-11-30 2026-07-01")
    assert "종료일(2026-07-01)이 시작일(2026-11-30)보다 앞서요" in bad["text"]
    menu = await harness.send(COORD, "/export")
    document = await harness.press(COORD, menu, "연간 전체")
    assert document["document"]["file_name"] == "itda-20260701-20261231.xlsx"
    book = load_workbook(io.BytesIO(api.files[document["document"]["file_id"]].data))
    seekers = book["구직자"]
    assert seekers["C3"].value == "홍*순" and seekers["D3"].value == "010-****-5678"
    csv_zip = await harness.press(COORD, document, "CSV")
    assert csv_zip["document"]["file_name"].endswith("-csv.zip")


async def test_coordinator_changes_a_date_and_a_target(harness: BotHarness) -> None:
    assert harness.runtime is not None
    await harness.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    overview = await harness.send(COORD, "/status")
    steps = await harness.press(COORD, overview, "일정 변경")
    assert "3. 시간선택제 일자리 발굴 — 8/1~9/5" in steps["text"]
    fields = await harness.press(COORD, steps, "3. 시간선택제 일자리 발굴")
    ask = await harness.press(COORD, fields, "마감일 변경")
    bad = await harness.send(COORD, "9월 31일")
    assert "날짜로 읽을 수 없어요" in bad["text"]
    early = await harness.send(COORD, "7/1")
    assert "시작일이 마감일보다 늦을 수 없어요" in early["text"]
    saved = await harness.send(COORD, "9/12")
    assert "8/1~9/12" in saved["text"]
    del ask
    agencies = await harness.send(COORD, "/targets")
    metrics = await harness.press(COORD, agencies, "아산새일센터")
    ask = await harness.press(COORD, metrics, "구직자")
    assert "0~10000" in ask["text"]
    refused = await harness.send(COORD, "-5")
    assert "0부터 10000 사이" in refused["text"]
    saved = await harness.send(COORD, "55명")
    assert "구직자 목표를 55로 저장했어요" in saved["text"]
    reply = await harness.send(COORD, "/status 아산새일센터")
    assert "구직자 0/55" in reply["text"]
    async with harness.runtime.session() as s:
        actions = [e.action for e in await audit_db.list_audit(session=s)]
    assert actions == ["programme.change", "target.set"]
