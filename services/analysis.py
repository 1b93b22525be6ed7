"""The November analysis (성과분석): the figures of the first sheet, 성과 요약.

Per agency its targets, its results of the period (openings, seekers, meeting days, interviews,
hires) and its 달성률 per target and overall; subtotals per kind of agency and a total; the six
steps with planned and actual dates; the month-end reports (on time, late, missing) and the hires
by month. Everything here is plain data computed from a handful of queries: the workbook
(`rendering.workbook`) writes it, with Excel formulas for the subtotals that give the same numbers.

A share is result / target, uncapped (120 % is shown as such); the overall 달성률 of an agency is
the mean of its shares capped at 100 %, the same figure as /status; the overall 달성률 of a group
is the mean of its agencies' overall 달성률 (agencies without targets left out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.statuses import AgencyKind
from models import exports as exports_db
from models import programme as programme_db
from models.stats import METRICS, REPORT_METRICS
from models.tables import Agency, MonthlyReport
from services import followups, reports
from services.followups import Retention
from services.programme import StepView, programme_steps

# The kinds measured against targets, in the order of the sheet; other kinds follow if they have
# targets or results (the coordinators' own agencies usually have neither and are left out).
KIND_ORDER = (
    AgencyKind.EMPLOYER_ASSOCIATION,
    AgencyKind.SAEIL_CENTER,
    AgencyKind.BRANCH_OFFICE,
)
# 성과 요약's results: the records' figures (the report's follow-up counts have their own table).
RESULTS = tuple(m for m in REPORT_METRICS if m not in ("followups", "retained"))
TARGETED = METRICS  # openings, seekers, meeting_days, hires


def share(result: int, target: int | None) -> float | None:
    """result / target; None when there is no target."""
    return result / target if target else None


def overall(results: dict[str, int], targets: dict[str, int]) -> float | None:
    """The mean of the shares capped at 100 % over the metrics with a target."""
    shares = [min(results.get(m, 0) / t, 1.0) for m, t in targets.items() if t]
    return sum(shares) / len(shares) if shares else None


@dataclass(frozen=True)
class AgencyRow:
    agency_id: int
    name: str
    kind: str
    targets: dict[str, int]  # metric -> target (> 0 only)
    results: dict[str, int]  # every RESULTS metric -> count in the period

    def share(self, metric: str) -> float | None:
        return share(self.results.get(metric, 0), self.targets.get(metric))

    @property
    def overall(self) -> float | None:
        return overall(self.results, self.targets)


@dataclass(frozen=True)
class Group:
    """Agencies of one kind, or (kind "") every agency: the 합계 row."""

    kind: str
    rows: list[AgencyRow]

    def target(self, metric: str) -> int:
        return sum(r.targets.get(metric, 0) for r in self.rows)

    def result(self, metric: str) -> int:
        return sum(r.results.get(metric, 0) for r in self.rows)

    def share(self, metric: str) -> float | None:
        return share(self.result(metric), self.target(metric))

    @property
    def overall(self) -> float | None:
        values = [r.overall for r in self.rows if r.overall is not None]
        return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class ReportMonth:
    month: str
    due: int  # agencies that must report
    on_time: int
    late: int
    missing: int  # the deadline has passed and nothing was submitted
    pending: int  # the deadline has not passed yet and nothing was submitted


@dataclass
class Analysis:
    year: int
    start: date
    end: date
    made_on: date
    groups: list[Group]
    steps: list[StepView] = field(default_factory=list)
    reports: list[ReportMonth] = field(default_factory=list)
    hires_by_month: list[tuple[str, int]] = field(default_factory=list)
    # {(agency id, 'YYYY-MM'): {RESULTS metric: count}}: the 월별 실적 sheet's figures
    by_month: dict[tuple[int, str], dict[str, int]] = field(default_factory=dict)
    # 사후관리 of the year's hires: overall and per centre (agency id), points due by today.
    retention: Retention = field(default_factory=Retention)
    retention_by_agency: dict[int, Retention] = field(default_factory=dict)

    @property
    def total(self) -> Group:
        return Group("", [r for g in self.groups for r in g.rows])

    @property
    def ranked(self) -> list[AgencyRow]:
        """Agencies with targets by overall 달성률, highest first (ties in sheet order)."""
        rows = [r for r in self.total.rows if r.overall is not None]
        return sorted(rows, key=lambda r: -(r.overall or 0.0))


def months_between(start: date, end: date) -> list[str]:
    out, cursor = [], date(start.year, start.month, 1)
    while cursor <= end:
        out.append(reports.month_of(cursor))
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return out


def summarise(
    *,
    agencies: Sequence[Agency],
    targets: dict[int, dict[str, int]],
    per_month: dict[tuple[int, str], dict[str, int]],
    months: Sequence[str],
) -> list[Group]:
    """Per-agency rows grouped by kind: pure, the core of the unit tests."""
    results: dict[int, dict[str, int]] = {}
    for (agency_id, month), figures in per_month.items():
        if month in months:
            into = results.setdefault(agency_id, dict.fromkeys(RESULTS, 0))
            for metric, n in figures.items():
                if metric in into:
                    into[metric] += n
    rows: dict[str, list[AgencyRow]] = {}
    for a in agencies:
        if a.id is None or not a.active:
            continue
        got = results.get(a.id, dict.fromkeys(RESULTS, 0))
        wanted = {m: targets[a.id][m] for m in TARGETED if targets.get(a.id, {}).get(m, 0) > 0}
        if a.kind not in KIND_ORDER and not wanted and not any(got.values()):
            continue
        rows.setdefault(a.kind, []).append(AgencyRow(a.id, a.short_name, a.kind, wanted, got))
    kinds = [k for k in KIND_ORDER if k in rows] + [k for k in rows if k not in KIND_ORDER]
    return [Group(k, rows[k]) for k in kinds]


def report_months(
    *,
    agencies: Sequence[Agency],
    all_reports: Sequence[MonthlyReport],
    months: Sequence[str],
    today: date,
) -> list[ReportMonth]:
    """Per month: how many active agencies reported on time, late, not at all (or not yet)."""
    active = {a.id for a in agencies if a.active and a.id is not None}
    firsts = {(r.agency_id, r.month): r for r in all_reports if r.version == 1}
    out = []
    for month in months:
        if month > reports.month_of(today):
            continue
        late = sum(1 for a in active if (f := firsts.get((a, month))) is not None and f.late)
        done = sum(1 for a in active if (a, month) in firsts)
        unreported = len(active) - done
        overdue = reports.month_deadline(month) < today
        out.append(ReportMonth(month, len(active), done - late, late,
                               unreported if overdue else 0, 0 if overdue else unreported))
    return out


async def build_analysis(
    *,
    session: AsyncSession,
    today: date,
    start: date,
    end: date,
    bounds: tuple[datetime, datetime],
    agencies: Sequence[Agency],
    per_month: dict[tuple[int, str], dict[str, int]],
    all_reports: Sequence[MonthlyReport],
) -> Analysis:
    """성과 요약 of [start, end] (`bounds`: the same as moments): targets of start's year.

    `per_month` is `models.stats.figures_by_agency_month` of the period (shared with the export,
    so the big reads run once); interviews are added here in one more query."""
    year = start.year
    months = months_between(start, end)
    lo, hi = bounds
    interviews = await exports_db.interviews_by_agency_month(session=session, start=lo, end=hi)
    merged = {key: dict(value) for key, value in per_month.items()}
    for key, n in interviews.items():
        merged.setdefault(key, {})["interviews"] = n
    wanted: dict[int, dict[str, int]] = {}
    for target in await programme_db.list_targets(session=session, year=year):
        wanted.setdefault(target.agency_id, {})[target.metric] = target.value
    groups = summarise(agencies=agencies, targets=wanted, per_month=merged, months=months)
    hires: dict[str, int] = dict.fromkeys(months, 0)
    for (_agency, month), figures in per_month.items():
        if month in hires:
            hires[month] += figures.get("hires", 0)
    retention, by_agency = await followups.retention(session=session, today=today, year=year)
    return Analysis(
        year=year, start=start, end=end, made_on=today, groups=groups,
        retention=retention, retention_by_agency=by_agency,
        steps=await programme_steps(session=session, year=year, today=today),
        reports=report_months(agencies=agencies, all_reports=all_reports, months=months,
                              today=today),
        hires_by_month=list(hires.items()), by_month=merged,
    )

