"""/hires over the fake Bot API: a 새일센터 corrects a hire's start date (a future date refused,
a typed date taken, the follow-ups moved with it) and takes a hire back (confirmed first; the
opening's position and the seeker's search come back, the follow-ups are cancelled, a double tap
does nothing twice); another centre has nothing to correct; a coordinator sees the seeker
masked."""

from __future__ import annotations

from datetime import date

from core.statuses import FollowUpState, OpeningStatus, SeekerStatus
from models import audit as audit_db
from models import followups as followups_db
from models import hires as hires_db
from models import openings as openings_db
from models import seekers as seekers_db
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness
from tests.test_followups_e2e import COORD, OTHER_SAEIL, SAEIL, hire_at_start
from tests.test_reminders_e2e import setup_council


async def points_due(h: BotHarness, hire_id: int) -> list[date]:
    assert h.runtime is not None
    async with h.runtime.session() as s:
        points = await followups_db.points_of_hire(session=s, hire_id=hire_id)
    return sorted(p.due_on for p in points if p.state == FollowUpState.DUE)


async def test_a_centre_corrects_a_hires_date_then_takes_it_back(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    h = harness
    await setup_council(h)
    await h.add_member(OTHER_SAEIL, "정하나", "saeil-asan")
    hire_id = await hire_at_start(h)
    before = await points_due(h, hire_id)

    listed = await h.send(SAEIL, "/hires")
    assert "고치거나 취소할 취업 등록" in listed["text"]
    detail = await h.press(SAEIL, listed, f"#{hire_id} 홍길동")
    assert f"취업 #{hire_id}" in detail["text"] and "2026-09-01" in detail["text"]
    assert [label for label, _ in api.buttons(detail)] == ["취업일 고치기", "등록 취소", "닫기"]

    asked = await h.press(SAEIL, detail, "취업일 고치기")
    assert "새 취업일" in asked["text"]
    future = await h.send(SAEIL, "9/15")  # the harness's day is 2026-09-01
    assert "새 취업일" in future["text"] and "2026-09-15" in future["text"]
    changed = await h.send(SAEIL, "8/25")
    assert "2026-08-25로 고쳤어요" in changed["text"]
    after = await points_due(h, hire_id)
    assert len(after) == len(before) and after[0] < before[0]
    assert h.runtime is not None
    async with h.runtime.session() as s:
        hire = await hires_db.get_hire(session=s, hire_id=hire_id)
        assert hire is not None and hire.hired_on == date(2026, 8, 25)

    listed = await h.send(SAEIL, "/hires")
    detail = await h.press(SAEIL, listed, f"#{hire_id} 홍길동")
    confirm = await h.press(SAEIL, detail, "등록 취소")
    assert "등록을 취소할까요?" in confirm["text"] and "모집인원" in confirm["text"]
    done = await h.press(SAEIL, confirm, "네, 취소합니다")
    assert f"취업 #{hire_id} 등록을 취소했어요" in done["text"]
    async with h.runtime.session() as s:
        hire = await hires_db.get_hire(session=s, hire_id=hire_id)
        assert hire is not None and hire.deleted_at is not None
        opening = await openings_db.get_opening(session=s, opening_id=hire.opening_id)
        seeker = await seekers_db.get_seeker(session=s, seeker_id=hire.seeker_id)
        assert opening is not None and opening.positions_filled == 0
        assert opening.status == OpeningStatus.OPEN
        assert seeker is not None and seeker.status == SeekerStatus.SEEKING
    assert await points_due(h, hire_id) == []
    # The same button again (a double tap that left the phone before the first's answer came;
    # the keyboard is gone since): told the screen is old, nothing taken back twice.
    api.drain(SAEIL)
    h.press_data(SAEIL, confirm, api.button(confirm, "네, 취소합니다"))
    again = await h.expect(SAEIL)
    assert "취소했어요" not in again["text"]
    async with h.runtime.session() as s:
        trail = await audit_db.list_audit(session=s, action_prefix="hire.delete")
    assert [entry.entity_id for entry in trail] == [hire_id]
    assert (await h.send(SAEIL, "/hires"))["text"].startswith("고칠 수 있는 취업 등록이 없어요")


async def test_only_the_hires_centre_and_the_coordinators_see_it(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    h = harness
    await setup_council(h)
    await h.add_member(OTHER_SAEIL, "정하나", "saeil-asan")
    hire_id = await hire_at_start(h)

    other = await h.send(OTHER_SAEIL, "/hires")
    assert other["text"].startswith("고칠 수 있는 취업 등록이 없어요")
    listed = await h.send(COORD, "/hires")
    labels = [label for label, _ in api.buttons(listed)]
    assert any(label.startswith(f"#{hire_id} 홍*동") for label in labels), labels
    # Closing changes nothing.
    closed = await h.press(COORD, listed, "닫기")
    assert "바꾸지 않았어요" in closed["text"]
