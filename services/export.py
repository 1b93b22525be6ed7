"""The export for the November analysis: the data of the workbook (or one CSV per sheet).

Sheets: 성과 요약 (`services.analysis`), openings, seekers, meeting days with attendance and
results, hires, and month-end reports with every version. Cells hold plain values or `Label`s
(a catalogue key and its values) so `rendering.workbook` writes every code in the reader's
language. Seekers are masked (홍*동, 010-****-5678, age band) unless the requester is the owning
centre AND states a reason. Every export is written to the access (audit) log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, local_zone
from core.errors import DomainError
from core.statuses import FollowUpState, LeaveReason, OpeningStatus, SeekerStatus
from core.text import clean_text
from models import audit as audit_db
from models import council as council_db
from models import exports as exports_db
from models import reports as reports_db
from models import stats as stats_db
from models.stats import REPORT_METRICS
from models.tables import JobSeeker, MonthlyReport
from services import analysis, reports
from services.analysis import Analysis
from services.crypto import Cipher
from services.openings import EMPLOYMENT_TYPES, WAGE_TYPES
from services.privacy import age_decade, mask_name, mask_phone
from services.programme import programme_steps

MAX_DAYS = 731  # two years
MEETING_KINDS = ("council", "meeting_day")
MEETING_STATUSES = ("scheduled", "held", "cancelled")
RESULTS = ("hired", "in_progress", "not_hired", "none")
_DAY = re.compile(r"(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\.?")


@dataclass(frozen=True)
class Label:
    """A cell the reader reads in their language: catalogue key and its values."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


def code(prefix: str, value: str | None, known: tuple[str, ...]) -> Label:
    """A stored code as a label (`prefix` ends with a dot); an unknown code reads 기타."""
    return Label(f"{prefix}{value}") if value in known else Label("analysis.other")


@dataclass(frozen=True)
class Column:
    key: str  # export.col.<key> is its header
    kind: str = "text"  # text | int | float | money | date | datetime | label


@dataclass
class Sheet:
    key: str  # export.sheet.<key> is its name; <key>.csv its CSV file
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class ExportData:
    start: date
    end: date  # inclusive
    made_at: datetime
    analysis: Analysis
    sheets: list[Sheet]
    unmasked_agency_id: int | None = None


@dataclass(frozen=True)
class PeriodChoice:
    key: str  # analysis.period.<key> is its button
    start: date
    end: date


def parse_day(text: str) -> date:
    """'2026-07-01', '2026.7.1', '2026/07/01'; a day that does not exist is refused."""
    cleaned = clean_text(text, max_length=20)
    match = _DAY.fullmatch(cleaned)
    if match is None:
        raise DomainError("analysis.bad_date", text=cleaned)
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise DomainError("analysis.no_such_day", text=cleaned) from None


def check_period(first: date, last: date) -> tuple[date, date]:
    if last < first:
        raise DomainError("analysis.end_before_start", start=first.isoformat(),
                          end=last.isoformat())
    if (last - first).days > MAX_DAYS:
        raise DomainError("analysis.too_long", days=(last - first).days + 1)
    return first, last


def parse_period(start: str, end: str) -> tuple[date, date]:
    """A typed range (`/export A B`, `itda export --from A --to B`), checked."""
    return check_period(parse_day(start), parse_day(end))


def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


async def period_choices(*, session: AsyncSession, today: date) -> list[PeriodChoice]:
    """This month, last month, the programme year to date, the whole year with late entries.

    The programme year starts on the first of step 1's month; before it starts, the year choices
    are last year's (in January one still hands in last year's figures)."""
    year = today.year
    steps = await programme_steps(session=session, year=year, today=today)
    first = _month_start(steps[0].starts_on or steps[0].due_on)
    if today < first:
        year -= 1
        steps = await programme_steps(session=session, year=year, today=today)
        first = _month_start(steps[0].starts_on or steps[0].due_on)
    this_month = _month_start(today)
    last_end = this_month - timedelta(days=1)
    to_date = min(today, date(year, 12, 31))
    return [
        PeriodChoice("this_month", this_month, today),
        PeriodChoice("last_month", _month_start(last_end), last_end),
        PeriodChoice("year_to_date", first, to_date),
        PeriodChoice("whole_year", first, date(year, 12, 31)),
    ]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime(start.year, start.month, start.day, tzinfo=local_zone()),
        datetime(end.year, end.month, end.day, tzinfo=local_zone()) + timedelta(days=1),
    )


YES, NO = Label("export.yes"), Label("export.no")


def _yes(value: bool) -> Label:
    return YES if value else NO


def _monthly_sheet(data: Analysis, per_month: dict[tuple[int, str], dict[str, int]],
                   firsts: dict[tuple[int, str], MonthlyReport],
                   versions: dict[tuple[int, str], int]) -> Sheet:
    sheet = Sheet("summary", [
        Column("agency"), Column("kind", "label"), Column("month"), Column("openings", "int"),
        Column("seekers", "int"), Column("meeting_days", "int"), Column("interviews", "int"),
        Column("hires", "int"), Column("report_submitted", "datetime"),
        Column("report_late", "label"), Column("report_versions", "int"),
    ])
    for group in data.groups:
        for row in group.rows:
            for month in analysis.months_between(data.start, data.end):
                figures = per_month.get((row.agency_id, month), {})
                first = firsts.get((row.agency_id, month))
                sheet.rows.append([
                    row.name, Label(f"export.kind.{row.kind}"), month,
                    *[figures.get(m, 0) for m in analysis.RESULTS],
                    first.submitted_at if first else None,
                    _yes(first.late) if first else Label("export.missing"),
                    versions.get((row.agency_id, month), 0),
                ])
    return sheet


async def build_export(
    *,
    session: AsyncSession,
    clock: Clock,
    cipher: Cipher,
    start: date,
    end: date,
    requester_agency_id: int | None = None,
    unmask: bool = False,
    reason: str = "",
    actor_telegram_id: int | None = None,
    actor_member_id: int | None = None,
    channel: str = "bot",
) -> ExportData:
    """Everything of the period, in sheets; `unmask` only for the requester's own seekers.

    One query per sheet; every export (masked or not) is written to the access log."""
    check_period(start, end)
    reason = clean_text(reason, max_length=200)
    if unmask and (requester_agency_id is None or len(reason) < 2):
        raise DomainError("export.unmask_needs_reason")
    lo, hi = _bounds(start, end)
    listed = await council_db.list_agencies(session=session, active_only=False)
    agencies = {a.id: a for a in listed}
    region_names = {r.code: r.name for r in await council_db.list_regions(session=session)}

    def agency(agency_id: int | None) -> str:
        found = agencies.get(agency_id)
        return found.short_name if found else "-"

    def region(code: str | None) -> str:
        return region_names.get(code or "", "-")

    months = analysis.months_between(start, end)
    all_reports = await reports_db.in_months(session=session, months=months)
    firsts: dict[tuple[int, str], MonthlyReport] = {}
    versions: dict[tuple[int, str], int] = {}
    for report in all_reports:
        key = (report.agency_id, report.month)
        firsts.setdefault(key, report)
        versions[key] = max(versions.get(key, 0), report.version)
    per_month = await stats_db.figures_by_agency_month(session=session, start=lo, end=hi)
    summary = await analysis.build_analysis(
        session=session, today=clock.today(), start=start, end=end, bounds=(lo, hi),
        agencies=listed, per_month=per_month, all_reports=all_reports,
    )
    monthly = _monthly_sheet(summary, summary.by_month, firsts, versions)

    openings = Sheet("openings", [
        Column("id", "int"), Column("agency"), Column("company"), Column("job_title"),
        Column("region"), Column("employment_type", "label"), Column("weekly_hours", "float"),
        Column("wage_type", "label"), Column("wage_amount", "money"), Column("positions", "int"),
        Column("positions_filled", "int"), Column("subsidy_approved", "label"),
        Column("status", "label"), Column("created_at", "datetime"),
    ])
    opening_statuses = tuple(OpeningStatus)
    for o in await exports_db.openings(session=session, start=lo, end=hi):
        openings.rows.append([
            o.id, agency(o.agency_id), o.company_name, o.job_title, region(o.region_code),
            code("opening.type.", o.employment_type, EMPLOYMENT_TYPES), o.weekly_hours,
            code("opening.wage.", o.wage_type, WAGE_TYPES), o.wage_amount, o.positions,
            o.positions_filled, _yes(o.subsidy_approved),
            code("opening.status.", o.status, opening_statuses), o.created_at,
        ])

    year = clock.today().year
    unmasked_ids: list[int] = []

    def person(s: JobSeeker) -> tuple[str, str, int | Label | None]:
        if s.purged_at is not None:
            return "-", "-", None
        name, phone = cipher.decrypt(s.name), cipher.decrypt(s.phone)
        if unmask and s.agency_id == requester_agency_id:
            unmasked_ids.append(s.id or 0)
            return name, phone, s.birth_year
        decade = age_decade(s.birth_year, year)
        band = None if decade is None else Label("analysis.age_band", {"decade": decade})
        return mask_name(name), mask_phone(phone), band

    seekers = Sheet("seekers", [
        Column("id", "int"), Column("agency"), Column("name"), Column("phone"),
        Column("birth_or_age", "label"), Column("region"), Column("desired_jobs"),
        Column("desired_hours", "float"), Column("status", "label"),
        Column("created_at", "datetime"),
    ])
    seeker_statuses = tuple(SeekerStatus)
    for s in await exports_db.seekers(session=session, start=lo, end=hi):
        name, phone, born = person(s)
        seekers.rows.append([
            s.id, agency(s.agency_id), name, phone, born, region(s.region_code),
            s.desired_jobs, s.desired_hours, code("seeker.status.", s.status, seeker_statuses),
            s.created_at,
        ])

    meetings = Sheet("meetings", [
        Column("id", "int"), Column("agency"), Column("meeting_kind", "label"),
        Column("title", "label"), Column("starts_at", "datetime"), Column("region"),
        Column("status", "label"), Column("invited", "int"), Column("present", "int"),
        Column("companies", "int"), Column("seekers_present", "int"),
        Column("interviews", "int"), Column("hired", "int"), Column("in_progress", "int"),
    ])
    for m, f in await exports_db.meetings_with_attendance(session=session, start=lo, end=hi):
        kind = code("export.meeting.", m.kind, MEETING_KINDS)
        title: str | Label = m.title.strip() or Label("analysis.meeting_title", {
            "kind": kind, "place": region(m.region_code) if m.region_code else agency(
                m.host_agency_id), "day": f"{m.starts_at.month}/{m.starts_at.day}"
            if m.starts_at else "-",
        })
        meetings.rows.append([
            m.id, agency(m.host_agency_id), kind, title, m.starts_at, region(m.region_code),
            code("analysis.meeting_status.", m.status, MEETING_STATUSES), f["invited"],
            f["present"], f["companies"], f["seekers"], f["interviews"], f["hired"],
            f["in_progress"],
        ])

    hires = Sheet("hires", [
        Column("id", "int"), Column("agency"), Column("seeker"), Column("company"),
        Column("job_title"), Column("region"), Column("hired_on", "date"),
        Column("meeting_id", "int"),
    ])
    for h, o, s in await exports_db.hires(session=session, start=start,
                                         end=end + timedelta(days=1)):
        hires.rows.append([
            h.id, agency(h.agency_id), person(s)[0], o.company_name, o.job_title,
            region(o.region_code), h.hired_on, h.meeting_id,
        ])

    report_sheet = Sheet("reports", [
        Column("agency"), Column("month"), Column("version", "int"),
        Column("submitted_at", "datetime"), Column("late", "label"),
        *[Column(m, "int") for m in REPORT_METRICS],
        Column("corrections", "int"), Column("correction_reasons"), Column("amend_reason"),
    ])
    for report in all_reports:
        total = reports.totals(report.figures)
        report_sheet.rows.append([
            agency(report.agency_id), report.month, report.version, report.submitted_at,
            _yes(report.late), *[total[m] for m in REPORT_METRICS],
            len(report.corrections),
            "; ".join(str(c.get("reason", "")) for c in report.corrections),
            report.reason,
        ])

    detail: dict[str, Any] = {"from": start, "to": end, "channel": channel, "masked": not unmask}
    if unmask:
        detail |= {"reason": reason, "seekers": sorted(set(unmasked_ids))}
    await audit_db.append_audit(
        session=session,
        at=clock.now(),
        action="export.unmasked" if unmask else "export.masked",
        actor_telegram_id=actor_telegram_id,
        actor_member_id=actor_member_id,
        entity="agency",
        entity_id=requester_agency_id,
        detail=detail,
    )
    followup_sheet = Sheet("followups", [
        Column("id", "int"), Column("hire_id", "int"), Column("agency"), Column("seeker"),
        Column("company"), Column("job_title"), Column("hired_on", "date"),
        Column("followup_months", "int"), Column("followup_due", "date"),
        Column("followup_state", "label"), Column("left_on", "date"),
        Column("left_reason", "label"), Column("answered_at", "datetime"),
    ])
    states, leave_reasons = tuple(FollowUpState), tuple(LeaveReason)
    for point, h, o, s in await exports_db.followups(session=session, start=start,
                                                     end=end + timedelta(days=1)):
        followup_sheet.rows.append([
            point.id, h.id, agency(point.agency_id), person(s)[0], o.company_name, o.job_title,
            h.hired_on, point.months, point.due_on,
            code("followup.state.", point.state, states), point.left_on,
            code("followup.reason.", point.left_reason, leave_reasons)
            if point.left_reason else None, point.answered_at,
        ])
    sheets = [monthly, openings, seekers, meetings, hires, followup_sheet, report_sheet]
    return ExportData(start, end, clock.now(), summary, sheets,
                      requester_agency_id if unmask else None)
