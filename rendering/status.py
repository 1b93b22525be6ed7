"""/status as text: the overview and a staff member's own agency, from `services.status` views.

The text is one Telegram message (under 4,096 characters) however many agencies there are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from core.text import escape
from services import programme, reports
from services.followups import Retention
from services.reports import REPORT_METRICS
from services.status import AgencyDetail, StatusView
from services.targets import METRICS, AgencyProgress

Tr = Callable[..., str]
MAX_MESSAGE = 4000  # Telegram allows 4,096; keep a margin for the HTML entities
STATE_MARKS = {
    programme.DONE: "\u2705",
    programme.IN_PROGRESS: "\U0001f535",
    programme.DUE_SOON: "\u26a0\ufe0f",
    programme.OVERDUE: "\u2757",
    programme.UPCOMING: "\u26aa",
}


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


def retention_line(retention: Retention | None, tr: Tr) -> str:
    """사후관리 고용유지율: each follow-up point's still-working share of the points due."""
    if retention is None or not retention.months:
        return ""
    parts = []
    for months in retention.months:
        rate = retention.rate(months)
        parts.append(tr("followup.status_part", months=months,
                        pct="-" if rate is None else f"{round(rate * 100)}%",
                        employed=retention.employed.get(months, 0),
                        due=retention.due.get(months, 0)))
    return tr("followup.status_line", parts=" \u00b7 ".join(parts))


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
    retention = retention_line(view.retention, tr)
    if retention:
        tail += ["", retention]

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
    retention = retention_line(detail.retention, tr)
    if retention:
        lines += ["", retention]
    view = StatusView(detail.today.year, detail.today, detail.month, detail.steps, [], {}, [])
    lines += [""] + render_steps(view, tr)
    return "\n".join(lines)[:MAX_MESSAGE]
