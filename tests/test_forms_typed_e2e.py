"""End to end over HTTP: forms accept what people type (issue 14): a button's label or a clear
short form of it typed at a button step, 모름/건너뛰기 typed at an optional one, a multi-line
answer inside the summary's bullet list, record buttons cut at a word, the consent step's words
and a /help that offers only what the member can do."""

from __future__ import annotations

import re

from core.text import HANG
from models import members as members_db
from models import seekers as seekers_db
from services import openings as openings_service
from services.membership import Actor
from tests.harness import BotHarness
from tests.records_helpers import EMPLOYER_OPENING, SEEKER_FORM, start_opening, start_seeker, walk

SAEIL, EMPLOYER = 12, 13

# The employer's opening, every button step typed instead of tapped.
TYPED_OPENING = [
    "행복제과", "모름", "제조업", "포장·사무보조", "제품 포장과 주문 정리", "천안",
    "정규직", "20", "월~금", "10:00-15:00", "시급", "13,500", "2", "네", "아니요",
    "건너뛰기", "인사팀 041-555-1234",
]


async def people(h: BotHarness) -> None:
    await h.add_member(SAEIL, "이수진", "saeil-cheonan")
    await h.add_member(EMPLOYER, "박정호", "chungnam-north-chamber")


def field(summary: str, label: str) -> str:
    found = re.search(rf"^• {label}: (.*)$", summary, re.M)
    assert found, (label, summary)
    return found.group(1)


async def test_button_steps_take_typed_labels_and_short_forms(harness: BotHarness) -> None:
    await people(harness)
    summary = await walk(harness, EMPLOYER, await start_opening(harness, EMPLOYER),
                         TYPED_OPENING)
    text = summary["text"]
    assert "버튼을 눌러" not in text, text
    assert field(text, "시군") == "천안시"
    assert field(text, "고용 형태") == "정규직(시간선택제)"
    assert field(text, "임금 형태") == "시급"
    assert "예" in field(text, "중소기업") and "아니요" in field(text, "승인사업장")
    assert field(text, "사업자등록번호") == "—" and field(text, "접수 마감") == "—"
    saved = await harness.press(EMPLOYER, summary, "저장")
    assert "저장했어요" in saved["text"]


async def test_a_typed_answer_naming_no_button_or_several_asks_again(
    harness: BotHarness,
) -> None:
    await people(harness)
    question = await walk(harness, SAEIL, await start_seeker(harness, SAEIL), SEEKER_FORM[:3])
    assert "시군" in question["text"]
    for unclear in ("서울", "천", "모름"):  # no 시군 of the council; too short; not optional
        again = await harness.send(SAEIL, unclear)
        assert "버튼을 눌러" in again["text"], (unclear, again["text"])
    steps = ["천안시", "사무보조, 포장", "20", "오"]  # 오: 오전 or 오후
    unclear_time = await walk(harness, SAEIL, again, steps)
    assert "버튼을 눌러" in unclear_time["text"]
    summary = await walk(harness, SAEIL, unclear_time,
                         ["상관없음", "모름", "육아", "3", "네", "건너뛰기"])
    text = summary["text"]
    assert field(text, "거주 시군") == "천안시"
    assert field(text, "희망 시간대") == "상관없음"
    assert field(text, "희망 시급") == "—" and field(text, "메모") == "—"
    assert field(text, "제3자 제공 동의") == "예"


async def test_a_multi_line_answer_stays_inside_its_bullet(harness: BotHarness) -> None:
    await people(harness)
    steps = list(EMPLOYER_OPENING)  # buttons tapped
    steps[4] = "• 제품 포장\n\n- 주문 정리\n재고 확인"
    summary = await walk(harness, EMPLOYER, await start_opening(harness, EMPLOYER), steps)
    lines = summary["text"].split("\n")
    start = next(n for n, line in enumerate(lines) if "하는 일" in line)
    assert lines[start].startswith("• ") and lines[start].endswith("• 제품 포장")
    assert lines[start + 1:start + 4] == [f"{HANG}- 주문 정리", f"{HANG}재고 확인",
                                          lines[start + 3]]
    assert lines[start + 3].startswith("• ")  # the next field's bullet follows at once
    fields = [line for line in lines[1:] if line and not line.startswith(HANG)]
    assert all(line.startswith("• ") for line in fields[:17]), fields


async def test_record_buttons_are_cut_at_a_word_never_inside_a_bracket(
    harness: BotHarness,
) -> None:
    await people(harness)
    assert harness.runtime is not None
    draft = {
        "company_name": "다온물류", "business_number": None, "industry": "물류",
        "job_title": "사무 보조(오전 4시간) 및 포장 검수 업무", "duties": "사무 보조",
        "region_code": "cheonan", "employment_type": "regular_part_time",
        "weekly_hours": 20.0, "work_days": "월~금", "work_time": "09:00-13:00",
        "wage_type": "hourly", "wage_amount": 13_500, "positions": 2, "small_firm": "yes",
        "subsidy_approved": "yes", "deadline": None, "contact": "041-555-1234",
    }
    async with harness.runtime.session() as s:
        employer = await members_db.get_member_by_telegram_id(session=s, telegram_id=EMPLOYER)
        await openings_service.create_opening(
            session=s, clock=harness.clock, actor=Actor(EMPLOYER, employer), draft=draft,
            minimum_wage=harness.runtime.council.minimum_wage)
    summary = await walk(harness, SAEIL, await start_seeker(harness, SAEIL), SEEKER_FORM)
    await harness.press(SAEIL, summary, "저장")
    async with harness.runtime.session() as s:
        assert len(await seekers_db.list_seekers(session=s)) == 1
    pick = await harness.send(SAEIL, "/hire")
    openings = await harness.press(SAEIL, pick, "#1")
    labels = [b["text"] for row in openings["reply_markup"]["inline_keyboard"] for b in row
              if b["text"].startswith("#")]
    assert labels, openings
    for label in labels:
        assert label.count("(") == label.count(")"), label
        assert len(label) <= 40, label
    assert any(label.startswith("#1 다온물류 사무 보조") for label in labels), labels


async def test_the_consent_step_says_it_is_kept_only_with_the_saved_form(
    harness: BotHarness,
) -> None:
    await people(harness)
    consent = await harness.send(SAEIL, "/seeker")
    agreed = await harness.press(SAEIL, consent, "동의")
    assert "저장 전에는 아무것도 남지 않아요" not in agreed["text"]
    assert "저장할 때 함께 보관" in agreed["text"]
    assert "저장하지 않고 그만두면 동의도 남지 않아요" in agreed["text"]


async def test_help_offers_only_what_the_member_can_do_here(harness: BotHarness) -> None:
    await people(harness)
    harness.api.add_user(1, "관리자")  # ADMIN_IDS=1: an admin without an agency
    admin_help = (await harness.send(1, "/help"))["text"]
    for absent in ("/opening", "/hire", "/mine", "/seeker"):
        assert absent not in admin_help, (absent, admin_help)
    assert "/invite" in admin_help and "/status" in admin_help
    centre_help = (await harness.send(SAEIL, "/help"))["text"]
    for present in ("/seeker", "/mine", "/hire"):
        assert present in centre_help, (present, centre_help)
    assert "/opening" not in centre_help
    employer_help = (await harness.send(EMPLOYER, "/help"))["text"]
    assert "/opening" in employer_help and "/hire" not in employer_help
