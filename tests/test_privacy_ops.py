"""Privacy infrastructure: the audit review, retention purge and no personal data in the logs."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from adapters.logs import quiet_libraries
from core.clock import FrozenClock
from locales import Translator
from models import audit as audit_db
from models import council as council_db
from models.tables import AuditLog, JobSeeker
from services import retention
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness
from tests.test_process_lifecycle import main_cli

PSEUDONYM = Translator("ko")(retention.PSEUDONYM_KEY)

SEOUL_OFFSET = "+09:00"
SEOUL = ZoneInfo("Asia/Seoul")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + SEOUL_OFFSET)


async def make_seeker(h: BotHarness, name: str, phone: str, created: datetime) -> int:
    assert h.runtime is not None
    async with h.runtime.session() as s:
        agency = await council_db.get_agency_by_code(session=s, code="saeil-cheonan")
        assert agency is not None and agency.id is not None
        seeker = JobSeeker(
            agency_id=agency.id, name=name, phone=phone, phone_key=f"k{phone}",
            region_code="cheonan", desired_hours=20, created_at=created, note="메모 " + name,
        )
        s.add(seeker)
        await s.flush()
        assert seeker.id is not None
        return seeker.id


def test_cutoff_is_counted_from_the_end_of_the_programme_year() -> None:
    assert retention.cutoff(at("2027-12-31T23:00:00"), 12).year == 2026
    assert retention.cutoff(at("2028-01-01T00:30:00"), 12) == at("2027-01-01T00:00:00")
    assert retention.cutoff(at("2027-03-01T00:00:00"), 0) == at("2027-01-01T00:00:00")


async def test_purge_dry_run_then_purge_keeps_statistics_and_audit(
    harness: BotHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    this_year = datetime.now(SEOUL).year  # the CLI uses the real clock
    old = await make_seeker(
        harness, "박옛날", "010-1111-2222", at(f"{this_year - 2}-03-02T10:00:00")
    )
    new = await make_seeker(
        harness, "최최근", "010-3333-4444", at(f"{this_year - 1}-02-01T10:00:00")
    )
    assert harness.runtime is not None
    clock = FrozenClock(at(f"{this_year}-01-02T09:00:00"))
    async with harness.runtime.session() as s:
        plan = await retention.plan_purge(session=s, clock=clock, months=12)
    assert [x.id for x in plan.seekers] == [old]

    # The CLI (real clock, so year 2026 seekers are long due) shows ids, never names.
    assert await asyncio.to_thread(main_cli, ["purge", "--dry-run"], harness.settings) == 0
    out = capsys.readouterr().out
    assert f"seeker #{old}" in out and "1 would be destroyed" in out
    assert "박옛날" not in out and "010-1111-2222" not in out
    async with harness.runtime.session() as s:
        kept = await s.get(JobSeeker, old)
        assert kept is not None and kept.name == "박옛날", "a dry run changes nothing"

    async with harness.runtime.session() as s:
        await retention.purge(session=s, clock=clock, months=12, pseudonym=PSEUDONYM)
    async with harness.runtime.session() as s:
        gone = await s.get(JobSeeker, old)
        stays = await s.get(JobSeeker, new)
        assert gone is not None and stays is not None
        assert gone.name == "[파기됨]" and gone.phone == "" and gone.note == ""
        assert gone.purged_at is not None
        assert gone.region_code == "cheonan" and gone.desired_hours == 20  # statistics stay
        assert stays.name == "최최근" and stays.purged_at is None
        entries = await audit_db.list_audit(session=s, action_prefix="seeker.purge")
        assert entries and entries[-1].detail["ids"] == [old]
        assert "박옛날" not in str(entries[-1].detail)
    async with harness.runtime.session() as s:  # a second purge finds nothing more to do
        assert not (await retention.plan_purge(session=s, clock=clock, months=12)).seekers


async def test_audit_review_lists_the_month_and_detects_tampering(
    harness: BotHarness, api: FakeBotAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add_user(1, "Admin")
    menu = await harness.send(1, "/invite")  # role changes and invites are audited
    menu = await harness.press(1, menu, "천안새일센터")
    await harness.press(1, menu, "담당자")
    assert harness.runtime is not None
    month = harness.clock.now().strftime("%Y-%m")
    async with harness.runtime.session() as s:  # an old entry must survive any purge
        old = (await s.exec(select(AuditLog).order_by(col(AuditLog.id)))).first()
        assert old is not None
    assert await asyncio.to_thread(main_cli, ["audit", "--month", month], harness.settings) == 0
    out = capsys.readouterr().out
    assert "invite.create" in out and "member.admin_bootstrap" in out
    assert "chain intact" in out
    old_month = ["audit", "--month", "2020-01"]
    assert await asyncio.to_thread(main_cli, old_month, harness.settings) == 0
    assert "0 entries" in capsys.readouterr().out

    async with harness.runtime.session() as s:
        await retention.purge(
            session=s, clock=FrozenClock(harness.clock.now() + timedelta(days=800)), months=0,
            pseudonym=PSEUDONYM,
        )
        assert await s.get(AuditLog, old.id) is not None
    async with harness.runtime.session() as s:  # someone edits a row behind the bot's back
        await s.exec(
            update(AuditLog).where(col(AuditLog.id) == old.id).values(action="member.nothing")
        )
    assert await asyncio.to_thread(main_cli, ["audit", "--month", month], harness.settings) == 1
    assert f"BROKEN at entry #{old.id}" in capsys.readouterr().out


async def test_flows_leave_no_names_or_numbers_in_the_logs(
    harness: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_libraries()  # as `itda run` does; our own code logs at any level
    caplog.set_level(logging.DEBUG)
    personal = ["이수진", "박정호", "010-9876-5432", "01098765432", "낯선사람"]
    api.add_user(1, "Admin")
    menu = await harness.send(1, "/invite")
    menu = await harness.press(1, menu, "천안새일센터")
    link = await harness.press(1, menu, "담당자")
    code = re.search(r"start=([\w-]+)", link["text"])
    assert code
    api.add_user(12, "이수진", username="sujin")
    await harness.send(12, f"/start {code.group(1)}")
    confirm = await harness.expect(12)
    ask = await harness.press(12, confirm, "이름 바꾸기")
    assert ask
    await harness.send(12, "010-9876-5432")  # a phone number typed where a name goes
    ok = await harness.send(12, "박정호")
    await harness.press(12, ok, "네")
    await harness.send(12, "/whoami")
    await harness.send(12, "01098765432")
    menu = await harness.send(1, "/members")
    listing = await harness.press(1, menu, "천안새일센터")
    assert "박정호" in listing["text"]
    await make_seeker(harness, "김구직", "010-5555-6666", harness.clock.now())
    api.add_user(99, "낯선사람")
    await harness.send(99, "/members")  # a refusal: logged, with the id only
    personal += ["김구직", "010-5555-6666"]
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    )
    assert "refused /members for stranger 99" in logged  # the logs were captured
    leaks = [value for value in personal if value in logged]
    assert not leaks, f"personal data in the logs: {leaks}" + "\n".join(
        f"{r.name}: {r.getMessage()[:100]}" for r in caplog.records
        if any(v in r.getMessage() for v in personal)
    )
