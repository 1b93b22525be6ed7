"""End to end over HTTP: a council meeting (create, RSVP, attendance, notes, .ics) and a meeting
day (invite, waiting list, checklist, results and hires, close), cancellation notices, and
seekers' details kept from other agencies and the group."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from locales import Translator
from models import council as council_db
from models.tables import (
    Attendance,
    BotData,
    ConversationState,
    GroupChat,
    Hire,
    JobOpening,
    JobSeeker,
    Meeting,
    Member,
    SaveReceipt,
)
from services import meetings as svc
from services.membership import Actor
from testing.fakeapi import FakeBotAPI
from testing.fakeapi.server import Upload
from tests.harness import BotHarness
from tests.test_authorization import forged_press

COORD, SAEIL, EMPLOYER, ASAN, LEAVER, SAEIL2 = 11, 12, 13, 14, 15, 16
GROUP = -100500
SEEKER_NAMES = ["김영희", "박순자", "최미경"]


def texts(api: FakeBotAPI, chat: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in api.sent_to(chat)]


async def members(h: BotHarness) -> None:
    await h.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await h.add_member(SAEIL, "이수진", "saeil-cheonan")
    await h.add_member(EMPLOYER, "박정호", "chungnam-north-chamber")
    await h.add_member(ASAN, "최은영", "saeil-asan")


async def test_council_meeting_rsvp_attendance_notes(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    h = harness
    await members(h)
    await h.add_member(LEAVER, "오민수", "saeil-dangjin")
    msg = await h.send(COORD, "/council_meeting")
    assert "9/15 14:00" in msg["text"] and len(api.buttons(msg)) == 9  # 8 days + cancel
    again = await h.send(COORD, "8/20 14:00")
    assert "이미 지난" in again["text"]
    again = await h.send(COORD, "9월 31일")
    assert "알아볼 수 없어요" in again["text"]
    ask_time = await h.press(COORD, again, "9/2(")
    assert "몇 시" in ask_time["text"]
    ask_time = await h.send(COORD, "25:00")  # the refusal and the question again, one message
    assert "시간을 알아볼 수 없어요" in ask_time["text"]
    assert "[2/5] 9/2(수) 몇 시" in ask_time["text"]
    # Typed date and time in one go from the date step works too; here the time button.
    ask_place = await h.press(COORD, ask_time, "14:00")
    assert "장소" in ask_place["text"]
    ask_agenda = await h.send(COORD, "충남도청 중회의실")
    assert "안건" in ask_agenda["text"]
    ask_agencies = await h.send(COORD, "1. 역할분담\n2. 일정 확정")
    assert "18곳" in ask_agencies["text"]
    cleared = await h.press(COORD, ask_agencies, "전체 해제")
    refused = await h.press(COORD, cleared, "다음")
    assert "한 곳 이상" in refused["text"] and "0곳" in refused["text"]
    listing = await h.press(COORD, refused, "전체 선택")
    confirm = await h.press(COORD, listing, "다음")
    assert "9/2(수) 14:00" in confirm["text"] and "18곳" in confirm["text"]
    done = await h.press(COORD, confirm, "저장")
    assert "초대를 보냈어요" in done["text"]
    view = await h.expect(COORD)
    assert "실무자협의회" in view["text"]

    invitation = await h.expect(SAEIL)
    assert "실무자협의회 초대" in invitation["text"] and "역할분담" in invitation["text"]
    answered = await h.press(SAEIL, invitation, "참석")
    assert "응답을 저장했어요: 참석" in answered["text"]
    changed = await h.press(SAEIL, answered, "불참")
    assert "불참" in changed["text"]
    employer_invite = await h.expect(EMPLOYER)
    await h.press(EMPLOYER, employer_invite, "미정")
    # A member who moved to another agency cannot answer for the old one.
    leaver_invite = await h.expect(LEAVER)
    assert h.runtime is not None
    async with h.runtime.session() as s:
        leaver = (await s.exec(select(Member).where(Member.telegram_id == LEAVER))).one()
        yesan = await council_db.get_agency_by_code(session=s, code="saeil-yesan")
        assert yesan is not None
        leaver.agency_id = yesan.id
        s.add(leaver)
    refused = await h.press(LEAVER, leaver_invite, "참석")
    assert "더 이상 활동하지 않는" in refused["text"]

    sheet = await h.press(COORD, view, "응답 현황")
    assert "불참 1" in sheet["text"] and "미정 1" in sheet["text"] and "미응답 2" in sheet["text"]
    assert "이수진(불참)" in sheet["text"] and "오민수(기관 떠남)" in sheet["text"]

    # The meeting starts: answers are closed; members check in; the coordinator ticks the rest.
    h.clock.set(datetime.fromisoformat("2026-09-02T14:05:00+09:00"))
    late = await h.press(SAEIL, changed, "참석")
    assert "이미 시작되어" in late["text"]
    # Notes need someone present: refused while nobody is, nothing saved.
    notes_ask = await h.press(COORD, view, "회의록")
    assert "역할분담" in notes_ask["text"]
    refused = await h.send(COORD, "결정 없음")
    assert "출석자가 한 명도 없어요" in refused["text"]
    listing = await h.send(SAEIL, "/meetings")
    assert "실무자협의회" in listing["text"] and "내 응답: 불참" in listing["text"]
    opened = await h.press(SAEIL, listing, "1번")
    checked = await h.press(SAEIL, opened, "체크인")
    assert "체크인했어요" in checked["text"]

    view = await h.send(COORD, "/meetings")
    view = await h.press(COORD, view, "1번")
    checklist = await h.press(COORD, view, "출석 체크")
    assert "출석 1명" in checklist["text"]
    assert "오민수" not in str(api.buttons(checklist))  # left the agency, not on the list
    checklist = await h.press(COORD, checklist, "박정호")
    assert "출석 2명" in checklist["text"]
    notes_ask = await h.press(COORD, checklist, "돌아가기")
    notes_ask = await h.press(COORD, notes_ask, "회의록")
    saved = await h.send(COORD, "결정: 발굴 마감 9/5\n역할: 새일센터 구직자 발굴")
    assert "개최 완료" in saved["text"]
    shared = await h.expect(SAEIL)
    assert "회의록" in shared["text"] and "발굴 마감 9/5" in shared["text"]
    async with h.runtime.session() as s:
        assert str(await svc.first_council_meeting_held(session=s, year=2026)) == "2026-09-02"

    # Members read the notes afterwards, and get the meeting as an .ics file.
    h.clock.set(datetime.fromisoformat("2026-09-03T09:00:00+09:00"))
    listing = await h.send(SAEIL, "/meetings")
    past = await h.press(SAEIL, listing, "지난 회의")
    opened = await h.press(SAEIL, past, "1번")
    assert "발굴 마감 9/5" in opened["text"] and "개최 완료" in opened["text"]
    api.drain(SAEIL)
    api.press(SAEIL, opened, api.button(opened, ".ics"))
    doc = await api.next_message(SAEIL)
    assert doc["document"]["file_name"].endswith(".ics")
    call = await api.wait_for(lambda c: c.method == "sendDocument")
    upload = call.params["document"]
    assert isinstance(upload, Upload) and b"BEGIN:VEVENT" in upload.data
    assert b"20260902T140000" in upload.data


async def _setup_world(h: BotHarness) -> dict[str, Any]:
    assert h.runtime is not None
    now = h.clock.now()
    async with h.runtime.session() as s:
        chamber = await council_db.get_agency_by_code(session=s, code="chungnam-north-chamber")
        cheonan = await council_db.get_agency_by_code(session=s, code="saeil-cheonan")
        asan = await council_db.get_agency_by_code(session=s, code="saeil-asan")
        assert chamber and cheonan and asan
        assert chamber.id is not None and cheonan.id is not None and asan.id is not None
        openings = [
            JobOpening(agency_id=chamber.id, company_name=name, job_title="사무 보조",
                       region_code=region, subsidy_approved=subsidy, created_at=now)
            for name, region, subsidy in [("다온물류", "cheonan", False),
                                          ("한빛정밀", "cheonan", True),
                                          ("아산테크", "asan", True)]
        ]
        seekers = [
            JobSeeker(agency_id=cheonan.id, name=h.runtime.cipher.encrypt(name),
                      phone=h.runtime.cipher.encrypt(f"010-1234-56{i:02d}"),
                      phone_key=f"key-{i}", region_code="cheonan", created_at=now)
            for i, name in enumerate(SEEKER_NAMES)
        ]
        seekers.append(JobSeeker(agency_id=asan.id, name=h.runtime.cipher.encrypt("이정은"),
                                 phone=h.runtime.cipher.encrypt("010-9999-0000"),
                                 phone_key="key-asan", region_code="asan", created_at=now))
        s.add_all([*openings, *seekers])
        s.add(GroupChat(chat_id=GROUP, title="협의회", registered_at=now))
    return {"openings": openings, "seekers": seekers}


async def test_meeting_day_invites_waitlist_attendance_results(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    h = harness
    await members(h)
    world = await _setup_world(h)
    api.add_group(GROUP, "협의회", members=[COORD, SAEIL, EMPLOYER, ASAN])

    refused = await h.send(EMPLOYER, "/meeting_day")
    assert "권한이 없어요" in refused["text"]
    msg = await h.send(SAEIL, "/meeting_day")
    assert "천안시" in msg["text"]
    ask_time = await h.press(SAEIL, msg, "9/3(")
    ask_venue = await h.press(SAEIL, ask_time, "14:00")
    assert "장소" in ask_venue["text"]
    ask_capacity = await h.send(SAEIL, "천안시청 대회의실")
    assert "정원" in ask_capacity["text"]
    bad = await h.send(SAEIL, "0명")
    assert "1에서 500" in bad["text"]
    ask_contact = await h.send(SAEIL, "2명")
    assert "연락처" in ask_contact["text"]
    confirm = await h.send(SAEIL, "이수진 041-000-1234")
    assert "정원: 2명" in confirm["text"]
    done = await h.press(SAEIL, confirm, "저장")
    assert "만남의 날을 만들었어요" in done["text"]
    view = await h.expect(SAEIL)

    companies = await h.press(SAEIL, view, "기업 초대")
    labels = [label for label, _ in api.buttons(companies)]
    assert labels[0].startswith("⬜ ★ 한빛정밀") and not any("아산테크" in x for x in labels)
    companies = await h.press(SAEIL, companies, "한빛정밀")
    companies = await h.press(SAEIL, companies, "다온물류")
    assert "2곳 초대" in companies["text"]

    seekers = await h.press(SAEIL, view, "구직자 초대")
    assert "이정은" not in str(api.buttons(seekers))  # another centre's seeker
    for name in SEEKER_NAMES:
        seekers = await h.press(SAEIL, seekers, name)
    assert "대기자로 올렸어요" in seekers["text"] and "⏳ 최미경" in str(api.buttons(seekers))
    # The capacity cannot go below those invited; taking one back moves the waiting one up.
    cap = await h.press(SAEIL, view, "정원 변경")
    low = await h.send(SAEIL, "1")
    assert "이미 초대한 구직자 2명보다 적어요" in low["text"]
    await h.send(SAEIL, "/cancel")
    seekers = await h.press(SAEIL, seekers, "박순자")
    assert "옮겨진 사람: 1명" in seekers["text"] and "✅ 최미경" in str(api.buttons(seekers))
    del cap

    # Moving the day notifies the invited companies' association, without any seeker.
    moved_ask = await h.press(SAEIL, view, "일정 변경")
    moved = await h.send(SAEIL, "9/4 10:00")
    assert "옮기고" in moved["text"] and "구직자 2명" in moved["text"]
    notice = await h.expect(EMPLOYER)
    assert "만남의 날 일정 변경" in notice["text"] and "9/4(금) 10:00" in notice["text"]
    del moved_ask

    # Other agencies: the association sees counts only; the asan centre sees nothing.
    listing = await h.send(EMPLOYER, "/meetings")
    assert "만남의 날 · 천안시" in listing["text"] and "구직자 2명" in listing["text"]
    opened = await h.press(EMPLOYER, listing, "1번")
    assert "구직자 2/2명" in opened["text"]
    assert "구직자 초대" not in str(api.buttons(opened))
    other = await h.send(ASAN, "/meetings")
    assert "다가오는 회의가 없어요" in other["text"]

    # On the day: checklist from the phone, then results.
    h.clock.set(datetime.fromisoformat("2026-09-04T10:10:00+09:00"))
    view = await h.send(SAEIL, "/meetings")
    view = await h.press(SAEIL, view, "1번")
    sheet = await h.press(SAEIL, view, "출석 체크")
    sheet = await h.press(SAEIL, sheet, "김영희")
    sheet = await h.press(SAEIL, sheet, "최미경")
    sheet = await h.press(SAEIL, sheet, "한빛정밀")
    sheet = await h.press(SAEIL, sheet, "다온물류")
    sheet = await h.press(SAEIL, sheet, "다온물류")
    assert "구직자 2/2명 · 기업 2/2곳" in sheet["text"]
    assert "📝 🏢 다온물류" in str(api.buttons(sheet))

    results = await h.press(SAEIL, view, "결과 기록")
    one = await h.press(SAEIL, results, "김영희")
    pick = await h.press(SAEIL, one, "면접 기록")
    one = await h.press(SAEIL, pick, "한빛정밀")
    assert "면접을 기록했어요" in one["text"] and "면접 1건" in one["text"]
    pick = await h.press(SAEIL, one, "현장 채용")
    one = await h.press(SAEIL, pick, "한빛정밀")
    assert "채용을 기록했어요" in one["text"]
    pick = await h.press(SAEIL, one, "현장 채용")
    again = await h.press(SAEIL, pick, "한빛정밀")
    assert "이미 채용으로 기록된" in again["text"]
    results = await h.press(SAEIL, view, "결과 기록")
    other_one = await h.press(SAEIL, results, "최미경")
    pick = await h.press(SAEIL, other_one, "채용 진행 중")
    other_one = await h.press(SAEIL, pick, "다온물류")  # a company taking part in writing
    assert "채용 진행 중" in other_one["text"]

    close = await h.press(SAEIL, view, "행사 종료")
    closed = await h.press(SAEIL, close, "종료합니다")
    assert "사후관리 대상 1명" in closed["text"] and "현장 채용 1명" in closed["text"]

    assert h.runtime is not None
    async with h.runtime.session() as s:
        hires = (await s.exec(select(Hire))).all()
        people = {
            h.runtime.cipher.decrypt(p.name): p for p in (await s.exec(select(JobSeeker))).all()
        }
        opening = await s.get(JobOpening, world["openings"][1].id)
        meeting = (await s.exec(select(Meeting))).one()
    assert len(hires) == 1 and hires[0].meeting_id == meeting.id and meeting.status == "held"
    assert people["김영희"].status == "hired" and not people["김영희"].followup
    assert people["최미경"].followup and not people["박순자"].followup
    assert opening is not None and opening.positions_filled == 1

    # Seekers' details never reached another agency or the group.
    for chat in (EMPLOYER, ASAN, COORD, GROUP):
        for text in texts(api, chat):
            assert not any(name in text for name in SEEKER_NAMES), (chat, text)
    in_group = await h.send(COORD, "/meetings", chat_id=GROUP)
    assert "개인 대화" in in_group["text"]


async def test_cancelling_notifies_everyone_invited(harness: BotHarness, api: FakeBotAPI) -> None:
    h = harness
    await members(h)
    await h.add_member(SAEIL2, "한지수", "saeil-cheonan")
    world = await _setup_world(h)
    assert h.runtime is not None
    clock = h.clock
    async with h.runtime.session() as s:
        coord = (await s.exec(select(Member).where(Member.telegram_id == COORD))).one()
        host = (await s.exec(select(Member).where(Member.telegram_id == SAEIL))).one()
        council, _ = await svc.create_council_meeting(
            session=s, clock=clock, actor=Actor(COORD, coord),
            starts_at=clock.now() + timedelta(days=5), place="", online_link="https://meet.example/x",
            agenda="안건", agency_ids=[coord.agency_id, host.agency_id],
        )
        day = await svc.create_meeting_day(
            session=s, clock=clock, actor=Actor(SAEIL, host), region_code="cheonan",
            starts_at=clock.now() + timedelta(days=6), venue="hall", capacity=5, contact="041",
        )
        assert day.id is not None
        await svc.toggle_company(session=s, clock=clock, actor=Actor(SAEIL, host),
                                 meeting_id=day.id, opening_id=world["openings"][0].id)
        await svc.toggle_seeker(session=s, clock=clock, actor=Actor(SAEIL, host),
                                meeting_id=day.id, seeker_id=world["seekers"][0].id)

    listing = await h.send(SAEIL, "/meetings")
    assert "실무자협의회" in listing["text"] and "만남의 날" in listing["text"]
    day_view = await h.press(SAEIL, listing, "2번")
    confirm = await h.press(SAEIL, day_view, "일정 취소")
    done = await h.press(SAEIL, confirm, "취소합니다")
    assert "취소하고 2명에게 알렸어요" in done["text"]
    assert "구직자 1명" in done["text"]
    notice = await h.expect(EMPLOYER)
    assert "만남의 날 취소" in notice["text"] and "김영희" not in notice["text"]
    host_notice = await h.expect(SAEIL2)
    assert "구직자 1명에게 센터에서 연락" in host_notice["text"]

    listing = await h.send(COORD, "/meetings")
    view = await h.press(COORD, listing, "1번")
    assert "온라인 https://meet.example/x" in view["text"]
    confirm = await h.press(COORD, view, "일정 취소")
    await h.press(COORD, confirm, "취소합니다")
    for member in (SAEIL, SAEIL2):
        assert any("일정 취소" in t for t in texts(api, member))
    assert council.id is not None


# --- the creation forms on the form engine: regions, editing, refusals at 저장, repeated 저장 ----
GONGJU = 17  # a 새일센터 serving two 시군 (공주시, 부여군)


async def test_meeting_day_form_region_edit_and_a_refusal_at_save(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    h = harness
    await members(h)
    host = await h.add_member(GONGJU, "정다은", "saeil-gongju")
    first = await h.send(GONGJU, "/meeting_day")
    assert "공주시, 부여군" in first["text"] and "[1/6]" in first["text"]
    ask_date = await h.press(GONGJU, first, "부여군")
    assert "[2/6]" in ask_date["text"]
    ask_venue = await h.send(GONGJU, "9/3 14:00")  # a date typed with its time: no time question
    assert "[4/6]" in ask_venue["text"] and "장소" in ask_venue["text"]
    ask_capacity = await h.send(GONGJU, "부여군청 대회의실")
    ask_contact = await h.press(GONGJU, ask_capacity, "20")
    summary = await h.send(GONGJU, "정다은 041-000-1234")
    assert "지역: 부여군" in summary["text"] and "9/3(목) 14:00" in summary["text"]
    assert "정원: 20명" in summary["text"]
    del ask_contact

    # 수정 → 날짜: a new day asks for its time again, then back to the summary.
    menu = await h.press(GONGJU, summary, "수정")
    assert [label for label, _ in api.buttons(menu)][:6] == [
        "지역", "날짜", "시간", "장소", "정원", "연락처"]
    ask_date = await h.press(GONGJU, menu, "날짜")
    ask_time = await h.press(GONGJU, ask_date, "9/4(")
    assert "[3/6] 9/4(금) 몇 시" in ask_time["text"]
    summary = await h.press(GONGJU, ask_time, "10:00")
    assert "9/4(금) 10:00" in summary["text"] and "부여군청 대회의실" in summary["text"]

    # Meanwhile another meeting day of the centre takes that time: 저장 asks the date again.
    assert h.runtime is not None
    async with h.runtime.session() as s:
        other = await svc.create_meeting_day(
            session=s, clock=h.clock, actor=Actor(GONGJU, host), region_code="gongju",
            starts_at=datetime.fromisoformat("2026-09-04T09:00:00+09:00"), venue="hall",
            capacity=5, contact="041")
    refused = await h.press(GONGJU, summary, "저장")
    assert "같은 시간에 우리 센터의 다른 만남의 날" in refused["text"]
    assert "[2/6]" in refused["text"]
    summary = await h.send(GONGJU, "9/7 14:00")
    assert "9/7(월) 14:00" in summary["text"] and "정원: 20명" in summary["text"]
    done = await h.press(GONGJU, summary, "저장")
    assert "만남의 날을 만들었어요" in done["text"]
    async with h.runtime.session() as s:
        made = (await s.exec(select(Meeting).where(Meeting.id != other.id))).one()
    assert made.region_code == "buyeo" and made.capacity == 20
    assert made.starts_at == datetime.fromisoformat("2026-09-07T14:00:00+09:00")

    # A centre serving one 시군 is not asked for it, nor offered it in 수정.
    first = await h.send(SAEIL, "/meeting_day")
    assert "천안시" in first["text"] and "[1/5]" in first["text"]


async def _walk_to_summary(h: BotHarness, form: str) -> dict[str, Any]:
    if form == "council_meeting":
        ask = await h.send(COORD, "/council_meeting")
        ask = await h.send(COORD, "9/2 14:00")
        ask = await h.send(COORD, "충남도청 중회의실")
        ask = await h.send(COORD, "하반기 점검")
        return await h.press(COORD, ask, "다음")
    ask = await h.send(SAEIL, "/meeting_day")
    ask = await h.send(SAEIL, "9/3 14:00")
    ask = await h.send(SAEIL, "천안시청 대회의실")
    ask = await h.send(SAEIL, "20")
    return await h.send(SAEIL, "이수진 041-000-1234")


async def _form_state(h: BotHarness, user: int, form: str) -> tuple[Any, list[Any]]:
    assert h.runtime is not None
    async with h.runtime.session() as s:
        row = await s.get(BotData, ("user", user))
        states = (await s.exec(select(ConversationState)
                               .where(ConversationState.name == form))).all()
        return copy.deepcopy(row.data if row else {}), [(c.key, c.state) for c in states]


async def _put_form_state(h: BotHarness, user: int, form: str,
                          saved: tuple[Any, list[Any]]) -> None:
    assert h.runtime is not None
    data, states = saved
    async with h.runtime.session() as s:
        row = await s.get(BotData, ("user", user))
        assert row is not None
        row.data = data
        s.add(row)
        for key, state in states:
            s.add(await s.merge(ConversationState(name=form, key=key, state=state)))


@pytest.mark.parametrize("form", ["council_meeting", "meeting_day"])
async def test_save_repeated_after_a_crash_makes_one_meeting(
    harness: BotHarness, api: FakeBotAPI, form: str
) -> None:
    """저장 went through, then the process died before its reply and before the form's state
    was written: the user, still shown the summary, taps 저장 again and is told the meeting was
    made; there is one meeting, not two. A double tap makes one too."""
    h = harness
    await members(h)
    user = COORD if form == "council_meeting" else SAEIL
    summary = await _walk_to_summary(h, form)
    assert "이대로 만들까요" in summary["text"]
    at_summary = await _form_state(h, user, form)
    assert at_summary[1], "the summary's state was written before it was shown"

    done = await h.press(user, summary, "저장")
    await h.expect(user)  # the meeting's screen
    made = "초대를 보냈어요" if form == "council_meeting" else "만남의 날을 만들었어요"
    assert made in done["text"]
    await h.stop()  # as if killed before the form's end was written: the summary's state again
    await _put_form_state(h, user, form, at_summary)
    await h.start()
    api.drain(user)
    since = len(api.calls)
    forged_press(api, user, summary, api.button(summary, "저장"))  # the old summary's button
    again = await h.expect(user)  # the confirmation edits the message (already showing it)
    confirmed = [c for c in api.calls[since:] if c.method == "editMessageText"]
    assert confirmed and made in confirmed[0].params["text"]
    assert h.runtime is not None
    async with h.runtime.session() as s:
        meetings = (await s.exec(select(Meeting))).all()
        receipts = (await s.exec(select(SaveReceipt))).all()
    assert len(meetings) == 1
    assert f"mtg:ics:{meetings[0].id}" in str(api.buttons(again))  # and shows the same meeting
    assert [(r.kind, r.record_id) for r in receipts] == [("meeting", meetings[0].id)]
    if form == "council_meeting":  # invited again (an invitation twice beats none), one row each
        async with h.runtime.session() as s:
            rows = (await s.exec(select(Attendance))).all()
        assert len(rows) == len({r.member_id for r in rows}) == 4
        assert sum("실무자협의회 초대" in t for t in texts(api, SAEIL)) == 2

    # A double tap on a new form's 저장: the second is told, quietly, that it is saved.
    summary = await _walk_to_summary(h, form)
    if form == "meeting_day":  # another time (one meeting day of a centre at a time)
        summary = await h.press(user, await h.press(user, summary, "수정"), "날짜")
        summary = await h.send(user, "9/10 10:00")
    data = api.button(summary, "저장")
    api.drain(user)
    api.press(user, summary, data)
    api.press(user, summary, data)
    created, _view = [await h.expect(user) for _ in range(2)]
    assert made in created["text"]
    await h.settled()
    with pytest.raises(TimeoutError):  # no "this button can no longer be used" under it
        await api.next_message(user, timeout=0.5)
    async with h.runtime.session() as s:
        made_now = [m.id for m in (await s.exec(select(Meeting))).all()]
    assert len(made_now) == 2
    assert api.answered_callbacks[-1].get("text") == Translator("ko")(
        "records.already_saved", id=max(i for i in made_now if i is not None))


async def test_a_meeting_question_written_but_not_sent_is_asked_at_start(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    """As for the record forms: the process wrote the time question's state, then died before
    sending it; at start the coordinator is shown it (with the day chosen) and answers it."""
    h = harness
    await members(h)
    first = await h.send(COORD, "/council_meeting")
    await h.press(COORD, first, "9/2(")
    await h.stop()
    assert h.runtime is not None
    async with h.runtime.session() as s:  # as if killed between the write and the send
        row = await s.get(BotData, ("user", COORD))
        assert row is not None
        row.data = {**row.data, "council_meeting": {**row.data["council_meeting"], "sent": False}}
        s.add(row)
    api.drain(COORD)
    await h.start()
    resumed = await h.expect(COORD)
    assert "다시 시작" in resumed["text"] and "[2/5] 9/2(수) 몇 시" in resumed["text"]
    ask_place = await h.press(COORD, resumed, "14:00")
    assert "[3/5]" in ask_place["text"] and "장소" in ask_place["text"]
