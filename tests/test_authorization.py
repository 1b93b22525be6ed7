"""Every command of services.commands.COMMANDS × role × chat kind, and the lead-only buttons:
allowed actions work, the rest are refused in Korean and logged. New commands appended to the
table are covered automatically."""

from __future__ import annotations

import html
import itertools
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from core.statuses import AgencyKind
from locales import Translator
from models import council as council_db
from models import meetings as meetings_db
from models import members as members_db
from services import commands as command_table
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness

GROUP = -100777
REFUSAL_KEYS = (
    "auth.not_member", "auth.not_allowed", "auth.private_only", "auth.group_only",
    "auth.deactivated", "auth.leads_only",
)


def plain(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def refusals(command: str) -> set[str]:
    tr = Translator("ko")
    return {plain(tr(key, command=command)) for key in REFUSAL_KEYS}


@dataclass(frozen=True)
class Person:
    label: str
    telegram_id: int
    role: str  # commands.GUEST or a member role
    agency_kind: str | None


async def cast(h: BotHarness, spec: command_table.CommandSpec) -> list[Person]:
    """Stranger, staff of another agency kind, staff, coordinator and admin for this command."""
    kinds = sorted(spec.staff_kinds or {AgencyKind.SAEIL_CENTER})
    own = kinds[0]
    other = next(k for k in AgencyKind if k not in (spec.staff_kinds or {own}))
    assert h.runtime is not None
    async with h.runtime.session() as s:
        own_agency = (await council_db.list_agencies(session=s, kind=own))[0]
        other_agency = (await council_db.list_agencies(session=s, kind=other))[0]
        province = await council_db.get_agency_by_code(session=s, code="chungnam-province")
    assert province is not None
    people = [
        Person("stranger", 90, command_table.GUEST, None),
        Person("other-staff", 91, "staff", other),
        Person("staff", 92, "staff", own),
        Person("coordinator", 93, "coordinator", province.kind),
        Person("admin", 1, "admin", None),
    ]
    h.api.add_user(90, "낯선사람")
    h.api.add_user(1, "관리자")
    await h.add_member(91, "다른기관", other_agency.code, "staff")
    await h.add_member(92, "담당자", own_agency.code, "staff")
    await h.add_member(93, "코디", province.code, "coordinator")
    h.api.add_group(GROUP, "협의회", members=[p.telegram_id for p in people])
    return people


@pytest.mark.parametrize("name", [spec.name for spec in command_table.COMMANDS])
async def test_command_matrix(
    harness: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    caplog.set_level(logging.INFO)
    spec = command_table.command(name)
    assert spec is not None
    refused_texts = refusals(name)
    problems: list[str] = []
    for person in await cast(harness, spec):
        for chat in (command_table.PRIVATE, command_table.GROUP):
            chat_id = None if chat == command_table.PRIVATE else GROUP
            allowed = command_table.may_use(
                spec, role=person.role, agency_kind=person.agency_kind, chat=chat
            )
            caplog.clear()
            reply = await harness.send(person.telegram_id, f"/{name}", chat_id=chat_id)
            text = plain(reply["text"])
            was_refused = text in refused_texts
            where = f"/{name} by {person.label} in {chat}"
            if allowed and was_refused:
                problems.append(f"{where}: refused but allowed ({text})")
            if not allowed and not was_refused:
                problems.append(f"{where}: not refused ({text[:60]})")
            if not allowed and not re.search(rf"refused .*/{name}\b", caplog.text):
                problems.append(f"{where}: refusal not logged")
            if chat == command_table.PRIVATE and allowed:
                await harness.send(person.telegram_id, "/cancel")  # close any form it opened
    assert not problems, "\n".join(problems)


_forged = itertools.count(1)


def forged_press(api: FakeBotAPI, user_id: int, message: dict[str, Any], data: str) -> str:
    """A callback query with any data (as an old or tampered button would send); its id."""
    query_id = f"forged-{next(_forged)}"
    api._open_callbacks.add(query_id)  # noqa: SLF001 - Telegram knows the query; the fake must
    api.send_update(
        {
            "callback_query": {
                "id": query_id,
                "from": api.users[user_id],
                "message": message,
                "chat_instance": "1",
                "data": data,
            }
        }
    )
    return query_id


async def test_lead_buttons_refused_for_staff_and_strangers(
    harness: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    spec = command_table.command("members")
    assert spec is not None
    people = await cast(harness, spec)
    await harness.add_member(94, "대상자", "saeil-asan", "staff")
    assert harness.runtime is not None
    async with harness.runtime.session() as s:
        target = await members_db.get_member_by_telegram_id(session=s, telegram_id=94)
        assert target is not None and target.agency_id is not None
    buttons = [
        f"mem:ag:{target.agency_id}", f"mem:off:{target.id}", f"mem:offok:{target.id}",
        "inv:rv:1", "inv:ag:1", "inv:role:admin",
    ]
    tr = Translator("ko")
    leads_only = {plain(tr("auth.leads_only")), plain(tr("auth.not_member")),
                  plain(tr("stale.text"))}
    for person in people:
        if person.role in command_table.LEADS:
            continue
        anchor = await harness.send(person.telegram_id, "/help")
        for data in buttons:
            api.drain(person.telegram_id)
            forged_press(api, person.telegram_id, anchor, data)
            reply = await api.next_message(person.telegram_id)
            assert plain(reply["text"]) in leads_only, (person.label, data, reply["text"])
    async with harness.runtime.session() as s:
        target = await members_db.get_member_by_telegram_id(session=s, telegram_id=94)
        assert target is not None and target.active, "nobody but a lead deactivates"
    assert "refused auth.leads_only" in caplog.text


# --- the features' buttons: records, matching, hires, meetings, reports, export ----------------
@dataclass(frozen=True)
class Forged:
    name: str
    data: str  # with {o}, {s}, {m}, {d}, {att}, {satt} for the records made by `feature_world`
    allowed: frozenset[str]  # who may (in a private chat); everyone else is refused
    opens: str = ""  # a command that opens the screen the button belongs to, first
    intact: str = ""  # SQL giving a value that must not change unless someone allowed pressed
    group_ok: bool = False  # the allowed may also use it from a group chat (no seeker data)


FEATURE_BUTTONS = [
    Forged("delete another agency's opening", "mine:delok:{o}",
           frozenset({"employer-a", "coordinator"}), "/mine",
           "SELECT deleted_at IS NULL FROM jobopening WHERE id = {o}"),
    Forged("close another agency's opening", "mine:sv:{o}:closed",
           frozenset({"employer-a", "coordinator"}), "/mine",
           "SELECT status FROM jobopening WHERE id = {o}"),
    Forged("edit another agency's opening", "mine:ev:{o}:small_firm:1",
           frozenset({"employer-a", "coordinator"}), "/mine",
           "SELECT small_firm FROM jobopening WHERE id = {o}"),
    Forged("delete another centre's seeker", "mine:delok:{s}", frozenset({"centre-x"}), "/mine",
           "SELECT deleted_at IS NULL FROM jobseeker WHERE id = {s}"),
    Forged("status of another centre's seeker", "mine:sv:{s}:stopped", frozenset({"centre-x"}),
           "/mine", "SELECT status FROM jobseeker WHERE id = {s}"),
    Forged("open another centre's seeker", "mine:open:{s}", frozenset({"centre-x"}), "/mine"),
    Forged("match another centre's seeker", "match:s:{s}",
           frozenset({"centre-x", "coordinator", "admin"})),
    Forged("hire another centre's seeker", "hire:so:{s}:{o}",
           frozenset({"centre-x", "coordinator", "admin"})),
    Forged("tick attendance", "mtg:ap:{att}", frozenset({"coordinator", "admin"}), "",
           "SELECT present FROM attendance WHERE id = {att}", group_ok=True),
    Forged("cancel a council meeting", "mtg:cxok:{m}", frozenset({"coordinator", "admin"}), "",
           "SELECT status FROM meeting WHERE id = {m}", group_ok=True),
    Forged("see a meeting day's seekers", "mday:se:{d}", frozenset({"centre-x"})),
    Forged("uninvite a meeting day's seeker", "mday:ts:{d}:{s}", frozenset({"centre-x"}), "",
           "SELECT count(*) FROM attendance WHERE meeting_id = {d} AND seeker_id = {s}"),
    Forged("close a meeting day", "mday:closeok:{d}", frozenset({"centre-x"}), "",
           "SELECT status FROM meeting WHERE id = {d}"),
    Forged("nudge the agencies", "rep:nudge:2026-08", frozenset({"coordinator", "admin"}), "",
           "SELECT count(*) FROM auditlog WHERE action = 'monthly_report.nudge'",
           group_ok=True),
    Forged("export the season", "exp:x:20260801:20260831", frozenset({"coordinator", "admin"})),
    Forged("a report's send without a draft", "rep:send", frozenset()),
    Forged("a target without the form", "tgt:ag:1", frozenset()),
]
REFUSED = {plain(Translator("ko")(key, command=c))
           for key in (*REFUSAL_KEYS, "records.not_yours", "records.not_found", "stale.text",
                       "meetingday.host_only", "meetingday.saeil_only", "records.no_agency",
                       "hire.not_allowed", "seeker.not_allowed", "meetings.unknown")
           for c in ("match", "hire", "meetings", "export", "mine")}
SEEKER_NAME, SEEKER_PHONE = "윤서하", "010-3141-5926"


async def feature_world(h: BotHarness) -> tuple[dict[str, int], dict[str, int]]:
    """Two employer associations (A, B), two 새일센터 (X, Y), a coordinator, an admin and a
    stranger; A's opening, X's seeker, a council meeting and X's meeting day with both."""
    from models.tables import JobOpening, JobSeeker
    from services import meetings as meetings_svc
    from services import openings as openings_svc
    from services import seekers as seekers_svc
    from services.membership import Actor

    people = {"stranger": 90, "employer-a": 95, "employer-b": 96, "centre-x": 97,
              "centre-y": 98, "coordinator": 93, "admin": 1}
    h.api.add_user(90, "낯선사람")
    h.api.add_user(1, "관리자")
    a = await h.add_member(95, "상의담당", "chungnam-north-chamber")
    await h.add_member(96, "여경협담당", "women-entrepreneurs-chungnam")
    x = await h.add_member(97, "천안새일", "saeil-cheonan")
    await h.add_member(98, "아산새일", "saeil-asan")
    lead = await h.add_member(93, "코디", "chungnam-province", "coordinator")
    await h.send(1, "/help")  # the admin becomes a member by writing once
    h.api.add_group(GROUP, "협의회", members=list(people.values()))
    assert h.runtime is not None
    runtime = h.runtime
    ids: dict[str, int] = {}
    draft = {"company_name": "행복제과", "business_number": None, "industry": "제조업",
             "job_title": "포장", "duties": "제품 포장", "region_code": "cheonan",
             "employment_type": "regular_part_time", "weekly_hours": 20.0,
             "work_days": "월~금", "work_time": "10:00-15:00", "wage_type": "hourly",
             "wage_amount": 13_500, "positions": 3, "small_firm": "no",
             "subsidy_approved": "yes", "deadline": None, "contact": "041-555-1234"}
    async with runtime.session() as s:
        other = await council_db.get_agency_by_code(session=s, code="chungnam-venture")
        centre = await council_db.get_agency_by_code(session=s, code="saeil-gongju")
        assert other is not None and other.id is not None and centre and centre.id
        for _ in range(3):  # other records first: no opening shares the seeker's id
            s.add(JobOpening(agency_id=other.id, company_name="다른", job_title="-",
                             region_code="gongju", created_at=h.clock.now()))
        for n in range(6):
            s.add(JobSeeker(agency_id=centre.id, name="-", phone="-", phone_key=f"other{n}",
                            region_code="gongju", created_at=h.clock.now()))
        opening, _ = await openings_svc.create_opening(
            session=s, clock=h.clock, actor=Actor(95, a), draft=draft,
            minimum_wage=runtime.council.minimum_wage)
        cipher = runtime.cipher
        seeker = await seekers_svc.create_seeker(
            session=s, clock=h.clock, actor=Actor(97, x), cipher=cipher, consent_at=h.clock.now(),
            draft={"name": cipher.encrypt(SEEKER_NAME), "phone": cipher.encrypt(SEEKER_PHONE),
                   "birth_year": 1984, "region_code": "cheonan", "desired_jobs": "포장",
                   "desired_hours": 20.0, "time_of_day": "morning", "desired_wage": None,
                   "interruption_reason": "childcare", "interruption_years": 3.0,
                   "consent_share": "no", "note": ""})
        assert opening.id is not None and seeker.id is not None
        ids["o"], ids["s"] = opening.id, seeker.id
        assert a.agency_id is not None and x.agency_id is not None
        agencies = [a.agency_id, x.agency_id]
        meeting, _ = await meetings_svc.create_council_meeting(
            session=s, clock=h.clock, actor=Actor(93, lead), place="도청",
            starts_at=h.clock.now() + timedelta(days=3), online_link="", agenda="점검",
            agency_ids=agencies)
        assert meeting.id is not None
        ids["m"] = meeting.id
        day = await meetings_svc.create_meeting_day(
            session=s, clock=h.clock, actor=Actor(97, x), region_code="cheonan",
            starts_at=h.clock.now() + timedelta(days=5), venue="센터", capacity=20,
            contact="041-000-0000")
        assert day.id is not None
        ids["d"] = day.id
        await meetings_svc.toggle_seeker(session=s, clock=h.clock, actor=Actor(97, x),
                                         meeting_id=day.id, seeker_id=seeker.id)
        rows = {r.member_id: r.id for r in await meetings_db.rsvps(session=s,
                                                                   meeting_id=meeting.id)}
        attendance_id = rows[a.id]
        assert attendance_id is not None
        ids["att"] = attendance_id
    return people, ids


async def value(h: BotHarness, sql: str) -> object:
    from sqlalchemy import text

    assert h.runtime is not None
    async with h.runtime.session() as s:
        return (await s.exec(text(sql))).first()


@pytest.mark.parametrize("case", FEATURE_BUTTONS, ids=lambda c: c.name)
async def test_feature_buttons_forged_by_everyone_else(
    harness: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture, case: Forged
) -> None:
    """Each feature button pressed (forged) by staff of another agency, staff, strangers,
    coordinators and admins, in private and in the group: who may, may; everyone else gets a
    refusal in Korean, the record stays as it was, and no seeker's data reaches the group."""
    caplog.set_level(logging.INFO)
    people, ids = await feature_world(harness)
    data = case.data.format(**ids)
    intact = case.intact.format(**ids)
    problems: list[str] = []
    first_allowed = True
    # The allowed go last: their press may change what the others must not.
    order = sorted(people, key=lambda label: label in case.allowed)
    for label in order:
        user = people[label]
        for chat_id in (None, GROUP):
            chat = chat_id if chat_id is not None else user
            allowed = label in case.allowed and (chat_id is None or case.group_ok)
            if case.opens and chat_id is None:
                await harness.send(user, case.opens)
            anchor = await harness.send(user, "/help", chat_id=chat_id)
            before = await value(harness, intact) if intact else None
            api.drain(chat)
            forged_press(api, user, anchor, data)
            reply_message = await api.next_message(chat)
            reply = plain(reply_message.get("text") or reply_message.get("caption") or "")
            where = f"{case.name}: {label} in {'group' if chat_id else 'private'}"
            if not allowed and reply not in REFUSED:
                problems.append(f"{where}: not refused ({reply[:70]})")
            if not allowed and intact and await value(harness, intact) != before:
                problems.append(f"{where}: changed the record")
            if allowed and first_allowed:  # later ones may find the work done already
                first_allowed = False
                if reply in REFUSED:
                    problems.append(f"{where}: refused but allowed ({reply[:70]})")
            await harness.settled()  # anything else the press sends has arrived
            if chat_id is not None:
                api.drain(chat)
            if case.opens and chat_id is None:
                await harness.send(user, "/cancel")
    group_text = " ".join(
        m.get("text", "") + m.get("caption", "") + " ".join(t for t, _ in api.buttons(m))
        for m in api._events.get(GROUP, []))  # noqa: SLF001 - messages and edits, with buttons
    assert SEEKER_NAME not in group_text and SEEKER_PHONE[-4:] not in group_text
    assert not [c for c in api.calls if c.method == "sendDocument" and c.chat_id == GROUP]
    assert not problems, "\n".join(problems)
