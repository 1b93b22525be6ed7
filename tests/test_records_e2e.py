"""End to end over HTTP: the opening and seeker forms, /mine, /match and /hire."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlmodel import delete, select

from models import audit as audit_db
from models import hires as hires_db
from models import members as members_db
from models import openings as openings_db
from models import seekers as seekers_db
from models.tables import BotData, ConversationState
from services import openings as openings_service
from services.membership import Actor
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness
from tests.records_helpers import (
    EMPLOYER_OPENING,
    SEEKER_FORM,
    start_opening,
    start_seeker,
    walk,
)

COORD, SAEIL, EMPLOYER, SAEIL_ASAN, EMPLOYER2, SAEIL2 = 11, 12, 13, 14, 15, 16


async def people(h: BotHarness) -> None:
    await h.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await h.add_member(SAEIL, "이수진", "saeil-cheonan")
    await h.add_member(EMPLOYER, "박정호", "chungnam-north-chamber")
    await h.add_member(SAEIL_ASAN, "최은영", "saeil-asan")
    await h.add_member(EMPLOYER2, "정다은", "chungnam-venture")


async def counts(h: BotHarness) -> tuple[int, int, int]:
    assert h.runtime is not None
    async with h.runtime.session() as s:
        return (len(await openings_db.list_openings(session=s)),
                len(await seekers_db.list_seekers(session=s)),
                len(await hires_db.list_hires(session=s)))


async def actions(h: BotHarness) -> list[str]:
    assert h.runtime is not None
    async with h.runtime.session() as s:
        return [e.action for e in await audit_db.list_audit(session=s)]


async def save_opening(h: BotHarness, user: int = EMPLOYER, steps: list[str] | None = None
                       ) -> dict:
    summary = await walk(h, user, await start_opening(h, user), steps or EMPLOYER_OPENING)
    return await h.press(user, summary, "저장")


async def quick_openings(h: BotHarness, n: int, user: int = EMPLOYER, **changes: object
                         ) -> None:
    """Openings saved through the service (the form itself is walked by other tests)."""
    assert h.runtime is not None
    base = {
        "company_name": "행복제과", "business_number": None, "industry": "제조",
        "job_title": "포장·사무보조", "duties": "제품 포장", "region_code": "cheonan",
        "employment_type": "regular_part_time", "weekly_hours": 20.0, "work_days": "월~금",
        "work_time": "10:00-15:00", "wage_type": "hourly", "wage_amount": 13_500,
        "positions": 2, "small_firm": "yes", "subsidy_approved": "yes", "deadline": None,
        "contact": "041-555-1234",
    } | changes
    async with h.runtime.session() as s:
        m = await members_db.get_member_by_telegram_id(session=s, telegram_id=user)
        for _ in range(n):
            await openings_service.create_opening(
                session=s, clock=h.clock, actor=Actor(user, m), draft=base,
                minimum_wage=h.runtime.council.minimum_wage)


async def save_seeker(h: BotHarness, user: int = SAEIL, steps: list[str] | None = None) -> dict:
    summary = await walk(h, user, await start_seeker(h, user), steps or SEEKER_FORM)
    return await h.press(user, summary, "저장")


async def test_opening_saved_and_shared_with_the_right_centre(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await people(harness)
    first = await start_opening(harness, EMPLOYER)
    assert "[1/17]" in first["text"] and "사업장명" in first["text"]
    summary = await walk(harness, EMPLOYER, first, EMPLOYER_OPENING)
    for shown in ("행복제과", "천안시", "주 20시간", "10:00-15:00", "13,500원", "2명",
                  "2026-09-30"):
        assert shown in summary["text"], shown
    assert "기준 확인" not in summary["text"]
    saved = await harness.press(EMPLOYER, summary, "저장")
    assert "행복제과 구인(#1)을 저장했어요" in saved["text"]
    # 천안새일센터 serves 천안시 and is told, with a button to see matching seekers.
    note = await harness.expect(SAEIL)
    assert "새 구인" in note["text"] and "행복제과" in note["text"]
    assert api.button(note, "맞는 구직자") == "match:o:1"
    seen = await harness.press(SAEIL, note, "맞는 구직자")
    assert "추천 구직자" in seen["text"] and "아직 없어요" in seen["text"]
    # Nobody else is told: not 아산새일센터, not the coordinator, not the author.
    await asyncio.sleep(0.05)
    assert api.sent_to(SAEIL_ASAN) == [] and api.sent_to(COORD) == []
    assert not any("📢" in m["text"] for m in api.sent_to(EMPLOYER))
    assert await counts(harness) == (1, 0, 0)
    assert "opening.create" in await actions(harness)


async def test_opening_refused_before_the_form_without_an_agency(harness: BotHarness) -> None:
    """The command table lets an admin in; the author check refuses one without an agency
    before any question is asked."""
    harness.api.add_user(1, "관리자")
    await harness.send(1, "/help")  # the admin becomes a member by writing once
    refused = await harness.send(1, "/opening")
    assert "소속 기관이 없어" in refused["text"]
    with pytest.raises(TimeoutError):
        await harness.expect(1, timeout=0.5)  # no intro, no first question
    assert await counts(harness) == (0, 0, 0)


async def test_part_time_rules_flag_and_save(harness: BotHarness) -> None:
    await people(harness)
    steps = list(EMPLOYER_OPENING)
    steps[7], steps[11], steps[13] = "35", "11,000", "@아니요"
    summary = await walk(harness, COORD, await start_opening(harness, COORD), steps)
    assert "주 15~30시간" in summary["text"] and "입력: 주 35시간" in summary["text"]
    assert "130% 이상(시급 13,416원)" in summary["text"] and "11,000원" in summary["text"]
    saved = await harness.press(COORD, summary, "그대로 저장")
    assert "기준 확인 필요" in saved["text"]
    assert harness.runtime is not None
    async with harness.runtime.session() as s:
        (opening,) = await openings_db.list_openings(session=s)
    assert opening.rule_flags == ["weekly_hours", "wage"] and opening.small_firm is False
    # A monthly wage typed as "월 …" switches the wage type; 209-hour month scaled to 25 h.
    steps = list(EMPLOYER_OPENING)
    steps[7], steps[11] = "25", "월 140만원"
    summary = await walk(harness, EMPLOYER, await start_opening(harness, EMPLOYER), steps)
    assert "월급" in summary["text"] and "시급 환산 10,717원" in summary["text"]


async def test_every_validation_error_reprompts(harness: BotHarness) -> None:
    await people(harness)
    h, u = harness, EMPLOYER
    msg = await start_opening(h, u)
    checks = [
        ("x" * 121, "120자", "[1/17]"), ("<b>회사</b>", "꺾쇠", "[1/17]"),
        ("행복제과", "사업자등록번호", "[2/17]"), ("220-81-62518", "검증번호", "[2/17]"),
        ("12345", "10자리", "[2/17]"), ("220-81-62517", "업종", "[3/17]"),
        ("제조업", "직무", "[4/17]"), ("포장", "하는 일", "[5/17]"), ("포장", "시군", "[6/17]"),
        ("서울", "버튼", "[6/17]"),  # not a 시군 of the council (천안 is: test_forms_typed_e2e)
    ]
    for text, expected, step in checks:
        msg = await h.send(u, text)
        assert expected in msg["text"] and step in msg["text"], (text, msg["text"])
    msg = await walk(h, u, msg, ["@천안시", "@정규직"])
    checks = [
        ("육십 시간", "주당 근무시간을 숫자로", "[8/17]"), ("60", "52시간 이하", "[8/17]"),
        ("20", "근무 요일", "[9/17]"), ("월~금", "근무 시간", "[10/17]"),
        ("15:00-10:00", "끝나는 시각", "[10/17]"), ("아침", "10시~15시", "[10/17]"),
        ("10-15", "임금 형태", "[11/17]"),
    ]
    for text, expected, step in checks:
        msg = await h.send(u, text)
        assert expected in msg["text"] and step in msg["text"], (text, msg["text"])
    msg = await walk(h, u, msg, ["@시급"])
    checks = [
        ("많이", "금액을 알아보지", "[12/17]"), ("500", "1,000원에서 200,000원", "[12/17]"),
        ("1만 3천5백원", "모집인원", "[13/17]"), ("0", "1에서 999", "[13/17]"),
        ("영 명", "1에서 999", "[13/17]"), ("두 명", "중소기업", "[14/17]"),
    ]
    for text, expected, step in checks:
        msg = await h.send(u, text)
        assert expected in msg["text"] and step in msg["text"], (text, msg["text"])
    msg = await walk(h, u, msg, ["@예", "@예"])
    checks = [
        ("8/30", "이미 지난 날짜", "[16/17]"), ("2/30", "날짜를 알아보지", "[16/17]"),
        ("9월 30일", "연락처", "[17/17]"),
    ]
    for text, expected, step in checks:
        msg = await h.send(u, text)
        assert expected in msg["text"] and step in msg["text"], (text, msg["text"])
    # Control characters are dropped; the summary shows the cleaned text.
    summary = await h.send(u, "인사팀\u0007 041-555-1234")
    assert "인사팀 041-555-1234" in summary["text"] and "1만" not in summary["text"]
    assert "13,500원" in summary["text"] and "2026-09-30" in summary["text"]
    assert await counts(h) == (0, 0, 0)  # nothing is stored before 저장


async def test_cancel_at_each_step_stores_nothing(harness: BotHarness) -> None:
    await people(harness)
    # The opening form: at every one of its 17 questions and at the summary, by button or by
    # /cancel; then in the edit menu.
    for i in range(len(EMPLOYER_OPENING) + 1):
        msg = await walk(harness, EMPLOYER, await start_opening(harness, EMPLOYER),
                         EMPLOYER_OPENING[:i])
        done = await (harness.press(EMPLOYER, msg, "취소") if i % 2
                      else harness.send(EMPLOYER, "/cancel"))
        assert "아무것도 저장하지 않았어요" in done["text"], i
    summary = await walk(harness, EMPLOYER, await start_opening(harness, EMPLOYER),
                         EMPLOYER_OPENING)
    menu = await harness.press(EMPLOYER, summary, "수정")
    done = await harness.send(EMPLOYER, "/cancel")
    assert "아무것도 저장하지 않았어요" in done["text"]
    stale = await harness.press(EMPLOYER, menu, "연락처")  # the old menu is dead now
    assert "더 이상 쓸 수 없어요" in stale["text"]
    # The seeker form: at every step, by button or by /cancel.
    for i in range(len(SEEKER_FORM) + 1):
        msg = await walk(harness, SAEIL, await start_seeker(harness, SAEIL), SEEKER_FORM[:i])
        done = await (harness.press(SAEIL, msg, "취소") if i % 2
                      else harness.send(SAEIL, "/cancel"))
        assert "아무것도 저장하지 않았어요" in done["text"], i
    # At the consent screen, /cancel and 거부 both store nothing.
    consent = await harness.send(SAEIL, "/seeker")
    for item in ("목적", "항목", "보유", "거부할 권리"):
        assert item in consent["text"]
    done = await harness.send(SAEIL, "/cancel")
    assert "아무것도 저장하지 않았어요" in done["text"]
    consent = await harness.send(SAEIL, "/seeker")
    refused = await harness.press(SAEIL, consent, "거부")
    assert "아무 정보도 저장하지 않았어요" in refused["text"]
    assert await counts(harness) == (0, 0, 0)
    after = await harness.send(SAEIL, "아무 말")
    assert "[1/" not in after["text"]  # no form is open any more


async def test_edit_before_save_double_tap_and_restart(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await people(harness)
    msg = await walk(harness, EMPLOYER, await start_opening(harness, EMPLOYER),
                     EMPLOYER_OPENING[:8])
    await harness.restart()  # the draft and the step survive a restart
    msg = await harness.send(EMPLOYER, "월~금")
    assert "[10/17]" in msg["text"]
    summary = await walk(harness, EMPLOYER, msg, EMPLOYER_OPENING[9:])
    menu = await harness.press(EMPLOYER, summary, "수정")
    ask = await harness.press(EMPLOYER, menu, "시군")
    assert "[6/17]" in ask["text"]
    summary = await harness.press(EMPLOYER, ask, "아산시")
    assert "아산시" in summary["text"] and "확인해 주세요" in summary["text"]
    # A double tap on 저장 creates one opening; the second tap is answered quietly.
    data = api.button(summary, "저장")
    api.drain(EMPLOYER)
    api.press(EMPLOYER, summary, data)
    api.press(EMPLOYER, summary, data)
    first = await harness.expect(EMPLOYER)
    assert "저장했어요" in first["text"]
    await harness.settled()
    assert api.answered_callbacks[-1].get("text") == "이미 저장했어요 #1"
    with pytest.raises(TimeoutError):
        await harness.expect(EMPLOYER, timeout=0.5)
    assert await counts(harness) == (1, 0, 0)
    note = await harness.expect(SAEIL_ASAN)  # the opening moved to 아산시: 아산 is told
    assert "행복제과" in note["text"]


async def test_save_repeated_after_a_crash_tells_the_centre_once(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    """The process saved the opening and told the 새일센터, then died before the closed form was
    written: after the restart the form is open again at its summary and the author taps 저장
    once more. The receipt gives back the same opening, re-confirmed to the author only; a
    redelivery of the first tap is skipped. Each 새일센터 member is told exactly once."""
    await people(harness)
    await harness.add_member(SAEIL2, "한지우", "saeil-cheonan")
    summary = await walk(harness, EMPLOYER, await start_opening(harness, EMPLOYER),
                         EMPLOYER_OPENING)
    assert harness.runtime is not None
    async with harness.runtime.session() as s:  # the form at its summary, as stored
        draft = dict((await s.get(BotData, ("user", EMPLOYER))).data)
        states = [(c.name, c.key, c.state) for c in (await s.exec(select(ConversationState)))]
    assert "opening" in draft and any(name == "opening" for name, _, _ in states)
    data = api.button(summary, "저장")
    api.drain(EMPLOYER)
    tap = api.press(EMPLOYER, summary, data)
    saved = await harness.expect(EMPLOYER)
    assert "행복제과 구인(#1)을 저장했어요" in saved["text"]
    for member in (SAEIL, SAEIL2):
        assert "새 구인" in (await harness.expect(member))["text"]

    await harness.stop()  # the crash: the end of the form was never written
    async with harness.runtime.session() as s:
        row = await s.get(BotData, ("user", EMPLOYER))
        row.data = draft
        s.add(row)
        await s.exec(delete(ConversationState))
        for name, key, state in states:
            s.add(ConversationState(name=name, key=key, state=state))
    await harness.start()
    again = await harness.send(EMPLOYER, "저장")  # typed at the summary: shown again
    assert "버튼" in again["text"]
    summary = await harness.expect(EMPLOYER)
    assert "행복제과" in summary["text"]
    resaved = await harness.press(EMPLOYER, summary, "저장")
    assert "행복제과 구인(#1)을 저장했어요" in resaved["text"]
    api.send_update(tap)  # Telegram delivers the first tap again: already processed
    with pytest.raises(TimeoutError):  # (also time for the sharing task to run)
        await harness.expect(EMPLOYER, timeout=0.6)

    assert await counts(harness) == (1, 0, 0)
    for member in (SAEIL, SAEIL2):
        notices = [m for m in api.sent_to(member) if "새 구인" in m["text"]]
        assert len(notices) == 1, (member, [m["text"] for m in notices])
    assert api.sent_to(SAEIL_ASAN) == [] and api.sent_to(COORD) == []
    assert (await actions(harness)).count("opening.create") == 1


async def test_the_centre_is_told_even_when_the_confirmation_fails(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    """The notices start before the author's confirmation: a repeated 저장 does not send them,
    so a confirmation that cannot be delivered must not take them down with it."""
    await people(harness)
    summary = await walk(harness, EMPLOYER, await start_opening(harness, EMPLOYER),
                         EMPLOYER_OPENING)
    data = api.button(summary, "저장")
    api.block(EMPLOYER)  # every edit and message to the author now answers 403
    api.press(EMPLOYER, summary, data)
    note = await harness.expect(SAEIL)
    assert "새 구인" in note["text"] and "행복제과" in note["text"]
    assert await counts(harness) == (1, 0, 0)


async def test_mine_edit_status_and_delete(harness: BotHarness) -> None:
    await people(harness)
    await save_opening(harness)
    await quick_openings(harness, 5)
    listing = await harness.send(EMPLOYER, "/mine")
    assert "6건" in listing["text"] and "(1/2쪽)" in listing["text"]
    page2 = await harness.press(EMPLOYER, listing, "다음")
    assert "#1 " in page2["text"] and "(2/2쪽)" in page2["text"]
    detail = await harness.press(EMPLOYER, page2, "#1")
    assert "모집인원: 2명" in detail["text"]
    fields = await harness.press(EMPLOYER, detail, "항목 수정")
    ask = await harness.press(EMPLOYER, fields, "모집인원")
    bad = await harness.send(EMPLOYER, "많이")
    assert "1에서 999" in bad["text"]
    done = await harness.send(EMPLOYER, "5")
    assert "바꿨어요" in done["text"] and "모집인원: 5명" in done["text"]
    statuses = await harness.press(EMPLOYER, done, "상태 변경")
    closed = await harness.press(EMPLOYER, statuses, "마감")
    assert "· 마감" in closed["text"]
    confirm = await harness.press(EMPLOYER, closed, "삭제")
    assert "삭제할까요" in confirm["text"]
    gone = await harness.press(EMPLOYER, confirm, "네, 삭제해요")
    assert "삭제했어요" in gone["text"]
    listing = await harness.expect(EMPLOYER)
    assert "5건" in listing["text"]
    filtered = await harness.press(EMPLOYER, await harness.press(EMPLOYER, listing, "상태별"),
                                   "마감")
    assert "0건" in filtered["text"]
    ask = await harness.press(EMPLOYER, filtered, "검색")
    assert "검색어" in ask["text"]
    assert (await counts(harness))[0] == 5
    # Another association's staff cannot open this agency's record (not in their /mine).
    other = await harness.send(EMPLOYER2, "/mine")
    assert "0건" in other["text"]
    log = await actions(harness)
    assert {"opening.edit", "opening.status", "opening.delete"} <= set(log)


async def test_seekers_duplicates_masking_matching_and_hire(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await people(harness)
    saved = await save_seeker(harness)
    assert "구직자(#1)를 저장했어요" in saved["text"]
    # Employer associations cannot register seekers.
    refused = await harness.send(EMPLOYER, "/seeker")
    assert "권한이 없어요" in refused["text"]
    # The same number at another centre: told which centre holds it, no second record.
    await walk(harness, SAEIL_ASAN, await start_seeker(harness, SAEIL_ASAN), ["김영희"])
    dup = await harness.send(SAEIL_ASAN, "01012345678")
    assert "천안여성새로일하기센터에서 등록한 번호" in dup["text"] and "[2/12]" in dup["text"]
    await harness.send(SAEIL_ASAN, "/cancel")
    no_consent = list(SEEKER_FORM)
    no_consent[1], no_consent[0], no_consent[10] = "010-2222-3333", "김영희", "@아니요"
    await save_seeker(harness, SAEIL_ASAN, no_consent)
    assert (await counts(harness))[1] == 2
    # Openings: 천안 (same region) and 아산 (neighbour), then a far one (태안): left out.
    await save_opening(harness)
    assert "📢" in (await harness.expect(SAEIL))["text"]
    await quick_openings(harness, 1, company_name="아산물류", region_code="asan")
    await quick_openings(harness, 1, COORD, company_name="태안펜션", region_code="taean")
    # The centre sees its own seeker in full (audited), the openings ranked by region.
    ranked = await harness.send(SAEIL, "/match s1")
    text = ranked["text"]
    assert "홍길동" in text and text.index("행복제과") < text.index("아산물류")
    assert "태안펜션" not in text and "같은 시군(천안시)" in text and "이웃 시군" in text
    # Another centre sees the seekers of an opening masked, without contacts.
    masked = await harness.send(SAEIL_ASAN, "/match o1")
    assert "홍*동" in masked["text"] and "홍길동" not in masked["text"]
    assert "010-1234" not in masked["text"] and "****" not in masked["text"]
    assert "김영희" in masked["text"]  # its own seeker, in full
    # The employer sees contacts only with the 제17조 consent (홍길동 gave it, 김영희 not).
    employer_view = await harness.send(EMPLOYER, "/match o1")
    assert "홍길동" in employer_view["text"] and "010-1234-5678" in employer_view["text"]
    assert "김*희" in employer_view["text"] and "010-2222-3333" not in employer_view["text"]
    assert "육아" not in employer_view["text"]  # the career-break reason is internal
    coordinator_view = await harness.send(COORD, "/match o1")
    assert "홍*동" in coordinator_view["text"] and "010-1234" not in coordinator_view["text"]
    views = [a for a in await actions(harness) if a == "seeker.view"]
    # Unmasked views only: 천안 (s1), 아산 (its own), the employer (consented 홍길동).
    assert len(views) == 3
    # Hire from the match result: date typed wrong, then 오늘; bookkeeping follows.
    hire_ask = await harness.press(SAEIL, ranked, "구인 #1에 취업 등록")
    future = await harness.send(SAEIL, "9/20")
    assert "아직 오지 않은 날짜" in future["text"]
    confirm = await harness.press(SAEIL, future, "오늘")
    assert "홍길동" in confirm["text"] and "2026-09-01" in confirm["text"]
    done = await harness.press(SAEIL, confirm, "저장")
    assert "남은 모집인원: 1명" in done["text"]
    assert hire_ask is not None and (await counts(harness))[2] == 1
    again = await harness.press(SAEIL, ranked, "구인 #1에 취업 등록")
    confirm = await harness.press(SAEIL, again, "오늘")
    dup_hire = await harness.press(SAEIL, confirm, "저장")
    assert "이미 이 구인에 취업 등록" in dup_hire["text"]
    # Editing a seeker's phone in /mine: a number another centre holds is refused.
    listing = await harness.send(SAEIL, "/mine")
    detail = await harness.press(SAEIL, listing, "#1")
    assert "010-1234-5678" in detail["text"] and "육아" in detail["text"]
    ask = await harness.press(SAEIL, await harness.press(SAEIL, detail, "항목 수정"), "휴대전화")
    taken = await harness.send(SAEIL, "010-2222-3333")
    assert "아산여성새로일하기센터에서 등록한 번호" in taken["text"]
    changed = await harness.send(SAEIL, "+82 10 9876 5432")
    assert "바꿨어요" in changed["text"] and "010-9876-5432" in changed["text"]
    assert ask and "seeker.edit" in await actions(harness)
    # /mine for the centre: its seekers, searchable by name.
    listing = await harness.send(SAEIL, "/mine")
    assert "1명" in listing["text"] and "취업" in listing["text"]
    ask = await harness.press(SAEIL, listing, "검색")
    found = await harness.send(SAEIL, "길동")
    assert "#1 홍길동" in found["text"] and "'길동' 검색" in found["text"]
    none = await harness.press(SAEIL, await harness.press(SAEIL, found, "조건 지우기"), "검색")
    assert ask and none
    empty = await harness.send(SAEIL, "없는사람")
    assert "해당하는 기록이 없어요" in empty["text"]


async def test_hire_command_fills_the_last_position(harness: BotHarness) -> None:
    await people(harness)
    await save_seeker(harness)
    one = list(EMPLOYER_OPENING)
    one[12] = "1"
    await save_opening(harness, steps=one)
    assert "📢" in (await harness.expect(SAEIL))["text"]
    pick = await harness.send(SAEIL, "/hire")
    openings_ = await harness.press(SAEIL, pick, "#1")
    date_ask = await harness.press(SAEIL, openings_, "#1 행복제과")
    confirm = await harness.send(SAEIL, "9/1")
    done = await harness.press(SAEIL, confirm, "저장")
    assert "채용완료" in done["text"] and date_ask
    listing = await harness.send(EMPLOYER, "/mine")
    assert re.search(r"#1 행복제과 .* 채용완료", listing["text"])
    seekers_left = await harness.send(SAEIL, "/hire")
    assert "취업 등록할 구직자가 없어요" in seekers_left["text"]
