"""The scripted crash test: several people register openings, seekers and their attendance of a
council meeting while the real `itda run` process is killed with SIGKILL at random moments (a
seeded schedule) and started again.

The simulated people behave like real ones: each reads the bot's latest message in their chat
and answers what it asks; when no answer comes (the update being handled at the kill is lost by
design: its id was recorded first) they wait until the bot is back, then send their last input
again. At the end the database holds exactly the records whose 저장 the bot confirmed, each
once, with the contents typed for it; no form ever went back a step (every form resumed where
the bot's last reply left it); seekers' names and phone numbers never reached the process log.

`ITDA_CRASH_SEED=<n>` replays another schedule.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.wiring import create_runtime, prepare_database
from core.clock import SystemClock
from core.config import load_settings
from core.statuses import AgencyKind
from models import council as council_db
from models import members as members_db
from models.tables import BotData, JobOpening, Member
from services import meetings as meetings_svc
from services import openings as openings_svc
from services.crypto import Cipher, load_secret
from services.membership import Actor
from testing.fakeapi import FakeBotAPI
from tests.harness import TOKEN
from tests.test_run_command import ITDA, env_for

JSON = dict[str, Any]
SEED = int(os.environ.get("ITDA_CRASH_SEED", "20260901"))
KILLS = 4
FORMS_EACH = 2
# When a button a person saw is gone and nothing new comes, they start the task again after
# PATIENCE seconds (or four times the slowest reply seen so far, on a slow machine).
PATIENCE = 1.5
# A reply is complete when nothing more came for QUIET seconds, or for as long as its first
# part took to come (a busy machine is slow between the parts of a reply too).
QUIET = 0.12
COORDINATOR = 300


# --- the bot process ---------------------------------------------------------------------------
class Process:
    """`itda run` against the fake API; its output is read continuously (never blocks)."""

    def __init__(self, api: FakeBotAPI, tmp_path: Path) -> None:
        self.api, self.tmp_path = api, tmp_path
        self.env = env_for(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url,
                           REMINDER_INTERVAL="0")
        self.proc: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task[None] | None = None
        self.output = ""
        self.up = asyncio.Event()
        self.ready_at = 0.0
        self.starts = 0
        self.recorded: set[int] = set()  # update ids that a killed process had taken in hand

    async def start(self) -> None:
        polls = self.api._poll_generation  # noqa: SLF001 - counts getUpdates as they arrive
        proc = await asyncio.create_subprocess_exec(
            *ITDA, "run", cwd=self.tmp_path, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        self.proc, self.starts = proc, self.starts + 1
        self.reader = asyncio.create_task(self._read(proc))
        deadline = time.monotonic() + 180  # only turns a hang into a failure
        while self.api._poll_generation == polls:  # noqa: SLF001
            assert proc.returncode is None, f"itda run exited at start:\n{self.output[-3000:]}"
            assert time.monotonic() < deadline, "itda run did not start polling"
            await asyncio.sleep(0.02)
        self.ready_at = time.monotonic()
        self.up.set()

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(65536):
            self.output += chunk.decode(errors="replace")

    async def kill(self) -> None:
        assert self.proc is not None and self.reader is not None
        self.up.clear()
        self.proc.send_signal(signal.SIGKILL)
        assert await self.proc.wait() == -signal.SIGKILL
        await self.reader
        # Each update's id is recorded before it is handled: these will never be answered.
        recorded = rows(self.tmp_path, "SELECT update_id FROM processedupdate")
        self.recorded |= {update_id for (update_id,) in recorded}
        # So is an update the killed process had fetched and confirmed (its next getUpdates
        # passed its offset) but not yet recorded: it waited in the application's queue, and
        # Telegram does not send it again. (On a busy machine the queue holds it for longer.)
        pending = {u["update_id"] for u in self.api._updates}  # noqa: SLF001
        self.recorded |= set(self.api.delivered_at) - pending

    async def stop(self) -> int:
        assert self.proc is not None and self.reader is not None
        self.up.clear()
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), timeout=15)
        await self.reader
        return code


# --- the people --------------------------------------------------------------------------------
@dataclass
class Person:
    uid: int
    name: str
    kind: str  # opening | seeker | member
    member_id: int = 0
    latest: JSON | None = None
    cursor: int = 0
    last_action: tuple[str, str] | None = None
    confirmed: list[int] = field(default_factory=list)
    typed_names: list[str] = field(default_factory=list)  # company or seeker name per form
    steps_seen: list[list[int]] = field(default_factory=lambda: [[]])
    rsvp_saved: bool = False
    checked_in: bool = False
    resends: int = 0
    restarts: int = 0
    actions: int = 0

    @property
    def done(self) -> bool:
        if self.kind == "member":
            return self.checked_in
        return len(self.confirmed) >= FORMS_EACH

    @property
    def form(self) -> int:  # which form this person is filling in (1-based)
        return len(self.confirmed) + 1


SEEKER_NAMES = ["김민지", "이서연", "박지우", "최하은", "정수아", "강예린"]


def opening_answer(p: Person, index: int) -> tuple[str, str]:
    company = f"잇다{p.uid}상사{p.form}호"
    texts = {0: company, 2: "제조업", 3: "사무보조", 4: "서류 정리와 전화 응대",
             7: "주 20시간", 8: "월~금", 9: "10시-14시", 11: "1만 4천원", 12: "2명",
             16: "041-550-0000"}
    buttons = {1: "op:skip:1", 5: "op:c:5:0", 6: "op:c:6:0", 10: "op:c:10:0",
               13: "op:c:13:1", 14: "op:c:14:1", 15: "op:skip:15"}
    return ("text", texts[index]) if index in texts else ("press", buttons[index])


def seeker_identity(p: Person) -> tuple[str, str]:
    return identity(p.uid, p.form)


def identity(uid: int, form: int) -> tuple[str, str]:
    """The name and mobile number of a person's n-th seeker."""
    n = (uid % 10) * 2 + form - 1
    return SEEKER_NAMES[n % len(SEEKER_NAMES)], f"010-7{uid % 1000:03d}-{5500 + form}"


def seeker_answer(p: Person, index: int) -> tuple[str, str]:
    name, phone = seeker_identity(p)
    texts = {0: name, 1: phone, 2: "85년생", 4: "사무보조", 5: "20시간", 9: "3년"}
    buttons = {3: "sk:c:3:0", 6: "sk:c:6:0", 7: "sk:skip:7", 8: "sk:c:8:0", 10: "sk:c:10:0",
               11: "sk:skip:11"}
    return ("text", texts[index]) if index in texts else ("press", buttons[index])


SAVED = {"opening": re.compile(r"구인\(#(\d+)\)"), "seeker": re.compile(r"구직자\(#(\d+)\)를")}
STEP = re.compile(r"\[(\d+)/(\d+)\]")


def decide(p: Person, meeting_id: int) -> tuple[str, str]:
    """What this person does next, from the bot's latest message in their chat."""
    text = (p.latest or {}).get("text", "")
    data = [d for _, d in FakeBotAPI.buttons(p.latest or {})]
    if p.kind == "member":
        if "체크인했어요" in text or "이미 체크인" in text:
            p.checked_in = True
            return ("none", "")
        if "응답을 저장했어요" in text:
            p.rsvp_saved = True
        if p.rsvp_saved and f"mtg:ci:{meeting_id}" in data:
            return ("press", f"mtg:ci:{meeting_id}")
        if not p.rsvp_saved and f"mtg:r:{meeting_id}:yes" in data:
            return ("press", f"mtg:r:{meeting_id}:yes")
        if f"mtg:v:{meeting_id}" in data:
            return ("press", f"mtg:v:{meeting_id}")
        return ("text", "/meetings")
    prefix = "op" if p.kind == "opening" else "sk"
    saved = SAVED[p.kind].search(text)
    if saved and "저장했어요" in text:
        record = int(saved.group(1))
        if record not in p.confirmed:
            p.confirmed.append(record)
            p.steps_seen.append([])
        if p.done:
            return ("none", "")
        return ("text", f"/{p.kind}")
    if f"{prefix}:save" in data:
        return ("press", f"{prefix}:save")
    if "sk:agree" in data:
        return ("press", "sk:agree")
    step = STEP.search(text)
    if step and data:
        index = int(step.group(1)) - 1
        p.steps_seen[-1].append(index)
        if index == 0 and not p.typed_names[p.form - 1:]:
            p.typed_names.append(opening_answer(p, 0)[1] if p.kind == "opening"
                                 else seeker_identity(p)[0])
        return opening_answer(p, index) if p.kind == "opening" else seeker_answer(p, index)
    if p.last_action is not None:  # not a screen of the form (e.g. only the intro): again
        return p.last_action
    return ("text", f"/{p.kind}")


def describe(p: Person, action: tuple[str, str], stale: JSON | None, events: list[JSON]) -> str:
    def show(m: JSON | None) -> str:
        if m is None:
            return "-"
        return (f"#{m['message_id']}{' (edit)' if m.get('_edited') else ''}: "
                f"{m.get('text', '')[:120]!r} {[d for _, d in FakeBotAPI.buttons(m)]}")

    lines = [f"{p.name} could not {action}", "saw " + show(stale)]
    lines += ["then " + show(e) for e in events[-6:]]
    return "\n".join(lines)


class World:
    def __init__(self, api: FakeBotAPI, bot: Process, meeting_id: int) -> None:
        self.api, self.bot, self.meeting_id = api, bot, meeting_id
        self.actions = 0
        self.slowest = 0.0  # the longest a reply took to begin, in seconds

    def _events(self, p: Person) -> list[JSON]:
        """Every message and edit in the person's chat but the news of other people's openings
        (a 새일센터 is told of each new opening in its 시군)."""
        events = self.api._events.get(p.uid, [])  # noqa: SLF001
        return [e for e in events
                if not any(d.startswith("match:o:") for _, d in FakeBotAPI.buttons(e))]

    async def _replies(self, p: Person, sent_at: float, update_id: int | None = None) -> bool:
        """Wait for the bot's reply to `update_id` (all of it); False when none will come: a
        killed process had the update in hand (lost by design), or, with no update (a button
        that was gone), when nothing came for a while with the bot up. Knowing which updates
        were lost, nobody needs to guess from the clock whether a reply is late or will never
        come: on a busy machine replies are just slower."""
        while True:
            if len(self._events(p)) > p.cursor:
                break
            if update_id is not None:
                if update_id in self.bot.recorded:
                    return False
            elif self.bot.up.is_set() and time.monotonic() - max(
                sent_at, self.bot.ready_at
            ) > max(PATIENCE, 4 * self.slowest):
                return False
            await asyncio.sleep(0.02)
        took = time.monotonic() - max(sent_at, self.bot.ready_at)
        self.slowest = max(self.slowest, took)
        seen = len(self._events(p))
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < max(QUIET, took):
            await asyncio.sleep(0.02)
            if len(self._events(p)) != seen:
                seen, quiet_since = len(self._events(p)), time.monotonic()
        events = self._events(p)
        p.cursor = len(events)
        p.latest = events[-1]
        return True

    def _perform(self, p: Person, action: tuple[str, str]) -> int | None:
        """The update id of what the person did; None when the button is gone."""
        kind, value = action
        if kind == "text":
            return int(self.api.send_text(p.uid, value)["update_id"])
        assert p.latest is not None
        current = self.api.message(p.uid, p.latest["message_id"])
        if current is None or value not in [d for _, d in self.api.buttons(current)]:
            return None  # the screen changed meanwhile: look again
        return int(self.api.press(p.uid, current, value)["update_id"])

    async def play(self, p: Person) -> None:
        while True:
            await self.bot.up.wait()
            events = self._events(p)
            if len(events) > p.cursor:  # something came meanwhile (e.g. after a restart)
                p.cursor, p.latest = len(events), events[-1]
            action = decide(p, self.meeting_id)
            if action[0] == "none":
                return
            if action == p.last_action:
                p.resends += 1
            sent = self._perform(p, action)
            if sent is None:
                # The button is gone (the screen changed): wait for what the bot shows next;
                # if nothing comes, start the task again, as a person would.
                if not await self._replies(p, time.monotonic()):
                    p.restarts += 1
                    p.last_action = ("text", "/meetings" if p.kind == "member" else f"/{p.kind}")
                    again = self._perform(p, p.last_action)
                    await self._replies(p, time.monotonic(), again)
                continue
            p.last_action = action
            p.actions += 1
            self.actions += 1
            assert p.actions < 200, f"{p.name} is going round in circles: {p.latest}"
            await self._replies(p, time.monotonic(), sent)

    async def kill_at_random(self, rng: random.Random, expected: int) -> list[int]:
        """SIGKILL after randomly chosen numbers of actions (plus a random instant)."""
        marks = sorted(rng.sample(range(10, int(expected * 0.85)), KILLS))
        done_at = []
        for mark in marks:
            while self.actions < mark:  # noqa: ASYNC110 - polling a counter is simplest
                await asyncio.sleep(0.005)
            await asyncio.sleep(rng.uniform(0, 0.08))
            await self.bot.kill()
            done_at.append(self.actions)
            await self.bot.start()
        return done_at


# --- set-up and checks -------------------------------------------------------------------------
async def seed(tmp_path: Path) -> tuple[list[Person], int]:
    """Members of two employer associations, two 새일센터 and three other agencies, and a
    council meeting starting in a quarter of an hour (answers and check-in both open)."""
    settings = load_settings(_env_file=None, BOT_TOKEN=TOKEN,
                             ITDA_DATA_DIR=str(tmp_path / "data"))
    runtime = create_runtime(settings, SystemClock())
    await prepare_database(runtime)
    people: list[Person] = []
    try:
        async with runtime.session() as s:
            employers = await council_db.list_agencies(
                session=s, kind=AgencyKind.EMPLOYER_ASSOCIATION)
            centres = await council_db.list_agencies(session=s, kind=AgencyKind.SAEIL_CENTER)
            others = [a for a in await council_db.list_agencies(session=s)
                      if a.kind not in (AgencyKind.EMPLOYER_ASSOCIATION, AgencyKind.SAEIL_CENTER,
                                        AgencyKind.PROVINCE)]
            province = await council_db.get_agency_by_code(session=s, code="chungnam-province")
            assert province is not None and len(others) >= 3
            cast = [(201, "구인담당가", "opening", employers[0]),
                    (202, "구인담당나", "opening", employers[1]),
                    (203, "새일담당가", "seeker", centres[0]),
                    (204, "새일담당나", "seeker", centres[1]),
                    (205, "위원가", "member", others[0]),
                    (206, "위원나", "member", others[1]),
                    (207, "위원다", "member", others[2])]
            now = runtime.clock.now()
            for uid, name, kind, agency in cast:
                member = Member(telegram_id=uid, display_name=name, agency_id=agency.id,
                                role="staff", joined_at=now)
                s.add(member)
                await s.flush()
                assert member.id is not None
                people.append(Person(uid, name, kind, member_id=member.id))
            lead = Member(telegram_id=COORDINATOR, display_name="코디", role="coordinator",
                          agency_id=province.id, joined_at=now)
            s.add(lead)
            await s.flush()
            meeting, invitees = await meetings_svc.create_council_meeting(
                session=s, clock=runtime.clock, actor=Actor(COORDINATOR, lead),
                starts_at=(now + timedelta(minutes=15)).replace(second=0, microsecond=0),
                place="도청 회의실", online_link="", agenda="하반기 실적 점검",
                agency_ids=[a.id for a in others[:3] if a.id is not None],
            )
            assert meeting.id is not None and len(invitees) == 3
            return people, meeting.id
    finally:
        await runtime.close()


def rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(tmp_path / "data" / "itda.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


async def test_many_users_while_the_bot_is_killed_at_random(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    people, meeting_id = await seed(tmp_path)
    for p in people:
        api.add_user(p.uid, p.name)
    bot = Process(api, tmp_path)
    world = World(api, bot, meeting_id)
    rng = random.Random(SEED)
    await bot.start()
    expected = sum(FORMS_EACH * (19 if p.kind == "opening" else 15) if p.kind != "member" else 4
                   for p in people)
    killer = asyncio.create_task(world.kill_at_random(rng, expected))
    try:
        # Bounds that only turn a hang into a failure (the scenario takes about a minute).
        await asyncio.wait_for(asyncio.gather(*(world.play(p) for p in people)), timeout=600)
        kills_at = await asyncio.wait_for(killer, timeout=60)
        assert await bot.stop() == 0
    finally:
        killer.cancel()
        if bot.proc is not None and bot.proc.returncode is None:
            bot.proc.kill()
            await bot.proc.wait()
    assert len(kills_at) == KILLS and bot.starts == KILLS + 1

    # Every confirmed record exists exactly once, with what was typed for it; nothing else.
    openings = rows(tmp_path, "SELECT id, created_by, company_name, deleted_at FROM jobopening")
    seekers = rows(tmp_path, "SELECT id, created_by, name, phone FROM jobseeker")
    cipher = Cipher(load_secret(configured=None, data_dir=tmp_path / "data"))
    for p in people:
        if p.kind == "member":
            continue
        mine = openings if p.kind == "opening" else seekers
        stored = sorted(r[0] for r in mine if r[1] == p.member_id)
        assert stored == sorted(p.confirmed), (p.name, stored, p.confirmed)
        assert len(p.confirmed) == FORMS_EACH
        names = [r[2] for r in mine if r[1] == p.member_id]
        if p.kind == "seeker":
            names = [cipher.decrypt(n) for n in names]
        assert sorted(names) == sorted(p.typed_names), (p.name, names, p.typed_names)
    assert len(openings) + len(seekers) == sum(len(p.confirmed) for p in people)
    receipts = rows(tmp_path, "SELECT kind, record_id FROM savereceipt")
    assert sorted(receipts) == sorted(
        [("opening", r[0]) for r in openings] + [("seeker", r[0]) for r in seekers])
    attendance = rows(tmp_path, "SELECT member_id, rsvp, present FROM attendance "
                                f"WHERE meeting_id = {meeting_id}")
    members = {p.member_id for p in people if p.kind == "member"}
    assert sorted(a[0] for a in attendance) == sorted(members)
    assert all(a[1] == "yes" and a[2] for a in attendance), attendance
    assert all(p.checked_in and p.rsvp_saved for p in people if p.kind == "member")

    # Every form resumed: the questions a person was asked never went back.
    assert not [p.name for p in people if p.restarts], "nobody had to start a task again"
    for p in people:
        for steps in p.steps_seen:
            assert steps == sorted(steps), (p.name, steps)

    # Seekers' names and phone numbers never went to the log.
    for p in people:
        for form in range(1, FORMS_EACH + 1):
            if p.kind == "seeker":
                name, phone = identity(p.uid, form)
                assert name not in bot.output and phone[-9:] not in bot.output
                assert phone.replace("-", "")[-8:] not in bot.output
    assert "Traceback" not in bot.output, bot.output[-3000:]


# --- the two mechanisms the scenario relies on, step by step (in-process, deterministic) ------
async def test_save_repeated_after_a_crash_confirms_the_same_record(harness: Any) -> None:
    """The process saved the opening, then died before its reply: the user taps 저장 again
    (the form is still at the summary) and gets the same opening, not a second one."""
    from handlers.openings import FLOW
    from tests.records_helpers import EMPLOYER_OPENING, start_opening, walk

    await harness.add_member(41, "상의담당", "chungnam-north-chamber")
    summary = await walk(harness, 41, await start_opening(harness, 41), EMPLOYER_OPENING)
    runtime = harness.runtime
    async with runtime.session() as s:  # what the dead process had committed
        member = await members_db.get_member_by_telegram_id(session=s, telegram_id=41)
        draft = (await s.get(BotData, ("user", 41))).data[FLOW.name]
        first, created = await openings_svc.create_opening(
            session=s, clock=harness.clock, actor=Actor(41, member), draft=draft["v"],
            minimum_wage=runtime.council.minimum_wage, token=draft["meta"]["token"])
    assert created
    saved = await harness.press(41, summary, "저장")
    assert f"#{first.id}" in saved["text"]
    async with runtime.session() as s:
        assert len((await s.exec(select(JobOpening))).all()) == 1


async def test_a_question_written_but_not_sent_is_asked_at_start(harness: Any) -> None:
    """The process wrote the next question's state, then died before sending it: at start the
    user is shown that question, and their answer goes to it."""
    from tests.records_helpers import EMPLOYER_OPENING, start_opening, walk

    await harness.add_member(42, "상의담당", "chungnam-north-chamber")
    await walk(harness, 42, await start_opening(harness, 42), EMPLOYER_OPENING[:3])
    await harness.stop()
    async with harness.runtime.session() as s:  # as if killed between the write and the send
        row = await s.get(BotData, ("user", 42))
        data = dict(row.data)
        data["opening"] = {**data["opening"], "sent": False}
        row.data = data
        s.add(row)
    harness.api.drain(42)
    await harness.start()
    resumed = await harness.expect(42)
    assert "다시 시작" in resumed["text"] and "[4/17]" in resumed["text"]
    nxt = await harness.send(42, EMPLOYER_OPENING[3])
    assert "[5/17]" in nxt["text"]
    await harness.restart()  # nothing is shown twice: the screen went out
    with pytest.raises(TimeoutError):
        await harness.expect(42, timeout=0.5)
