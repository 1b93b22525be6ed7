"""/status: the six steps, each agency's progress against target and this month's reports.

Only aggregates are read and shown: counts per agency, 시군 and month, agency names and dates;
never a seeker's name, number or any other personal data. The text is built from these views
by `rendering.status`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import DomainError
from models import council as council_db
from models import stats as stats_db
from models.tables import Agency, MonthlyReport, Region
from services import followups, programme, reports, targets
from services.programme import StepView
from services.targets import AgencyProgress


@dataclass(frozen=True)
class Scope:
    """What /status is narrowed to: everything, one 시군, or one agency."""

    region: Region | None = None
    agency: Agency | None = None


def _norm(text: str) -> str:
    return "".join(text.split()).lower()


async def resolve_scope(*, session: AsyncSession, query: str) -> Scope:
    """A 시군 or agency from what was typed after /status; suggestions when nothing fits."""
    q = _norm(query)
    if not q:
        return Scope()
    regions = list(await council_db.list_regions(session=session))
    for region in regions:
        name = _norm(region.name)
        if q in (name, region.code) or (name.startswith(q) and len(q) >= len(name) - 1):
            return Scope(region=region)
    agencies = list(await council_db.list_agencies(session=session))
    for agency in agencies:
        if q in (_norm(agency.name), _norm(agency.short_name), agency.code):
            return Scope(agency=agency)
    partial = [a for a in agencies if q in _norm(a.name) or q in _norm(a.short_name)]
    if len(partial) == 1:
        return Scope(agency=partial[0])
    names = [a.short_name for a in partial]
    if not names:
        choices = {_norm(a.short_name): a.short_name for a in agencies}
        choices.update({_norm(r.name): r.name for r in regions})
        close = difflib.get_close_matches(q, list(choices), n=4, cutoff=0.4)
        names = [choices[c] for c in close]
    raise DomainError(
        "status.unknown_name", query=query[:30], suggestions=", ".join(names[:4]) or "-"
    )


@dataclass
class StatusView:
    year: int
    today: date
    month: str
    steps: list[StepView]
    progress: list[AgencyProgress]
    reports: dict[int, MonthlyReport]  # agency id -> first submitted version this month
    agencies: list[Agency]  # the agencies that must report, in council order
    scope: Scope = field(default_factory=Scope)
    region_figures: dict[str, int] | None = None
    # 사후관리: the season's hires still working at each follow-up point (aggregates only).
    retention: followups.Retention | None = None


async def build_status(
    *, session: AsyncSession, today: date, scope: Scope | None = None
) -> StatusView:
    scope = scope or Scope()
    year, month = today.year, reports.month_of(today)
    steps = await programme.programme_steps(session=session, year=year, today=today)
    rows = await targets.progress(session=session, year=year)
    table = await reports.submission_table(session=session, month=month)
    agencies = [r.agency for r in table]
    submitted = {r.agency.id or 0: r.first for r in table if r.first is not None}
    region_figures = None
    if scope.region is not None:
        serving = await council_db.agencies_serving(session=session, region_code=scope.region.code)
        all_regions = len(await council_db.list_regions(session=session))
        local = set()
        for agency in serving:
            served = await council_db.agency_regions(session=session, agency_id=agency.id or 0)
            if len(served) < all_regions:
                local.add(agency.id)
        rows = [r for r in rows if r.agency.id in local]
        agencies = [a for a in agencies if a.id in local]
        start, end = targets.season_bounds(year)
        region_figures = await stats_db.figures_in_region(
            session=session, region_code=scope.region.code, start=start, end=end
        )
    elif scope.agency is not None:
        rows = [r for r in rows if r.agency.id == scope.agency.id]
        agencies = [scope.agency]
    overall, by_agency = await followups.retention(session=session, today=today, year=year)
    if scope.region is not None:
        retention = followups.Retention.merged(
            [by_agency[a] for a in by_agency if a in {r.agency.id for r in rows}])
    elif scope.agency is not None:
        retention = by_agency.get(scope.agency.id or 0, followups.Retention())
    else:
        retention = overall
    return StatusView(year, today, month, steps, rows, submitted, agencies, scope, region_figures,
                      retention)


@dataclass
class AgencyDetail:
    agency: Agency
    row: AgencyProgress
    month: str
    this_month: dict[str, dict[str, int]]
    reports: list[tuple[str, MonthlyReport | None]]  # month -> first submitted version
    steps: list[StepView]
    today: date
    retention: followups.Retention | None = None  # the centre's own follow-up figures


async def build_agency_detail(
    *, session: AsyncSession, agency: Agency, today: date, earliest: str
) -> AgencyDetail:
    """A staff member's own agency in detail (private chat only)."""
    assert agency.id is not None
    year, month = today.year, reports.month_of(today)
    rows = await targets.progress(session=session, year=year)
    row = next((r for r in rows if r.agency.id == agency.id), AgencyProgress(agency))
    this_month = await reports.prefill(session=session, agency_id=agency.id, month=month)
    months = []
    cursor = earliest
    while cursor <= month:
        months.append(cursor)
        y, m = int(cursor[:4]), int(cursor[5:])
        cursor = f"{y + m // 12:04d}-{m % 12 + 1:02d}"
    history = []
    for mon in months[-6:]:
        state = await reports.open_report(session=session, agency_id=agency.id, month=mon)
        history.append((mon, state.versions[0] if state.versions else None))
    steps = await programme.programme_steps(session=session, year=year, today=today)
    _, by_agency = await followups.retention(session=session, today=today, year=year)
    return AgencyDetail(agency, row, month, this_month, history, steps, today,
                        by_agency.get(agency.id))
