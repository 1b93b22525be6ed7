"""사후관리 over the fake Bot API, the clock injected: a hire walked through its three points
(근무 중 from the reminder, 나중에 three times, 퇴사 with a typed date and a reason), the double
tap, another centre's tap, the coordinators' counts and the overdue chase."""

from __future__ import annotations

from datetime import date

from core.statuses import FollowUpState
from models import followups as followups_db
from models import members as members_db
from services import hires, openings, seekers
from services.membership import Actor
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness
from tests.test_records_services import OPENING, seeker_draft
from tests.test_reminders_e2e import pass_at, setup_council

COORD, SAEIL, OTHER_SAEIL = 10, 14, 15


async def hire_at_start(h: BotHarness) -> int:
    """An opening of the chamber, a seeker of 천안새일센터, hired on 9/1 (the harness's day)."""
    assert h.runtime is not None
    rt = h.runtime
    async with rt.session() as s:
        employer = await members_db.get_member_by_telegram_id(session=s, telegram_id=11)
        saeil = await members_db.get_member_by_telegram_id(session=s, telegram_id=SAEIL)
        assert employer is not None and saeil is not None
        opening, _ = await openings.create_opening(
            session=s, clock=h.clock, actor=Actor(11, employer), draft=OPENING,
            minimum_wage={2026: 10_320})
        seeker = await seekers.create_seeker(
            session=s, clock=h.clock, actor=Actor(SAEIL, saeil), cipher=rt.cipher,
            draft=seeker_draft(rt, "010-5555-6666"), consent_at=h.clock.now())
        hire = await hires.record_hire(
            session=s, clock=h.clock, actor=Actor(SAEIL, saeil), seeker_id=seeker.id or 0,
            opening_id=opening.id or 0, hired_on=date(2026, 9, 1))
    return hire.id or 0


def last_answer(api: FakeBotAPI) -> str:
    return str(api.answered_callbacks[-1].get("text") or "")


async def test_a_hire_through_its_three_points(harness: BotHarness, api: FakeBotAPI) -> None:
    h = harness
    await setup_council(h)
    await h.add_member(OTHER_SAEIL, "정하나", "saeil-asan")
    hire_id = await hire_at_start(h)

    # 10/1 10:00: the 1-month point reaches the centre, the seeker named as the centre sees her.
    api.drain(SAEIL)
    await pass_at(h, "2026-10-01T10:00")
    ask = await h.expect(SAEIL)
    assert "1개월 점검" in ask["text"] and "홍길동" in ask["text"]
    assert [label for label, _ in api.buttons(ask)] == ["근무 중", "퇴사", "연락 안 됨", "나중에"]
    # Another centre's staff forging that button in their own chat is refused; nothing stored.
    own = await h.send(OTHER_SAEIL, "/followups")
    assert "답할 사후관리 점검이 없어요" in own["text"]
    api.drain(OTHER_SAEIL)
    h.press_data(OTHER_SAEIL, own, api.button(ask, "근무 중"))
    assert "다른 센터" in (await h.expect(OTHER_SAEIL))["text"]
    saved = await h.press(SAEIL, ask, "근무 중")
    assert "기록했어요" in saved["text"] and "근무 중" in saved["text"]
    # A second tap that left the phone before the first's answer came (the keyboard is gone
    # since): answered quietly, nothing sent, nothing stored twice.
    api.drain(SAEIL)
    query = h.press_data(SAEIL, ask, api.button(ask, "연락 안 됨"))
    await api.wait_for(lambda c: c.method == "answerCallbackQuery"
                       and c.params.get("callback_query_id") == query)
    await h.settled()
    assert api.sent_to(SAEIL)[-1]["message_id"] == saved["message_id"]
    assert "이미 기록한 점검" in last_answer(api) and "근무 중" in last_answer(api)

    # 12/1: the 3-month point; 나중에 three times, asked again each next business day.
    api.drain(SAEIL)
    await pass_at(h, "2026-12-01T10:00")
    ask = await h.expect(SAEIL)
    assert "3개월 점검" in ask["text"]
    for n, day in enumerate(("2026-12-02", "2026-12-03", "2026-12-04"), 1):
        later = await h.press(SAEIL, ask, "나중에")
        assert f"{n}/3" in later["text"]
        api.drain(SAEIL)
        await pass_at(h, f"{day}T10:00")
        ask = await h.expect(SAEIL)
        assert "3개월 점검" in ask["text"]
    assert "나중에" not in [label for label, _ in api.buttons(ask)]  # the last time
    assert "마지막" in ask["text"]
    listed = await h.send(SAEIL, "/followups")
    assert "기한 지남 1건" in listed["text"] and "⏰" in api.buttons(listed)[0][0]
    counts = await h.send(COORD, "/followups")
    assert "천안새일센터" in counts["text"] and "1건" in counts["text"]
    assert "홍길동" not in counts["text"]  # coordinators see counts, never names

    # 퇴사: a date before the start is refused and asked again; then a reason; both stored.
    question = await h.press(SAEIL, ask, "퇴사")
    assert "언제 그만두었나요" in question["text"]
    again = await h.send(SAEIL, "8/20")
    assert "근무 시작일" in again["text"]
    reason = await h.send(SAEIL, "11/20")
    assert "이유" in reason["text"]
    done = await h.press(SAEIL, reason, "본인 사정")
    assert "퇴사 (2026.11.20, 본인 사정)" in done["text"]
    assert "다른 점검 1건" in done["text"]  # the 6-month point: she has left by then
    assert h.runtime is not None
    async with h.runtime.session() as s:
        points = await followups_db.points_of_hire(session=s, hire_id=hire_id)
    assert [(p.months, p.state, p.left_on) for p in points] == [
        (1, FollowUpState.EMPLOYED, None), (3, FollowUpState.LEFT, date(2026, 11, 20)),
        (6, FollowUpState.LEFT, date(2026, 11, 20))]
    empty = await h.send(SAEIL, "/followups")
    assert "답할 사후관리 점검이 없어요" in empty["text"]


async def test_overdue_points_are_chased_centre_first_then_coordinators(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    h = harness
    await setup_council(h)
    await hire_at_start(h)
    api.drain(SAEIL)
    await pass_at(h, "2026-10-01T10:00")  # asked, never answered
    assert "1개월 점검" in (await h.expect(SAEIL))["text"]
    api.drain(SAEIL)
    api.drain(COORD)
    await pass_at(h, "2026-10-19T10:00")  # the Monday after two weeks: overdue
    chase = await h.expect(SAEIL)
    assert "기한이 지났어요" in chase["text"] and "1건" in chase["text"]
    listed = await h.press(SAEIL, chase, "사후관리 열기")
    assert "기한 지남 1건" in listed["text"]
    await pass_at(h, "2026-10-20T10:00")
    summary = await h.expect(COORD)
    assert "사후관리 기한 지남 1건" in summary["text"] and "천안새일센터" in summary["text"]
    assert "홍길동" not in summary["text"]
