"""/status: the six steps, each agency's progress against target and this month's reports.

Only aggregates are read and shown: counts per agency, 시군 and month, agency names and dates;
never a seeker's name, number or any other personal data. The text is one Telegram message
(under 4,096 characters) however many agencies there are.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import DomainError
from core.text import escape
from models import council as council_db
from models import stats as stats_db
from models.stats import METRICS, REPORT_METRICS
from models.tables import Agency, MonthlyReport, Region
from services import programme, reports, targets
from services.programme import StepView
from services.targets import AgencyProgress

Tr = Callable[..., str]
MAX_MESSAGE = 4000  # Telegram allows 4,096; keep a margin for the HTML entities
STATE_MARKS = {
    programme.DONE: "\u2705",
    programme.IN_PROGRESS: "\U0001f535",
    programme.DUE_SOON: "\u26a0\ufe0f",
    programme.OVERDUE: "\u2757",
    programme.UPCOMING: "\u26aa",
}


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
    return StatusView(year, today, month, steps, rows, submitted, agencies, scope, region_figures)


def _day(value: date | None) -> str:
    return f"{value.month}/{value.day}" if value else "-"


def _pct(row: AgencyProgress) -> str:
    return f"{round(row.ratio * 100)}%" if row.ratio is not None else "-"


def render_steps(view: StatusView, tr: Tr) -> list[str]:
    lines = [tr("status.steps_title")]
    for step in view.steps:
        when = (
            f"{_day(step.starts_on)}~{_day(step.due_on)}" if step.starts_on else _day(step.due_on)
        )
        lines.append(
            tr(
                "status.step_line",
                mark=STATE_MARKS[step.state],
                number=step.number,
                title=tr(step.title_key),
                when=when,
                state=tr(f"status.state.{step.state}"),
            )
        )
    return lines


def _figures(row: AgencyProgress, tr: Tr) -> str:
    parts = []
    for metric in METRICS:
        target = row.targets.get(metric)
        value = row.figures.get(metric, 0)
        if target:
            parts.append(f"{tr(f'status.metric.{metric}')} {value}/{target}")
        elif value:
            parts.append(f"{tr(f'status.metric.{metric}')} {value}")
    return " \u00b7 ".join(parts) or tr("status.no_figures")


def render_overview(view: StatusView, tr: Tr) -> str:
    """The council's overview (group or coordinator): one message, aggregates only."""
    scope = view.scope
    if scope.region is not None:
        title = tr("status.title_region", year=view.year, region=escape(scope.region.name),
                   today=_day(view.today))
    elif scope.agency is not None:
        title = tr("status.title_agency", year=view.year, agency=escape(scope.agency.short_name),
                   today=_day(view.today))
    else:
        title = tr("status.title", year=view.year, today=_day(view.today))
    head = [title, ""] + render_steps(view, tr)
    if view.region_figures is not None:
        figures = " \u00b7 ".join(
            f"{tr(f'status.metric.{m}')} {view.region_figures.get(m, 0)}" for m in METRICS
        )
        head += ["", tr("status.region_figures", figures=figures)]
    shown = [r for r in view.progress if r.targets or any(r.figures.values())]
    agency_lines = []
    for row in shown:
        ratio = row.ratio
        mark = "\u26aa" if ratio is None else (
            "\U0001f534" if ratio < 0.3 else "\U0001f7e1" if ratio < 0.7 else "\U0001f7e2"
        )
        agency_lines.append(
            tr("status.agency_line", mark=mark, name=escape(row.agency.short_name),
               pct=_pct(row), figures=_figures(row, tr))
        )
    mon = int(view.month[5:])
    done = [a for a in view.agencies if (a.id or 0) in view.reports]
    missing = [a for a in view.agencies if (a.id or 0) not in view.reports]
    late = sum(1 for a in done if view.reports[a.id or 0].late)
    tail = ["", tr("status.reports_title", month=mon, done=len(done), total=len(view.agencies),
                   late=late)]
    if missing:
        tail.append(tr("status.reports_missing",
                       names=", ".join(escape(a.short_name) for a in missing)))
    else:
        tail.append(tr("status.reports_all_done"))

    def assemble(lines: list[str], hidden: int) -> str:
        body = head + ["", tr("status.agencies_title")] + (lines or [tr("status.no_agencies")])
        if hidden:
            body.append(tr("status.more_agencies", count=hidden))
        return "\n".join(body + tail)

    text = assemble(agency_lines, 0)
    keep = len(agency_lines)
    while len(text) > MAX_MESSAGE and keep > 0:
        keep -= 1
        text = assemble(agency_lines[:keep], len(agency_lines) - keep)
    if len(text) > MAX_MESSAGE:  # a council so large even the names do not fit: cut the list
        text = text[: MAX_MESSAGE - 1] + "\u2026"
    return text


@dataclass
class AgencyDetail:
    agency: Agency
    row: AgencyProgress
    month: str
    this_month: dict[str, dict[str, int]]
    reports: list[tuple[str, MonthlyReport | None]]  # month -> first submitted version
    steps: list[StepView]
    today: date


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
    return AgencyDetail(agency, row, month, this_month, history, steps, today)


def render_agency(detail: AgencyDetail, tr: Tr, region_name: Callable[[str], str]) -> str:
    lines = [tr("status.detail_title", agency=escape(detail.agency.name), year=detail.today.year,
                today=_day(detail.today)), ""]
    row = detail.row
    for metric in METRICS:
        target = row.targets.get(metric)
        value = row.figures.get(metric, 0)
        if target:
            pct = round(min(value / target, 9.99) * 100)
            lines.append(tr("status.detail_metric", metric=tr(f"status.metric.{metric}"),
                            value=value, target=target, pct=pct))
        elif value:
            lines.append(tr("status.detail_metric_plain", metric=tr(f"status.metric.{metric}"),
                            value=value))
    lines += ["", tr("status.detail_month", month=int(detail.month[5:]))]
    if detail.this_month:
        for region, values in detail.this_month.items():
            figures = " \u00b7 ".join(
                f"{tr(f'status.metric.{m}')} {values.get(m, 0)}" for m in REPORT_METRICS
            )
            lines.append(f"\u2022 {escape(region_name(region))}: {figures}")
    else:
        lines.append(tr("status.no_figures"))
    lines += ["", tr("status.detail_reports")]
    for month, report in detail.reports:
        mon = int(month[5:])
        if report is None:
            deadline = reports.month_deadline(month)
            lines.append(tr("status.detail_report_missing", month=mon, deadline=_day(deadline)))
        else:
            key = "status.detail_report_late" if report.late else "status.detail_report_done"
            sent = report.submitted_at.date() if report.submitted_at else None
            lines.append(tr(key, month=mon, day=_day(sent)))
    view = StatusView(detail.today.year, detail.today, detail.month, detail.steps, [], {}, [])
    lines += [""] + render_steps(view, tr)
    return "\n".join(lines)[:MAX_MESSAGE]
