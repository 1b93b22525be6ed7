"""Invites and members at the service layer (no Telegram): the rules of joining the council."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.runtime import Runtime
from core.clock import FrozenClock
from core.errors import DomainError, NotAllowed
from models import audit as audit_db
from models import council as council_db
from models.tables import Member
from services import membership
from services.council import load_council, seed_council


async def _coordinator(rt: Runtime) -> membership.Actor:
    async with rt.session() as s:
        province = await council_db.get_agency_by_code(session=s, code="chungnam-province")
        assert province is not None
        m = Member(
            telegram_id=10, display_name="김민지", agency_id=province.id, role="coordinator"
        )
        s.add(m)
    return membership.Actor(10, m)


async def _agency_id(rt: Runtime, code: str) -> int:
    async with rt.session() as s:
        agency = await council_db.get_agency_by_code(session=s, code=code)
        assert agency is not None and agency.id is not None
        return agency.id


async def test_council_seed_is_idempotent(runtime: Runtime) -> None:
    async with runtime.session() as s:
        await seed_council(session=s, data=runtime.council)
    async with runtime.session() as s:
        agencies = await council_db.list_agencies(session=s)
        regions = await council_db.list_regions(session=s)
        saeil = await council_db.list_agencies(session=s, kind="saeil_center")
        serving_taean = await council_db.agencies_serving(
            session=s, region_code="taean", kind="saeil_center"
        )
    assert len(agencies) == 18 and len(regions) == 15 and len(saeil) == 9
    assert [a.code for a in serving_taean] == ["saeil-seosan"]
    # Every 시군 is served by at least one 새일센터.
    data = load_council(runtime.settings.council_file)
    served = {r for a in data.agencies if a.kind == "saeil_center" for r in a.regions}
    assert served == {r.code for r in data.regions}


async def test_invite_is_used_exactly_once(runtime: Runtime, clock: FrozenClock) -> None:
    lead = await _coordinator(runtime)
    agency_id = await _agency_id(runtime, "saeil-cheonan")
    async with runtime.session() as s:
        invite, _ = await membership.create_invite(
            session=s, clock=clock, actor=lead, agency_id=agency_id, role="staff", valid_days=7
        )
    async with runtime.session() as s:
        member, agency = await membership.accept_invite(
            session=s,
            clock=clock,
            code=invite.code,
            telegram_id=20,
            display_name=" 이수진 ",
            username=None,
            language="ko",
        )
    assert member.display_name == "이수진" and agency.code == "saeil-cheonan"
    with pytest.raises(DomainError) as err:
        async with runtime.session() as s:
            await membership.accept_invite(
                session=s,
                clock=clock,
                code=invite.code,
                telegram_id=21,
                display_name="다른사람",
                username=None,
                language="ko",
            )
    assert err.value.key == "invite.used"
    async with runtime.session() as s:
        entries = await audit_db.list_audit(session=s)
    assert [e.action for e in entries] == ["invite.create", "member.join"]
    assert audit_db.verify_chain(entries) is None


async def test_expired_and_revoked_invites(runtime: Runtime, clock: FrozenClock) -> None:
    lead = await _coordinator(runtime)
    agency_id = await _agency_id(runtime, "saeil-asan")
    async with runtime.session() as s:
        old, _ = await membership.create_invite(
            session=s, clock=clock, actor=lead, agency_id=agency_id, role="staff", valid_days=7
        )
        revoked, _ = await membership.create_invite(
            session=s, clock=clock, actor=lead, agency_id=agency_id, role="staff", valid_days=7
        )
    assert revoked.id is not None
    async with runtime.session() as s:
        await membership.revoke_invite(session=s, clock=clock, actor=lead, invite_id=revoked.id)
    later = FrozenClock(clock.now() + timedelta(days=7, seconds=1))
    for code, clk, key in [
        (old.code, later, "invite.expired"),
        (revoked.code, clock, "invite.revoked"),
        ("nope", clock, "invite.unknown"),
    ]:
        with pytest.raises(DomainError) as err:
            async with runtime.session() as s:
                await membership.open_invite(session=s, clock=clk, code=code)
        assert err.value.key == key


async def test_roles_that_may_be_invited(runtime: Runtime, clock: FrozenClock) -> None:
    lead = await _coordinator(runtime)
    saeil = await _agency_id(runtime, "saeil-asan")
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await membership.create_invite(
                session=s,
                clock=clock,
                actor=lead,
                agency_id=saeil,
                role="coordinator",
                valid_days=7,
            )
    with pytest.raises(NotAllowed):  # only admins invite admins
        async with runtime.session() as s:
            await membership.create_invite(
                session=s,
                clock=clock,
                actor=lead,
                agency_id=await _agency_id(runtime, "chungnam-province"),
                role="admin",
                valid_days=7,
            )
    staff = membership.Actor(30, Member(telegram_id=30, display_name="x", role="staff"))
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await membership.create_invite(
                session=s, clock=clock, actor=staff, agency_id=saeil, role="staff", valid_days=7
            )


async def test_deactivation_is_audited_and_protects_admins(
    runtime: Runtime, clock: FrozenClock
) -> None:
    lead = await _coordinator(runtime)
    async with runtime.session() as s:
        admin = Member(telegram_id=1, display_name="Admin", role="admin")
        staff = Member(telegram_id=2, display_name="박정호", role="staff")
        s.add_all([admin, staff])
    assert admin.id is not None and staff.id is not None
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await membership.deactivate_member(
                session=s, clock=clock, actor=lead, member_id=admin.id
            )
    async with runtime.session() as s:
        gone = await membership.deactivate_member(
            session=s, clock=clock, actor=lead, member_id=staff.id
        )
    assert not gone.active and gone.deactivated_at == clock.now()
    with pytest.raises(DomainError) as err:
        async with runtime.session() as s:
            await membership.deactivate_member(
                session=s, clock=clock, actor=lead, member_id=staff.id
            )
    assert err.value.key == "members.already_inactive"
    async with runtime.session() as s:
        actions = [e.action for e in await audit_db.list_audit(session=s)]
    assert actions == ["member.deactivate"]


def test_audit_chain_detects_tampering() -> None:
    from datetime import datetime

    from models.tables import AuditLog

    at = datetime.fromisoformat("2026-09-01T10:00:00+09:00")
    a = AuditLog(id=1, at=at, action="x", prev_hash="")
    a.hash = audit_db._row_hash("", a)
    b = AuditLog(id=2, at=at, action="y", prev_hash=a.hash)
    b.hash = audit_db._row_hash(a.hash, b)
    assert audit_db.verify_chain([a, b]) is None
    a.action = "changed"
    assert audit_db.verify_chain([a, b]) == 1


async def test_odd_invite_codes_are_unknown_without_a_query(runtime: Runtime) -> None:
    for code in ["gq\x00\x04", "", "a" * 65, "코드", "x y", "'; DROP TABLE invite; --"]:
        with pytest.raises(DomainError) as err:
            async with runtime.session() as s:
                await membership.open_invite(session=s, clock=runtime.clock, code=code)
        assert err.value.key == "invite.unknown"
