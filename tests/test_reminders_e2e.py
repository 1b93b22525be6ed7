"""Reminders end to end: the real Application, the outbox on SQLite and the fake Bot API.

The clock is injected (FrozenClock); tests call `send_due` directly instead of waiting for the
JobQueue (REMINDER_INTERVAL=0 in tests), except the restart test which runs the real job.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from core import calendar as cal
from core.clock import FrozenClock
from models import council as council_db
from models import reminders as outbox_db
from models.tables import GroupChat, JobOpening, Member, MonthlyReport, ReminderLog
from scheduler.reminders import Pacer, send_due, sender_of
from services import reminders as planner
from testing.fakeapi import Call, FakeBotAPI
from tests.harness import BotHarness, clear_targets, make_settings, put_target

KST = FrozenClock(datetime(2026, 1, 1)).tz
ROOT = Path(__file__).resolve().parent.parent
COORD = 10
CHAMBER_A, CHAMBER_B, SAEIL = 11, 12, 14
GROUP = -100500


def kst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=KST)


async def agency_id(h: BotHarness, code: str) -> int:
    assert h.runtime is not None
    async with h.runtime.session() as s:
        agency = await council_db.get_agency_by_code(session=s, code=code)
        assert agency is not None and agency.id is not None
        return agency.id


async def setup_council(h: BotHarness, *, extra_chamber: int = 0) -> None:
    """A coordinator, two chamber staff, one 새일센터 staff, the group, targets for 2026."""
    assert h.runtime is not None
    await h.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await h.add_member(CHAMBER_A, "박정호", "chungnam-north-chamber")
    await h.add_member(CHAMBER_B, "최유리", "chungnam-north-chamber")
    await h.add_member(SAEIL, "이수진", "saeil-cheonan")
    for i in range(extra_chamber):
        await h.add_member(1000 + i, f"직원{i}", "chungnam-north-chamber")
    h.api.add_group(GROUP, "충남 시간선택제 협의회", members=[COORD])
    chamber = await agency_id(h, "chungnam-north-chamber")
    saeil = await agency_id(h, "saeil-cheonan")
    venture = await agency_id(h, "chungnam-venture")
    async with h.runtime.session() as s:
        s.add(GroupChat(chat_id=GROUP, title="충남 시간선택제 협의회", active=True))
        await clear_targets(s)
        await put_target(s, agency_id=chamber, year=2026, metric="openings", value=20)
        await put_target(s, agency_id=saeil, year=2026, metric="seekers", value=30)
        await put_target(s, agency_id=venture, year=2026, metric="openings", value=0)
        # Every agency reported June to August, so month-end reminders stay out of the way
        # unless a test wants them.
        for a in await council_db.list_agencies(session=s):
            for month in ("2026-06", "2026-07", "2026-08"):
                s.add(MonthlyReport(agency_id=a.id or 0, month=month))


async def rows(h: BotHarness) -> list[ReminderLog]:
    assert h.runtime is not None
    async with h.runtime.session() as s:
        return list((await s.exec(select(ReminderLog).order_by(col(ReminderLog.id)))).all())


def due_on(r: ReminderLog) -> date:
    """The day a stored reminder was due (due_at is NOT NULL in the table)."""
    assert r.due_at is not None
    return r.due_at.date()


async def pass_at(h: BotHarness, when: str, **kwargs: Any) -> Any:
    """One pass at `when`. The frozen clock jumps minutes or days between passes while real
    time does not, so the real-time pacer starts afresh (as it would after that much time)."""
    assert h.app is not None and h.runtime is not None
    h.clock.set(kst(when))
    sender_of(h.runtime).pacer = Pacer()
    return await send_due(h.app, h.runtime, now=h.clock.now(), **kwargs)


def texts(api: FakeBotAPI, chat: int) -> list[str]:
    return [m.get("text", "") for m in api.sent_to(chat)]


def sends(api: FakeBotAPI) -> Counter[int]:
    return Counter(
        c.chat_id for c in api.calls
        if c.method == "sendMessage" and c.response and c.response.get("ok")
        and c.chat_id is not None
    )


# --- the rules, delivered ----------------------------------------------------------------------
async def test_discovery_nudge_is_sent_once_with_a_register_button(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await setup_council(harness)
    report = await pass_at(harness, "2026-08-21T09:59")
    assert report.sent == 0
    report = await pass_at(harness, "2026-08-21T10:00")
    assert report.sent == 3  # two chamber staff and the 새일센터 (venture met its target 0)
    [nudge] = api.sent_to(CHAMBER_A)
    assert "15일 전" in nudge["text"] and "0건" in nudge["text"] and "목표 20건" in nudge["text"]
    assert "9월 5일(토)" in nudge["text"]
    [saeil] = api.sent_to(SAEIL)
    assert "구직자 발굴" in saeil["text"] and "목표 30명" in saeil["text"]
    # The button leads to the feature's command.
    # Later passes the same day send nothing again.
    for when in ("2026-08-21T10:00:30", "2026-08-21T15:00"):
        again = await pass_at(harness, when)
        assert again.sent == 0
    assert sends(api)[CHAMBER_A] == 1
    reply = await harness.press(CHAMBER_A, nudge, "구인 등록하기")
    assert "새 구인을 등록할게요" in reply["text"]  # the button opens the form itself
    states = Counter(r.state for r in await rows(harness))
    assert states == {"sent": 3}


async def test_month_end_nudge_and_escalation_name_agencies_only(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await setup_council(harness)
    assert harness.runtime is not None
    chamber = await agency_id(harness, "chungnam-north-chamber")
    async with harness.runtime.session() as s:
        for a in await council_db.list_agencies(session=s):
            if a.id != chamber:
                s.add(MonthlyReport(agency_id=a.id or 0, month="2026-09"))
    await pass_at(harness, "2026-09-29T10:00")
    [nudge] = [t for t in texts(api, CHAMBER_A) if "실적 보고" in t]
    assert "2026년 9월" in nudge and "1일 전" in nudge
    assert texts(api, SAEIL) == []  # the 새일센터 reported
    assert "실적 보고하기" in str(api.sent_to(CHAMBER_A)[-1]["reply_markup"])
    await pass_at(harness, "2026-09-30T10:00")
    assert "오늘은" in texts(api, CHAMBER_A)[-1]
    # 10/1 is the next business day: the group and the coordinator hear who is missing.
    await pass_at(harness, "2026-10-01T10:00")
    [group_text] = texts(api, GROUP)
    assert "미제출 기관 1곳" in group_text and "충남북부상의" in group_text
    assert "박정호" not in group_text and "최유리" not in group_text
    assert any("미제출 기관" in t for t in texts(api, COORD))


async def test_member_who_blocked_the_bot_is_deactivated_and_coordinators_told(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await setup_council(harness)
    api.block(CHAMBER_B)
    report = await pass_at(harness, "2026-08-21T10:00")
    assert report.blocked == 1 and report.sent == 3  # two nudges and the coordinator's notice
    assert harness.runtime is not None
    async with harness.runtime.session() as s:
        member = await outbox_db.member_by_chat(session=s, chat_id=CHAMBER_B)
    assert member is not None and not member.active
    assert member.blocked_at == kst("2026-08-21T10:00")
    [notice] = texts(api, COORD)
    assert "최유리" in notice and "충남북부상의" in notice and "비활성" in notice
    # The next nudge (D-7) no longer goes to the blocked member.
    await pass_at(harness, "2026-08-28T10:00")
    assert [c.chat_id for c in api.calls if c.method == "sendMessage"].count(CHAMBER_B) == 1
    blocked = [r for r in await rows(harness) if r.chat_id == CHAMBER_B]
    assert [r.state for r in blocked] == ["failed"]


async def test_429_waits_for_that_chat_only(harness: BotHarness, api: FakeBotAPI) -> None:
    await setup_council(harness, extra_chamber=6)
    api.fail("sendMessage", error="429", chat_id=CHAMBER_A, retry_after=1)
    # The retry must come after retry_after, not much later: it is compared with a timer of
    # three retry_afters set in the same event loop at the 429 (a busy machine delays both
    # timers alike, so this holds on a machine of any speed).
    loop = asyncio.get_running_loop()
    reference: list[asyncio.TimerHandle] = []
    expired: list[bool] = []
    retried_in_time: list[bool] = []

    def watch(call: Call) -> None:
        if call.method != "sendMessage" or call.chat_id != CHAMBER_A or call.response is None:
            return
        if call.response.get("error_code") == 429 and not reference:
            reference.append(loop.call_later(3.0, expired.append, True))
        elif call.response.get("ok"):
            retried_in_time.append(not expired)

    api.call_listeners.append(watch)
    report = await pass_at(harness, "2026-08-21T10:00")
    api.call_listeners.remove(watch)
    for timer in reference:
        timer.cancel()
    assert report.rate_limited == 1 and report.sent == 9 and report.failed == 0
    sent_at = {
        c.chat_id: c.at for c in api.calls
        if c.method == "sendMessage" and c.response and c.response.get("ok")
    }
    first_429 = next(c.at for c in api.calls if c.method == "sendMessage"
                     and c.response and c.response.get("error_code") == 429)
    # Everybody else was served before the limited chat's retry, which waited its retry_after.
    others = [at for chat, at in sent_at.items() if chat != CHAMBER_A]
    assert max(others) < sent_at[CHAMBER_A]
    assert sent_at[CHAMBER_A] - first_429 >= 0.95
    assert retried_in_time == [True], "the limited chat was retried soon after its retry_after"
    assert sends(api)[CHAMBER_A] == 1


async def test_fan_out_is_paced_under_telegram_limits(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await setup_council(harness, extra_chamber=32)
    api.enforce_limits = True
    report = await pass_at(harness, "2026-08-21T10:00")
    assert report.sent == 35 and report.rate_limited == 0
    assert not [c for c in api.calls if c.response and c.response.get("error_code") == 429]
    assert api.stats["peak_per_second"] <= 30


async def test_retries_with_backoff_then_fails_visibly(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await setup_council(harness)
    api.fail("sendMessage", error="500", chat_id=SAEIL, times=-1)
    await pass_at(harness, "2026-08-21T10:00")
    [row] = [r for r in await rows(harness) if r.chat_id == SAEIL]
    assert row.state == "pending" and row.attempts == 1
    # Not before the backoff has passed.
    report = await pass_at(harness, "2026-08-21T10:00:20")
    assert report.retried == 0
    when = kst("2026-08-21T10:00")
    for _ in range(10):
        when += timedelta(minutes=16)
        await pass_at(harness, when.isoformat()[:19])
    [row] = [r for r in await rows(harness) if r.chat_id == SAEIL]
    assert row.state == "failed" and row.attempts == 5
    api.clear_failures()
    harness.clock.set(kst("2026-08-21T15:00"))
    view = await harness.send(COORD, "/reminders")
    assert "실패 1" in view["text"] and "❌" in view["text"] and "천안새일센터" in view["text"]
    # The coming week: the D-7 nudges of 8/28 for both agencies below target.
    assert "앞으로 7일 계획 (2건)" in view["text"]
    assert "08/28 10:00 발굴 마감 알림 — 충남북부상의 (2명)" in view["text"]
    assert "08/28 10:00 발굴 마감 알림 — 천안새일센터 (1명)" in view["text"]
    # Staff may not see it.
    refused = await harness.send(CHAMBER_A, "/reminders")
    assert "발굴 마감 알림" not in refused["text"]


async def test_quiet_hours_hold_messages_until_morning(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await setup_council(harness)
    assert harness.runtime is not None
    chamber = await agency_id(harness, "chungnam-north-chamber")
    async with harness.runtime.session() as s:
        owner = await outbox_db.member_by_chat(session=s, chat_id=CHAMBER_A)
        assert owner is not None
        s.add(JobOpening(agency_id=chamber, created_by=owner.id, company_name="(주)한빛",
                         job_title="사무보조", region_code="cheonan",
                         deadline=date(2026, 9, 14), created_at=kst("2026-09-01T09:00")))
    report = await pass_at(harness, "2026-09-15T00:30")
    assert report.closed_openings == 1 and report.held_quiet and report.sent == 0
    report = await pass_at(harness, "2026-09-15T07:59")
    assert report.sent == 0 and api.sent_to(CHAMBER_A) == []
    report = await pass_at(harness, "2026-09-15T08:00")
    assert report.sent == 1
    [closed] = texts(api, CHAMBER_A)
    assert "(주)한빛" in closed and "마감했어요" in closed
    async with harness.runtime.session() as s:
        opening = (await s.exec(select(JobOpening))).one()
    assert opening.status == "closed" and opening.closed_at == kst("2026-09-15T00:30")
    # Closing is daily and idempotent: no second notice.
    assert (await pass_at(harness, "2026-09-16T10:00")).closed_openings == 0
    assert len(texts(api, CHAMBER_A)) == 1


async def test_meeting_reminders_reach_yes_and_maybe_only(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    from models.tables import Attendance, Meeting

    await setup_council(harness)
    assert harness.runtime is not None
    province = await agency_id(harness, "chungnam-province")
    async with harness.runtime.session() as s:
        people = {m.telegram_id: m for m in (await s.exec(select(Member))).all()}
        meeting = Meeting(kind="council", host_agency_id=province, title="2차 실무자협의회",
                          starts_at=kst("2026-09-15T14:00"), place="도청 회의실",
                          created_at=kst("2026-09-01T09:00"))
        s.add(meeting)
        await s.flush()
        for chat, rsvp in ((CHAMBER_A, "yes"), (CHAMBER_B, "no"), (SAEIL, "maybe")):
            s.add(Attendance(meeting_id=meeting.id or 0, participant_key=f"m:{people[chat].id}",
                             member_id=people[chat].id, agency_id=people[chat].agency_id,
                             rsvp=rsvp))
    await pass_at(harness, "2026-09-14T10:00")
    await pass_at(harness, "2026-09-15T13:00")
    await pass_at(harness, "2026-09-15T14:00")
    for chat in (CHAMBER_A, SAEIL):
        got = texts(api, chat)
        assert len(got) == 2 and "2차 실무자협의회" in got[0] and "14:00에 시작" in got[1]
    assert texts(api, CHAMBER_B) == []


# --- downtime, crashes, restarts ---------------------------------------------------------------
async def test_three_hour_outage_catch_up_and_older_reminders_expire(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    """Down from Friday 8/21 08:00 to Thursday 8/27 11:00: the 8/21 D-14 nudge is expired and
    listed for the coordinator. Then down 08:00-11:00 on 8/28, over the 10:00 D-7 nudge: at
    start the real JobQueue job sends it within seconds, once."""
    clock = FrozenClock(kst("2026-08-21T07:30"))
    settings = make_settings(tmp_path, TELEGRAM_API_URL=api.url, REMINDER_INTERVAL="0.2")
    h = BotHarness(api, settings, clock)
    await h.start()
    try:
        await setup_council(h)
        await asyncio.sleep(0.5)  # the bot ran (its passes at 07:30), then it stops
        await h.stop()
        clock.set(kst("2026-08-27T11:00"))
        await h.start()
        notice = await api.next_message(COORD, timeout=60)
        assert "만료" in notice["text"] and "3건" in notice["text"]
        assert api.sent_to(CHAMBER_A) == []
        view = await h.send(COORD, "/reminders")
        assert "만료 3" in view["text"] and "⌛" in view["text"]
        assert "충남북부상의" in view["text"]

        clock.set(kst("2026-08-28T08:00"))
        await asyncio.sleep(0.5)  # a pass at 08:00: nothing due yet
        await h.stop()
        clock.set(kst("2026-08-28T11:00"))  # three hours later
        await h.start()
        nudge = await api.next_message(CHAMBER_A, timeout=60)
        assert "8일 전" in nudge["text"]
        await asyncio.sleep(0.5)  # more passes: nothing more
        async with asyncio.timeout(60):  # a busy machine: the other two may be on their way
            while any(r.state in ("claimed", "sending") for r in await rows(h)):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        by_state = Counter((r.occurrence, r.state) for r in await rows(h)
                           if r.kind == planner.DISCOVERY_NUDGE)
        assert by_state == {("2026-09-05:D-14", "expired"): 3, ("2026-09-05:D-7", "sent"): 3}
        assert sends(api)[CHAMBER_A] == 1 and sends(api)[COORD] == 2  # notice, /reminders
    finally:
        await h.stop()


async def test_cancelled_mid_fan_out_then_restart_sends_each_once(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await setup_council(harness, extra_chamber=30)
    api.api_delay = 0.03
    assert harness.app is not None and harness.runtime is not None
    harness.clock.set(kst("2026-08-21T10:00"))
    task = asyncio.create_task(send_due(harness.app, harness.runtime, now=harness.clock.now()))
    await api.wait_for(
        lambda c: sum(1 for x in api.calls if x.method == "sendMessage") >= 8, timeout=10
    )
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    states = Counter(r.state for r in await rows(harness))
    assert states["sending"] == 0  # the message in flight was recorded before stopping
    assert 8 <= states["sent"] < 33 and states["pending"] == 33 - states["sent"]
    await harness.restart()
    api.api_delay = 0
    assert harness.app is not None and harness.runtime is not None
    report = await send_due(harness.app, harness.runtime, now=harness.clock.now())
    assert report.sent == states["pending"]
    counts = sends(api)
    assert len(counts) == 33 and set(counts.values()) == {1}


async def test_row_left_sending_by_a_killed_process_is_not_sent_twice(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    """kill -9 between the request and its bookkeeping: Telegram got the message, the row says
    sending. After the lease it is settled as ambiguous, never sent again, and shown in
    /reminders."""
    await setup_council(harness)
    assert harness.app is not None and harness.runtime is not None
    now = kst("2026-08-21T10:00")
    harness.clock.set(now)
    await send_due(harness.app, harness.runtime, now=now - timedelta(hours=1))  # plans nothing
    from services import reminder_outbox

    async with harness.runtime.session() as s:
        clock = await reminder_outbox.note_pass(session=s, now=now)
        await reminder_outbox.plan_into_outbox(session=s, now=now, clock=clock)
    async with harness.runtime.session() as s:
        row = await outbox_db.claim_next(session=s, now=now, worker="dead-process")
    assert row is not None and row.id is not None
    async with harness.runtime.session() as s:
        assert await outbox_db.start_request(session=s, row_id=row.id, worker="dead-process")
    await harness.app.bot.send_message(row.chat_id, "the dead process's message")
    await harness.restart()
    assert harness.app is not None and harness.runtime is not None
    report = await send_due(harness.app, harness.runtime, now=now)
    assert report.sent == 2 and report.ambiguous == 0  # the others; the row is leased
    report = await send_due(harness.app, harness.runtime, now=now + timedelta(minutes=3))
    assert report.ambiguous == 1 and report.sent == 0
    assert set(sends(api).values()) == {1} and len(sends(api)) == 3
    [settled] = [r for r in await rows(harness) if r.id == row.id]
    assert settled.state == "ambiguous" and settled.last_error == reminder_outbox.AMBIGUOUS_CRASH
    harness.clock.set(now + timedelta(minutes=4))
    view = await harness.send(COORD, "/reminders")
    assert "❔" in view["text"] and "전달 확인 안 됨 1건" in view["text"]


async def test_row_claimed_by_a_killed_process_before_its_request_is_sent_after_restart(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    """kill -9 after a claim and before its request started: the row goes back to pending and
    is sent once by the next process, at once when the dead worker ran on this machine (its
    process is gone), after the lease otherwise."""
    import sys

    from services import reminder_outbox

    await setup_council(harness)
    assert harness.app is not None and harness.runtime is not None
    now = kst("2026-08-21T10:00")
    await send_due(harness.app, harness.runtime, now=now - timedelta(hours=1))  # plans nothing
    async with harness.runtime.session() as s:
        clock = await reminder_outbox.note_pass(session=s, now=now)
        await reminder_outbox.plan_into_outbox(session=s, now=now, clock=clock)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import os; print(os.getpid())", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()  # a process of this machine that has exited
    gone = out.decode().strip()
    here_dead = f"{reminder_outbox.new_worker_id().rsplit(':', 2)[0]}:{gone}:cafe0001"
    assert reminder_outbox.worker_is_gone(here_dead)
    assert not reminder_outbox.worker_is_gone(reminder_outbox.new_worker_id())  # this process
    async with harness.runtime.session() as s:
        local = await outbox_db.claim_next(session=s, now=now, worker=here_dead)
        remote = await outbox_db.claim_next(session=s, now=now, worker="elsewhere:1:cafe0002")
    assert local is not None and remote is not None
    report = await send_due(harness.app, harness.runtime, now=now)
    assert report.released == 1 and report.ambiguous == 0 and report.sent == 2
    assert sends(api)[local.chat_id] == 1 and sends(api)[remote.chat_id] == 0
    report = await send_due(harness.app, harness.runtime, now=now + timedelta(minutes=3))
    assert report.released == 1 and report.sent == 1
    assert set(sends(api).values()) == {1} and len(sends(api)) == 3
    states = {r.id: (r.state, r.attempts) for r in await rows(harness)}
    assert states[local.id] == ("sent", 1) and states[remote.id] == ("sent", 1)


async def test_whole_season_through_the_outbox(harness: BotHarness, api: FakeBotAPI) -> None:
    """Every business day of July-November at 10:00: what is sent matches the plan."""
    await setup_council(harness)
    assert harness.runtime is not None
    async with harness.runtime.session() as s:
        s.add(MonthlyReport(agency_id=await agency_id(harness, "saeil-cheonan"), month="2026-09"))
    day = date(2026, 7, 1)
    while day <= date(2026, 11, 30):
        if cal.is_business_day(day):
            await pass_at(harness, f"{day.isoformat()}T10:00")
        day += timedelta(days=1)
    sent = [r for r in await rows(harness) if r.state == "sent"]
    assert not [r for r in await rows(harness) if r.state != "sent"]
    nudges = sorted({(due_on(r).isoformat(), r.occurrence) for r in sent
                     if r.kind == planner.DISCOVERY_NUDGE and r.chat_id == CHAMBER_A})
    assert nudges == [("2026-08-21", "2026-09-05:D-14"), ("2026-08-28", "2026-09-05:D-7"),
                      ("2026-09-02", "2026-09-05:D-3"), ("2026-09-04", "2026-09-05:D-1")]
    saeil_reports = {r.occurrence for r in sent
                     if r.kind == planner.REPORT_NUDGE and r.chat_id == SAEIL}
    assert saeil_reports == {"2026-10:D-3", "2026-10:D-0", "2026-11:D-1", "2026-11:D-0"}
    group = Counter(r.kind for r in sent if r.chat_id == GROUP)
    # The discovery summary, and escalations for September, October (and nothing for July or
    # August, all reported).
    assert group == {planner.DISCOVERY_SUMMARY: 1, planner.REPORT_ESCALATION: 2}
    for r in sent:
        assert r.sent_at is not None and r.sent_at.date() == due_on(r)
        assert 8 <= r.sent_at.hour < 20
    for chat, n in sends(api).items():
        assert n == len([r for r in sent if r.chat_id == chat])


async def test_kill_9_mid_fan_out_then_restart_none_lost_none_doubled(
    harness: BotHarness, api: FakeBotAPI, tmp_path: Path
) -> None:
    """A real bot process (tests.reminder_worker) is killed with SIGKILL in the middle of a
    fan-out; the restarted bot sends the rest. The rows whose requests were in flight are settled
    as ambiguous (the dead worker ran on this machine: at once) instead of being sent again.

    The kill lands while "Telegram" stalls and the sender waits with its in-flight window full
    (MAX_IN_FLIGHT requests awaiting their answers, rows still pending). tests/test_outbox_crash
    kills the real `itda run` at random moments."""
    import os
    import signal
    import sys

    from scheduler.reminders import MAX_IN_FLIGHT

    await setup_council(harness, extra_chamber=MAX_IN_FLIGHT + 20)
    api.api_delay = 0.05  # requests spend most of their time "at Telegram"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ITDA_"))}
    env.update({
        "BOT_TOKEN": harness.settings.token(), "TELEGRAM_API_URL": api.url,
        "DATABASE_URL": harness.settings.effective_database_url,
        "ITDA_DATA_DIR": str(tmp_path / "data"), "REMINDER_INTERVAL": "0",
        "PYTHONPATH": str(ROOT),
    })
    now = kst("2026-08-21T10:00")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.reminder_worker", now.isoformat(), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )

    def answered() -> int:
        return sum(1 for x in api.calls if x.method == "sendMessage")

    def in_flight() -> int:  # requests received (counted on arrival) and not yet answered
        return api.stats["sendMessage"] - answered()

    try:
        await api.wait_for(lambda c: answered() >= 8, timeout=60)
        # "Telegram" stalls: the sender fills its in-flight window (at 28 claims a second,
        # about 1.2 s; the stall is long enough for a much slower machine), then waits. The
        # kill comes once the window is full, however long the machine took to fill it.
        api.api_delay = 6.0
        async with asyncio.timeout(60):
            while in_flight() < MAX_IN_FLIGHT:  # noqa: ASYNC110 - counters of the fake API
                assert proc.returncode is None, "the worker exited before the kill"
                await asyncio.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    async with asyncio.timeout(60):
        while in_flight() > 0:  # noqa: ASYNC110 - the requests in flight are answered
            await asyncio.sleep(0.05)
    total = MAX_IN_FLIGHT + 23
    before = Counter(r.state for r in await rows(harness))
    assert before["sent"] >= 7 and before["sending"] == MAX_IN_FLIGHT and before["pending"] > 0
    api.api_delay = 0
    await harness.restart()
    report = await pass_at(harness, "2026-08-21T10:00")
    assert report.ambiguous == MAX_IN_FLIGHT
    states = Counter(r.state for r in await rows(harness))
    assert states == {"sent": total - MAX_IN_FLIGHT, "ambiguous": MAX_IN_FLIGHT}
    delivered = Counter(c.chat_id for c in api.calls if c.method == "sendMessage")
    assert len(delivered) == total and set(delivered.values()) == {1}


async def test_a_row_that_cannot_be_rendered_fails_without_stopping_the_others(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await setup_council(harness)
    assert harness.runtime is not None
    async with harness.runtime.session() as s:
        s.add(ReminderLog(key="discovery_nudge|11|broken", kind=planner.DISCOVERY_NUDGE,
                          chat_id=CHAMBER_A, occurrence="broken",
                          due_at=kst("2026-08-21T09:00"), payload={}))
    report = await pass_at(harness, "2026-08-21T10:00")
    assert report.failed == 1 and report.sent == 3
    [broken] = [r for r in await rows(harness) if r.occurrence == "broken"]
    assert broken.state == "failed" and broken.last_error.startswith("render")


async def test_a_nudge_button_opens_the_form(harness: BotHarness, api: FakeBotAPI) -> None:
    await setup_council(harness)
    report = await pass_at(harness, "2026-08-21T10:00")
    assert report.sent >= 2
    nudge = next(m for m in api.sent_to(CHAMBER_A) if api.buttons(m))
    opened = await harness.press(CHAMBER_A, nudge, "등록")
    assert "/cancel" in opened["text"]  # the opening form's introduction
    first = await harness.expect(CHAMBER_A)
    assert "[1/17]" in first["text"]
    seeker_nudge = next(m for m in api.sent_to(SAEIL) if api.buttons(m))
    consent = await harness.press(SAEIL, seeker_nudge, "등록")
    assert "제15조" in consent["text"]
