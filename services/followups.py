"""Follow-up (사후관리) of every hire: is she still working 1, 3 and 6 months after the start?

Each hire gets one point per month of the council's list (`[followup]` in council.toml, by the
programme year of the start). From its day on, a point waits for the seeker's centre to answer
with one tap: 근무 중 (employed), 퇴사 (left, with the date and an optional reason), 연락 안 됨
(unreachable) or 나중에 (ask again the next business day, at most three times; then the point is
overdue, as is one left unanswered for two weeks). The answer of one point says something of the
others of the same hire: a woman who left on a day has left for every later point and was still
working at every earlier one, so those are answered too (never one that already has an answer).

Retention (고용유지율) counts, for each month of the list, the points already due and how many of
them found her still working. The rows hold no personal data, so the figures outlive a purged
seeker. Telegram-free: handlers and the reminder planner call these functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core import calendar as cal
from core.clock import Clock
from core.errors import DomainError, NotAllowed
from core.statuses import AgencyKind, FollowUpState, LeaveReason
from models import audit as audit_db
from models import council as council_db
from models import followups as followups_db
from models import seekers as seekers_db
from models.tables import FollowUp, Hire, JobOpening
from services import privacy
from services import reminders as planner
from services.access import acting_agency
from services.council import FollowUpConfig
from services.crypto import Cipher
from services.membership import Actor

# 나중에 at most three times, then the point is overdue, as is one unanswered for two weeks.
MAX_ASKS = planner.FOLLOWUP_MAX_ASKS
OVERDUE_AFTER = planner.FOLLOWUP_OVERDUE_AFTER
ANSWERS = (FollowUpState.EMPLOYED, FollowUpState.LEFT, FollowUpState.UNREACHABLE)


# --- creating, moving and cancelling the points of a hire ----------------------------------------
def points_for(hire: Hire, months: Sequence[int], now: datetime) -> list[FollowUp]:
    return [
        FollowUp(hire_id=hire.id or 0, agency_id=hire.agency_id, months=m,
                 due_on=cal.add_months(hire.hired_on, m), created_at=now)
        for m in months
    ]


async def create_points(
    *, session: AsyncSession, hire: Hire, config: FollowUpConfig, now: datetime
) -> list[FollowUp]:
    points = points_for(hire, config.months_for(hire.hired_on.year), now)
    await followups_db.add_points(session=session, points=points)
    return points


async def backfill(*, session: AsyncSession, config: FollowUpConfig, now: datetime) -> int:
    """Points for the live hires that have none (recorded before follow-ups existed, or by the
    demo); run at every start, so it does nothing once every hire has its points."""
    created = 0
    for hire in await followups_db.hires_without_points(session=session):
        created += len(await create_points(session=session, hire=hire, config=config, now=now))
    return created


async def move_points(*, session: AsyncSession, hire: Hire) -> int:
    """The hire's start date changed: its points still to answer follow the new date."""
    moved = 0
    for point in await followups_db.points_of_hire(session=session, hire_id=hire.id or 0):
        if point.state != FollowUpState.DUE:
            continue
        point.due_on = cal.add_months(hire.hired_on, point.months)
        point.ask_on, point.asks = None, 0
        session.add(point)
        moved += 1
    return moved


async def cancel_points(*, session: AsyncSession, hire_id: int) -> int:
    """The hire was deleted: its points still to answer are cancelled (answers are kept)."""
    cancelled = 0
    for point in await followups_db.points_of_hire(session=session, hire_id=hire_id):
        if point.state == FollowUpState.DUE:
            point.state = FollowUpState.CANCELLED
            session.add(point)
            cancelled += 1
    return cancelled


# --- what is due --------------------------------------------------------------------------------
def ask_day(point: FollowUp) -> date:
    """The day the centre is asked (again): the point's day, or the day after a 나중에."""
    return point.ask_on or point.due_on


def is_overdue(point: FollowUp, today: date) -> bool:
    return point.state == FollowUpState.DUE and (
        point.asks >= MAX_ASKS or today >= point.due_on + OVERDUE_AFTER
    )


@dataclass(frozen=True)
class PointView:
    """One point as its centre's list shows it (the seeker as that centre sees her)."""

    point_id: int
    hire_id: int
    months: int
    due_on: date
    overdue: bool
    asks: int
    seeker: str
    company: str
    title: str
    hired_on: date


async def due_for_centre(
    *, session: AsyncSession, actor: Actor, today: date, cipher: Cipher
) -> list[PointView]:
    """The actor's centre's points whose day has come, oldest first. Only the centre that
    follows a hire up sees its points, with the seeker's name in clear (as in its records)."""
    _, agency = await acting_agency(session=session, actor=actor)
    if agency is None or agency.kind != AgencyKind.SAEIL_CENTER:
        raise NotAllowed("followup.not_centre")
    rows = await followups_db.open_points(session=session, on_or_before=today,
                                          agency_id=agency.id)
    return [await _view(session, point, hire, opening, today, cipher)
            for point, hire, opening in rows]


async def _view(
    session: AsyncSession, point: FollowUp, hire: Hire, opening: JobOpening, today: date,
    cipher: Cipher,
) -> PointView:
    seeker = await seekers_db.get_seeker(session=session, seeker_id=hire.seeker_id)
    name = privacy.clear_contacts(seeker, cipher)[0] if seeker is not None else "-"
    return PointView(
        point_id=point.id or 0, hire_id=hire.id or 0, months=point.months,
        due_on=point.due_on, overdue=is_overdue(point, today), asks=point.asks, seeker=name,
        company=opening.company_name, title=opening.job_title, hired_on=hire.hired_on,
    )


async def point_for_centre(
    *, session: AsyncSession, actor: Actor, point_id: int, today: date, cipher: Cipher
) -> PointView:
    """One point of the actor's centre (a reminder's buttons lead here)."""
    point, hire, opening = await _own_point(session, actor, point_id)
    return await _view(session, point, hire, opening, today, cipher)


@dataclass
class CentreCounts:
    agency: str = ""  # the centre's short name
    due: int = 0
    overdue: int = 0


async def counts_by_centre(*, session: AsyncSession, today: date) -> dict[int, CentreCounts]:
    """{agency id: points to answer, of which overdue}: what a coordinator sees (no names of
    seekers, only of centres)."""
    out: dict[int, CentreCounts] = defaultdict(CentreCounts)
    for point, _hire, _opening in await followups_db.open_points(
        session=session, on_or_before=today
    ):
        counts = out[point.agency_id]
        counts.due += 1
        counts.overdue += is_overdue(point, today)
    if out:
        for agency in await council_db.list_agencies(session=session):
            if agency.id in out:
                out[agency.id].agency = agency.short_name
    return dict(out)


# --- answering ----------------------------------------------------------------------------------
async def _own_point(
    session: AsyncSession, actor: Actor, point_id: int
) -> tuple[FollowUp, Hire, JobOpening]:
    member, agency = await acting_agency(session=session, actor=actor)
    point = await followups_db.get_point(session=session, point_id=point_id)
    if point is None or point.state == FollowUpState.CANCELLED:
        raise DomainError("followup.not_found")
    if agency is None or agency.id != point.agency_id:
        raise NotAllowed("followup.not_yours")
    hire = await session.get(Hire, point.hire_id)
    opening = await session.get(JobOpening, hire.opening_id) if hire is not None else None
    if hire is None or hire.deleted_at is not None or opening is None:
        raise DomainError("followup.not_found")
    return point, hire, opening


@dataclass(frozen=True)
class Answered:
    point: FollowUp
    also: list[FollowUp] = field(default_factory=list)  # other points the answer settled


async def answer(
    *, session: AsyncSession, clock: Clock, actor: Actor, point_id: int, state: FollowUpState,
    left_on: date | None = None, reason: LeaveReason | None = None,
) -> Answered:
    """Record what the centre found at one point. 퇴사 needs the day it ended: not before the
    start, not in the future. A point already answered is refused (`followup.already`, with
    what it holds), so a double tap stores nothing twice."""
    if state not in ANSWERS:
        raise DomainError("followup.bad_answer")
    point, hire, _ = await _own_point(session, actor, point_id)
    member = actor.member
    today, now = clock.today(), clock.now()
    if point.state != FollowUpState.DUE:
        raise DomainError("followup.already", state=point.state)
    if point.due_on > today:
        raise DomainError("followup.not_yet", due=point.due_on.isoformat())
    if state == FollowUpState.LEFT:
        if left_on is None:
            raise DomainError("followup.left_date_needed")
        if left_on < hire.hired_on:
            raise DomainError("followup.left_before_start", start=hire.hired_on.isoformat())
        if left_on > today:
            raise DomainError("valid.date_future", date=left_on.isoformat(),
                              today=today.isoformat())
    settled: list[FollowUp] = []
    for other in await followups_db.points_of_hire(session=session, hire_id=hire.id or 0):
        if other.state != FollowUpState.DUE:
            continue
        if other.id == point.id:
            value = state
            if state == FollowUpState.LEFT and left_on is not None and left_on > other.due_on:
                value = FollowUpState.EMPLOYED  # she left after this point's day
        elif state == FollowUpState.LEFT and left_on is not None:
            value = FollowUpState.EMPLOYED if other.due_on < left_on else FollowUpState.LEFT
        elif state == FollowUpState.EMPLOYED and other.due_on < point.due_on:
            value = FollowUpState.EMPLOYED  # working now: she was working then
        else:
            continue
        other.state = value
        other.answered_at, other.answered_by = now, member.id if member else None
        if value == FollowUpState.LEFT:
            other.left_on, other.left_reason = left_on, reason
        session.add(other)
        if other.id != point.id:
            settled.append(other)
    await audit_db.append_audit(
        session=session, at=now, action="followup.answer", actor_telegram_id=actor.telegram_id,
        actor_member_id=member.id if member else None, entity="followup", entity_id=point.id,
        detail={"hire_id": hire.id, "months": point.months, "state": str(state),
                "left_on": left_on, "reason": str(reason) if reason else None,
                "also": [p.id for p in settled]},
    )
    return Answered(point, settled)


async def later(*, session: AsyncSession, clock: Clock, actor: Actor, point_id: int) -> FollowUp:
    """나중에: ask again the next business day, at most `MAX_ASKS` times."""
    point, _, _ = await _own_point(session, actor, point_id)
    if point.state != FollowUpState.DUE:
        raise DomainError("followup.already", state=point.state)
    if point.asks >= MAX_ASKS:
        raise DomainError("followup.no_more_later", times=MAX_ASKS)
    today = clock.today()
    point.asks += 1
    point.ask_on = cal.next_business_day(today)
    session.add(point)
    return point


# --- retention (고용유지율) ---------------------------------------------------------------------
@dataclass
class Retention:
    """For each month of the list: points already due, and how many found her working."""

    due: dict[int, int] = field(default_factory=dict)
    employed: dict[int, int] = field(default_factory=dict)
    left: dict[int, int] = field(default_factory=dict)
    unanswered: dict[int, int] = field(default_factory=dict)

    def add(self, months: int, state: str, n: int) -> None:
        self.due[months] = self.due.get(months, 0) + n
        bucket = {FollowUpState.EMPLOYED: self.employed, FollowUpState.LEFT: self.left,
                  FollowUpState.DUE: self.unanswered}.get(FollowUpState(state))
        if bucket is not None:
            bucket[months] = bucket.get(months, 0) + n

    def rate(self, months: int) -> float | None:
        """Share of the due points that found her working (None before any is due)."""
        due = self.due.get(months, 0)
        return self.employed.get(months, 0) / due if due else None

    @property
    def months(self) -> list[int]:
        return sorted(self.due)

    @classmethod
    def merged(cls, parts: Sequence[Retention]) -> Retention:
        out = cls()
        for part in parts:
            for bucket in ("due", "employed", "left", "unanswered"):
                into = getattr(out, bucket)
                for months, n in getattr(part, bucket).items():
                    into[months] = into.get(months, 0) + n
        return out

    def latest(self) -> tuple[int, float] | None:
        """The longest point with a due figure, and its rate: the headline 고용유지율."""
        for m in sorted(self.due, reverse=True):
            rate = self.rate(m)
            if rate is not None:
                return m, rate
        return None


async def retention(
    *, session: AsyncSession, today: date, year: int
) -> tuple[Retention, dict[int, Retention]]:
    """Overall and per-centre retention of the hires that started in `year`."""
    overall = Retention()
    by_agency: dict[int, Retention] = defaultdict(Retention)
    for agency_id, months, state, n in await followups_db.retention_counts(
        session=session, today=today, hired_from=date(year, 1, 1),
        hired_before=date(year + 1, 1, 1),
    ):
        overall.add(months, state, n)
        by_agency[agency_id].add(months, state, n)
    return overall, dict(by_agency)


async def reminder_details(
    *, session: AsyncSession, payload: dict[str, object], cipher: Cipher
) -> dict[str, str] | None:
    """What a follow-up reminder adds at send time: the seeker's name as her centre sees it
    (kept out of the outbox, which is not encrypted). None when the point was answered or
    cancelled meanwhile: the question is not sent."""
    point = await followups_db.get_point(session=session, point_id=int(str(payload["point"])))
    if point is None or point.state != FollowUpState.DUE:
        return None
    hire = await session.get(Hire, point.hire_id)
    if hire is None or hire.deleted_at is not None:
        return None
    seeker = await seekers_db.get_seeker(session=session, seeker_id=hire.seeker_id)
    return {"seeker": privacy.clear_contacts(seeker, cipher)[0] if seeker is not None else "-"}
