"""Job openings (구인): the form's fields, the 시간선택제 rule check, saving, editing, status,
soft deletion, the daily closing of expired openings and who is told about a new one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError, NotAllowed
from core.statuses import AgencyKind, OpeningStatus
from core.text import clean_text
from models import audit as audit_db
from models import council as council_db
from models import members as members_db
from models import openings as openings_db
from models.tables import JobOpening, Member
from services import records
from services import validation as v
from services.access import may_manage, require_opening_author
from services.forms import REGIONS, Also, Choice, FieldSpec, ParseEnv
from services.membership import Actor

EMPLOYMENT_TYPES = ("regular_part_time", "contract_part_time", "other")
WAGE_TYPES = ("hourly", "monthly")
YES_NO = (Choice("yes", "records.yes"), Choice("no", "records.no"))


def _text(limit: int, *, multiline: bool = False, required: bool = True):
    def parse(raw: str, env: ParseEnv) -> str:
        value = clean_text(raw, max_length=limit, multiline=multiline)
        if required and not value:
            raise DomainError("valid.empty")
        if "<" in value and ">" in value:
            raise DomainError("valid.no_markup")
        return value

    return parse


def _business_number(raw: str, env: ParseEnv) -> str:
    return v.business_number(raw)


def _weekly_hours(raw: str, env: ParseEnv) -> float:
    return v.parse_weekly_hours(raw)


def _work_time(raw: str, env: ParseEnv) -> str:
    return v.hour_range_text(raw)


def wage_value(raw: str, env: ParseEnv) -> Any:
    """An amount; '월 180만원' also switches the wage type to monthly (and '시급' to hourly)."""
    money = v.parse_money(raw)
    wage_type = money.period or env.draft.get("wage_type") or "hourly"
    if wage_type == "hourly" and not 1_000 <= money.amount <= 200_000:
        raise DomainError("valid.wage_hourly_range")
    if wage_type == "monthly" and not 100_000 <= money.amount <= 20_000_000:
        raise DomainError("valid.wage_monthly_range")
    if money.period:
        return Also(_value=money.amount, wage_type=money.period)
    return money.amount


def _positions(raw: str, env: ParseEnv) -> int:
    return v.parse_count(raw, low=1, high=999)


def _deadline(raw: str, env: ParseEnv) -> str:
    return v.parse_date(raw, today=env.today, allow_past=False).isoformat()


OPENING_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("company_name", "opening.f.company_name", "opening.ask.company_name", _text(120)),
    FieldSpec("business_number", "opening.f.business_number", "opening.ask.business_number",
              _business_number, optional=True, empty=None),
    FieldSpec("industry", "opening.f.industry", "opening.ask.industry", _text(60)),
    FieldSpec("job_title", "opening.f.job_title", "opening.ask.job_title", _text(120)),
    FieldSpec("duties", "opening.f.duties", "opening.ask.duties", _text(1000, multiline=True)),
    FieldSpec("region_code", "opening.f.region_code", "opening.ask.region_code", choices=REGIONS),
    FieldSpec("employment_type", "opening.f.employment_type", "opening.ask.employment_type",
              choices=tuple(Choice(t, f"opening.type.{t}") for t in EMPLOYMENT_TYPES)),
    FieldSpec("weekly_hours", "opening.f.weekly_hours", "opening.ask.weekly_hours", _weekly_hours),
    FieldSpec("work_days", "opening.f.work_days", "opening.ask.work_days", _text(60)),
    FieldSpec("work_time", "opening.f.work_time", "opening.ask.work_time", _work_time),
    FieldSpec("wage_type", "opening.f.wage_type", "opening.ask.wage_type",
              choices=tuple(Choice(t, f"opening.wage.{t}") for t in WAGE_TYPES)),
    FieldSpec("wage_amount", "opening.f.wage_amount", "opening.ask.wage_amount", wage_value),
    FieldSpec("positions", "opening.f.positions", "opening.ask.positions", _positions),
    FieldSpec("small_firm", "opening.f.small_firm", "opening.ask.small_firm", choices=YES_NO),
    FieldSpec("subsidy_approved", "opening.f.subsidy_approved", "opening.ask.subsidy_approved",
              choices=YES_NO),
    FieldSpec("deadline", "opening.f.deadline", "opening.ask.deadline", _deadline,
              optional=True, empty=None),
    FieldSpec("contact", "opening.f.contact", "opening.ask.contact", _text(120)),
)


def rule_violations(
    values: dict[str, Any], *, year: int, minimum_wage: dict[int, int]
) -> list[v.RuleViolation]:
    """The 시간선택제 rules the (draft or saved) values break."""
    return v.check_part_time_rules(
        weekly_hours=values.get("weekly_hours"),
        wage_type=values.get("wage_type") or "hourly",
        wage_amount=values.get("wage_amount"),
        small_firm=values.get("small_firm") in (True, "yes"),
        year=year,
        minimum_wage=minimum_wage,
    )


def _bool(value: Any) -> bool:
    return value in (True, "yes")


def _column_value(key: str, value: Any) -> Any:
    """A draft value as the column stores it."""
    if key in ("small_firm", "subsidy_approved"):
        return _bool(value)
    if key == "deadline":
        return date.fromisoformat(value) if value else None
    return value


def opening_values(opening: JobOpening) -> dict[str, Any]:
    """A saved opening as draft-shaped values (for summaries and the rule check)."""
    values = {spec.key: getattr(opening, spec.key) for spec in OPENING_FIELDS}
    values["small_firm"] = "yes" if opening.small_firm else "no"
    values["subsidy_approved"] = "yes" if opening.subsidy_approved else "no"
    values["deadline"] = opening.deadline.isoformat() if opening.deadline else None
    return values


async def create_opening(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    draft: dict[str, Any],
    minimum_wage: dict[int, int],
    token: str | None = None,
) -> tuple[JobOpening, bool]:
    """Save a confirmed draft as one opening (flagged when it breaks a 시간선택제 rule); True
    with it when this call created it.

    `token` is the draft's: a 저장 repeated after a crash returns the opening it created, with
    False (the 새일센터 were told by the call that created it, so they are not told again)."""
    member, agency = await require_opening_author(session=session, actor=actor)
    saved = await records.saved_before(
        session=session, token=token, entity="opening",
        load=lambda done: openings_db.get_opening(session=session, opening_id=done),
    )
    if saved is not None:
        return saved, False
    await records.check_draft(session=session, draft=draft, fields=OPENING_FIELDS)
    now = clock.now()
    opening = JobOpening(agency_id=agency.id or 0, created_by=member.id, created_at=now,
                         status=OpeningStatus.OPEN, company_name=draft["company_name"],
                         job_title=draft["job_title"], region_code=draft["region_code"])
    for spec in OPENING_FIELDS:
        setattr(opening, spec.key, _column_value(spec.key, draft.get(spec.key, spec.empty)))
    opening.rule_flags = [
        r.code for r in rule_violations(draft, year=now.year, minimum_wage=minimum_wage)
    ]
    await records.store_new(
        session=session, at=now, actor=actor, member=member, record=opening, entity="opening",
        token=token, detail={"agency_id": agency.id, "region": opening.region_code,
                             "rule_flags": opening.rule_flags},
    )
    return opening, True


async def editable(*, session: AsyncSession, actor: Actor, record_id: int) -> JobOpening:
    """The opening, refused (also before any question is asked) to an actor who may not manage
    it."""
    opening = await openings_db.get_opening(session=session, opening_id=record_id)
    if opening is None:
        raise DomainError("records.not_found")
    if not may_manage(actor, opening.agency_id):
        raise NotAllowed("records.not_yours")
    return opening


async def update_opening_field(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    opening_id: int,
    key: str,
    value: Any,
    minimum_wage: dict[int, int],
) -> JobOpening:
    """Change one field of a saved opening; the rule flags are checked again."""
    opening = await editable(session=session, actor=actor, record_id=opening_id)
    records.check_field(key, OPENING_FIELDS)
    extra = {}
    if isinstance(value, Also):
        extra = {k: val for k, val in value.items() if k != "_value"}
        value = value["_value"]
    old = getattr(opening, key)
    setattr(opening, key, _column_value(key, value))
    for other, val in extra.items():
        setattr(opening, other, _column_value(other, val))
    now = clock.now()
    opening.rule_flags = [
        r.code
        for r in rule_violations(opening_values(opening), year=now.year, minimum_wage=minimum_wage)
    ]
    return await records.store_edit(
        session=session, at=now, actor=actor, record=opening, entity="opening",
        detail={"field": key, "old": old, "new": getattr(opening, key)},
    )


async def set_opening_status(
    *, session: AsyncSession, clock: Clock, actor: Actor, opening_id: int, status: str
) -> JobOpening:
    opening = await editable(session=session, actor=actor, record_id=opening_id)
    return await records.change_status(
        session=session, clock=clock, actor=actor, record=opening, entity="opening",
        statuses=tuple(OpeningStatus), status=status, also=_stamp_closed,
    )


def _stamp_closed(opening: JobOpening, now: datetime) -> None:
    """A filled or closed opening is stamped with the time it ended; reopened, it is cleared."""
    opening.closed_at = now if opening.status != OpeningStatus.OPEN else None


async def delete_opening(
    *, session: AsyncSession, clock: Clock, actor: Actor, opening_id: int
) -> JobOpening:
    """Soft delete: the row stays (hires keep their history), hidden from every list."""
    opening = await editable(session=session, actor=actor, record_id=opening_id)
    return await records.soft_delete(
        session=session, clock=clock, actor=actor, record=opening, entity="opening"
    )


async def close_expired_openings(*, session: AsyncSession, clock: Clock) -> list[JobOpening]:
    """Close (마감) every open opening whose deadline has passed; returns them for telling their
    owners. Idempotent: a closed opening is not returned again."""
    now = clock.now()
    closed = []
    for opening in await openings_db.expired_openings(session=session, today=clock.today()):
        opening.status, opening.closed_at, opening.updated_at = OpeningStatus.CLOSED, now, now
        session.add(opening)
        await audit_db.append_audit(
            session=session, at=now, action="opening.expire", entity="opening",
            entity_id=opening.id, detail={"deadline": opening.deadline},
        )
        closed.append(opening)
    return closed


async def notification_recipients(
    *, session: AsyncSession, opening: JobOpening
) -> Sequence[Member]:
    """The active staff of every 새일센터 that serves the opening's 시군 (일자리 정보 공유)."""
    centres = await council_db.agencies_serving(
        session=session, region_code=opening.region_code, kind=AgencyKind.SAEIL_CENTER
    )
    recipients: list[Member] = []
    for centre in centres:
        recipients += await members_db.list_members(session=session, agency_id=centre.id)
    return recipients
