"""The programme calendar (진행일정): six steps per year, their dates and their states.

Defaults come from the work plan (the seed); the council file's `[programme]` section may change
them; coordinators change a date from the bot (audited). Steps 1 and 2 are done as soon as the
first council meeting (실무자협의회) of the year has been held; the others when a coordinator
marks them done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, local_zone
from core.errors import DomainError
from models import meetings as meetings_db
from models import programme as programme_db
from models.tables import ProgrammeStep
from services.membership import Actor, require_lead
from services.trail import audit

STEP_NUMBERS = (1, 2, 3, 4, 5, 6)
DISCOVERY_STEP = 3
STEP_TITLE_KEYS = (
    "programme.step1", "programme.step2", "programme.step3",
    "programme.step4", "programme.step5", "programme.step6",
)
COUNCIL_STEPS = (1, 2)  # done when the first council meeting has been held
DUE_SOON_DAYS = 7

DONE, IN_PROGRESS, DUE_SOON, OVERDUE, UPCOMING = (
    "done", "in_progress", "due_soon", "overdue", "upcoming"
)


@dataclass(frozen=True)
class StepSpec:
    number: int
    owner: str
    starts: tuple[int, int] | None  # (month, day)
    due: tuple[int, int] | None  # None: the discovery cutoff


@dataclass(frozen=True)
class ProgrammeConfig:
    years: tuple[int, ...]
    discovery_cutoff: tuple[int, int]
    steps: tuple[StepSpec, ...]

    def step_dates(self, year: int, number: int) -> tuple[str, date | None, date]:
        spec = next(s for s in self.steps if s.number == number)
        due = spec.due or self.discovery_cutoff
        starts = date(year, *spec.starts) if spec.starts else None
        return spec.owner, starts, date(year, *due)


# The work plan's calendar (seed): 7월말, 8월 중순, 9월초까지, 9월, 9∼10월, 11월.
DEFAULT_PROGRAMME = ProgrammeConfig(
    years=(),
    discovery_cutoff=(9, 5),
    steps=(
        StepSpec(1, "", (7, 17), (7, 31)),
        StepSpec(2, "", (8, 1), (8, 14)),
        StepSpec(3, "", (8, 1), None),
        StepSpec(4, "", (8, 15), (9, 30)),
        StepSpec(5, "", (9, 1), (10, 31)),
        StepSpec(6, "", (11, 1), (11, 30)),
    ),
)


def _month_day(value: Any, where: str) -> tuple[int, int]:
    text = str(value).strip()
    try:
        month, day = (int(p) for p in text.split("-"))
        date(2000, month, day)  # a leap year: 02-29 is allowed
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a MM-DD date") from None
    return month, day


def parse_programme(raw: dict[str, Any]) -> ProgrammeConfig:
    """The `[programme]` section of the council file, over the plan's defaults."""
    section = raw.get("programme") or {}
    cutoff = (
        _month_day(section["discovery_cutoff"], "[programme] discovery_cutoff")
        if "discovery_cutoff" in section
        else DEFAULT_PROGRAMME.discovery_cutoff
    )
    by_number = {s.number: s for s in DEFAULT_PROGRAMME.steps}
    for entry in section.get("steps", []):
        number = int(entry.get("number", 0))
        if number not in by_number:
            raise ValueError(f"programme.steps: unknown step number {number}")
        old = by_number[number]
        where = f"programme.steps[{number}]"
        by_number[number] = StepSpec(
            number=number,
            owner=str(entry.get("owner", old.owner)),
            starts=_month_day(entry["starts"], where) if "starts" in entry else old.starts,
            due=_month_day(entry["due"], where) if "due" in entry else old.due,
        )
    years = tuple(int(y) for y in section.get("years", []))
    config = ProgrammeConfig(years, cutoff, tuple(by_number[n] for n in STEP_NUMBERS))
    for year in years or (2000,):
        for number in STEP_NUMBERS:
            _, starts, due = config.step_dates(year, number)
            if starts is not None and starts > due:
                raise ValueError(f"programme.steps[{number}]: starts after it is due")
    return config


async def seed_programme(*, session: AsyncSession, config: ProgrammeConfig) -> int:
    """Add the steps of each configured year that has none yet; returns how many were added."""
    added = 0
    for year in config.years:
        for number in STEP_NUMBERS:
            if await programme_db.get_step(session=session, year=year, number=number):
                continue
            owner, starts, due = config.step_dates(year, number)
            step = ProgrammeStep(
                year=year, number=number, owner=owner, starts_on=starts, due_on=due
            )
            await programme_db.save_step(session=session, step=step)
            added += 1
    return added


@dataclass(frozen=True)
class StepView:
    number: int
    title_key: str  # programme.step1 .. programme.step6
    owner: str
    starts_on: date | None
    due_on: date
    completed_on: date | None
    state: str  # done | in_progress | due_soon | overdue | upcoming


def step_state(
    *, today: date, starts_on: date | None, due_on: date, completed_on: date | None
) -> str:
    """The state of a step on `today`: pure, so the calendar's edges are easy to test."""
    if completed_on is not None and completed_on <= today:
        return DONE
    if today > due_on:
        return OVERDUE
    if starts_on is not None and today < starts_on:
        return UPCOMING
    if today >= due_on - timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON
    return IN_PROGRESS


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=local_zone()), datetime(year + 1, 1, 1, tzinfo=local_zone())


async def programme_steps(
    *, session: AsyncSession, year: int, today: date
) -> list[StepView]:
    """The six steps of `year` with their states on `today` (`clock.today()`)."""
    stored = {s.number: s for s in await programme_db.list_steps(session=session, year=year)}
    start, end = _year_bounds(year)
    held = await meetings_db.first_held_council(session=session, start=start, end=end)
    council = held.starts_at if held is not None else None
    views = []
    for number in STEP_NUMBERS:
        step = stored.get(number)
        if step is not None:
            owner, starts, due, done = step.owner, step.starts_on, step.due_on, step.completed_on
        else:
            owner, starts, due = DEFAULT_PROGRAMME.step_dates(year, number)
            done = None
        if number in COUNCIL_STEPS and council is not None and done is None:
            done = council.date()
        views.append(
            StepView(
                number=number,
                title_key=STEP_TITLE_KEYS[number - 1],
                owner=owner,
                starts_on=starts,
                due_on=due,
                completed_on=done,
                state=step_state(today=today, starts_on=starts, due_on=due, completed_on=done),
            )
        )
    return views


async def discovery_cutoff(*, session: AsyncSession, year: int) -> date:
    """The discovery cutoff (발굴 마감) of `year`: step 3's due date, 9/5 unless configured."""
    step = await programme_db.get_step(session=session, year=year, number=DISCOVERY_STEP)
    if step is not None:
        return step.due_on
    return DEFAULT_PROGRAMME.step_dates(year, DISCOVERY_STEP)[2]


def parse_day(text: str, *, year: int) -> date:
    """A date as typed on a phone: 9/5, 9.5, 9월 5일, 0905 or 2026-09-05."""
    parts = [p for p in re.split(r"\D+", text.strip()) if p]
    try:
        if len(parts) == 1 and len(parts[0]) == 4 and parts[0].isdigit():
            return date(year, int(parts[0][:2]), int(parts[0][2:]))
        if len(parts) == 2:
            return date(year, int(parts[0]), int(parts[1]))
        if len(parts) == 3:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except (ValueError, OverflowError):  # no such day, or digits beyond any date
        pass
    raise DomainError("programme.bad_date", text=text[:20])


async def change_step(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    year: int,
    number: int,
    field: str,
    value: date | None,
) -> ProgrammeStep:
    """A coordinator changes a step's start, due or completion date (audited)."""
    require_lead(actor)
    if field not in ("starts_on", "due_on", "completed_on") or number not in STEP_NUMBERS:
        raise DomainError("programme.unknown_step")
    step = await programme_db.get_step(session=session, year=year, number=number)
    if step is None:
        owner, starts, due = DEFAULT_PROGRAMME.step_dates(year, number)
        step = ProgrammeStep(year=year, number=number, owner=owner, starts_on=starts, due_on=due)
    if value is not None and value.year != year:
        raise DomainError("programme.other_year", year=year)
    if field == "due_on" and value is None:
        raise DomainError("programme.bad_date", text="-")
    before = getattr(step, field)
    setattr(step, field, value)
    if step.starts_on is not None and step.starts_on > step.due_on:
        raise DomainError("programme.starts_after_due")
    if field == "completed_on" and value is not None and value > clock.today():
        raise DomainError("programme.done_in_future")
    await programme_db.save_step(session=session, step=step)
    await audit(
        session, clock.now(), actor, action="programme.change", entity="programmestep",
        entity_id=step.id,
        detail={"year": year, "number": number, "field": field, "from": before, "to": value},
    )
    return step
