"""Targets (목표) per agency and year, and each agency's progress against them.

Employer associations are measured on openings found, 새일센터 on seekers found and meeting days
held, both on hires. Targets come from the council file's `[targets]` (filled in once) and are
changed by coordinators from the bot (audited).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, local_zone
from core.errors import DomainError
from core.text import clean_text
from models import audit as audit_db
from models import council as council_db
from models import programme as programme_db
from models import stats as stats_db
from models.stats import METRICS
from models.tables import Agency, Target
from services.membership import Actor, require_lead
from services.validation import count_value

MAX_TARGET = 10_000


@dataclass(frozen=True)
class TargetConfig:
    by_kind: dict[str, dict[str, int]]
    by_agency: dict[str, dict[str, int]]

    def for_agency(self, code: str, kind: str) -> dict[str, int]:
        values = dict(self.by_kind.get(kind, {}))
        values.update(self.by_agency.get(code, {}))
        return values


def _metrics(values: dict[str, Any], where: str) -> dict[str, int]:
    out = {}
    for metric, value in values.items():
        if metric not in METRICS:
            raise ValueError(f"{where}: unknown metric {metric!r} (use {', '.join(METRICS)})")
        if not isinstance(value, int) or not 0 <= value <= MAX_TARGET:
            raise ValueError(f"{where}.{metric}: {value!r} is not a whole number 0..{MAX_TARGET}")
        out[metric] = value
    return out


def parse_targets(raw: dict[str, Any], *, agency_codes: set[str], kinds: set[str]) -> TargetConfig:
    section = raw.get("targets") or {}
    by_kind = {}
    for kind, values in (section.get("by_kind") or {}).items():
        if kind not in kinds:
            raise ValueError(f"targets.by_kind: unknown agency kind {kind!r}")
        by_kind[kind] = _metrics(values, f"targets.by_kind.{kind}")
    by_agency = {}
    for code, values in (section.get("agencies") or {}).items():
        if code not in agency_codes:
            raise ValueError(f"targets.agencies: unknown agency code {code!r}")
        by_agency[code] = _metrics(values, f"targets.agencies.{code}")
    return TargetConfig(by_kind, by_agency)


async def seed_targets(
    *, session: AsyncSession, config: TargetConfig, years: tuple[int, ...]
) -> int:
    """Fill in the targets that are not set yet (a coordinator's change is kept)."""
    added = 0
    for agency in await council_db.list_agencies(session=session):
        assert agency.id is not None
        for metric, value in config.for_agency(agency.code, agency.kind).items():
            for year in years:
                if await programme_db.get_target(
                    session=session, agency_id=agency.id, year=year, metric=metric
                ):
                    continue
                target = Target(agency_id=agency.id, year=year, metric=metric, value=value)
                await programme_db.save_target(session=session, target=target)
                added += 1
    return added


@dataclass
class AgencyProgress:
    agency: Agency
    figures: dict[str, int] = field(default_factory=dict)  # metric -> count this season
    targets: dict[str, int] = field(default_factory=dict)  # metric -> target (if set)

    @property
    def ratio(self) -> float | None:
        """The mean share of target reached over the metrics with a target (None: no target)."""
        shares = [
            min(self.figures.get(m, 0) / t, 1.0) if t else 1.0 for m, t in self.targets.items()
        ]
        return sum(shares) / len(shares) if shares else None


def season_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=local_zone()), datetime(year + 1, 1, 1, tzinfo=local_zone())


async def progress(*, session: AsyncSession, year: int) -> list[AgencyProgress]:
    """Every active agency's figures of the year against its targets, laggards first.

    Agencies with targets come first, ordered by share reached (lowest first); agencies without
    targets follow in council order.
    """
    start, end = season_bounds(year)
    figures = await stats_db.figures_by_agency(session=session, start=start, end=end)
    targets: dict[int, dict[str, int]] = {}
    for target in await programme_db.list_targets(session=session, year=year):
        if target.value > 0:
            targets.setdefault(target.agency_id, {})[target.metric] = target.value
    rows = [
        AgencyProgress(
            agency=agency,
            figures=figures.get(agency.id or 0, {}),
            targets={m: targets[agency.id][m] for m in METRICS if m in targets.get(agency.id, {})}
            if agency.id in targets
            else {},
        )
        for agency in await council_db.list_agencies(session=session)
    ]
    order = {id(r): i for i, r in enumerate(rows)}
    rows.sort(key=lambda r: (r.ratio is None, r.ratio or 0.0, order[id(r)]))
    return rows


def parse_target_value(text: str) -> int:
    """'120', '1,200', '120명', '1천' (and '1만' is 10,000, not 1)."""
    try:
        number = count_value(clean_text(text, max_length=40))
    except (ValueError, DomainError):
        raise DomainError("target.bad_value", limit=MAX_TARGET) from None
    if number != int(number):
        raise DomainError("target.bad_value", limit=MAX_TARGET)
    value = int(number)
    if value > MAX_TARGET:
        raise DomainError("target.bad_value", limit=MAX_TARGET)
    return value


async def set_target(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    agency_id: int,
    year: int,
    metric: str,
    value: int,
) -> Target:
    """A coordinator sets one target (audited); 0 means "no target for this metric"."""
    lead = require_lead(actor)
    if metric not in METRICS:
        raise DomainError("target.unknown_metric")
    if not 0 <= value <= MAX_TARGET:
        raise DomainError("target.bad_value", limit=MAX_TARGET)
    agency = await council_db.get_agency(session=session, agency_id=agency_id)
    if agency is None or not agency.active:
        raise DomainError("status.unknown_agency_id")
    target = await programme_db.get_target(
        session=session, agency_id=agency_id, year=year, metric=metric
    )
    before = target.value if target else None
    if target is None:
        target = Target(agency_id=agency_id, year=year, metric=metric, value=value)
    target.value = value
    await programme_db.save_target(session=session, target=target)
    await audit_db.append_audit(
        session=session,
        at=clock.now(),
        action="target.set",
        actor_telegram_id=actor.telegram_id,
        actor_member_id=lead.id,
        entity="target",
        entity_id=target.id,
        detail={"agency_id": agency_id, "year": year, "metric": metric, "from": before,
                "to": value},
    )
    return target


async def agency_targets(
    *, session: AsyncSession, agency_id: int, year: int
) -> tuple[Agency, dict[str, int]]:
    """An agency and its targets of the year (for /targets' metric buttons)."""
    agency = await council_db.get_agency(session=session, agency_id=agency_id)
    if agency is None:
        raise DomainError("status.unknown_agency_id")
    row = next((r for r in await progress(session=session, year=year) if r.agency.id == agency_id),
               None)
    return agency, row.targets if row else {}
