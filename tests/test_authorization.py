"""Every command of services.commands.COMMANDS × role × chat kind, and the lead-only buttons:
allowed actions work, the rest are refused in Korean and logged. New commands appended to the
table are covered automatically."""

from __future__ import annotations

import html
import itertools
import logging
import re
from dataclasses import dataclass
from typing import Any

import pytest

from bot.fakeapi import FakeBotAPI
from locales import Translator
from models import council as council_db
from models import members as members_db
from models.tables import AgencyKind
from services import commands as command_table
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
