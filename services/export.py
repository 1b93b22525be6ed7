"""The export for the November analysis: an Excel workbook (openpyxl) or one CSV per sheet.

Sheets: summary by agency and month, openings, seekers, meeting days with attendance and
results, hires, and month-end reports with every version. Seekers are masked (홍*동,
010-****-5678, age band) unless the requester is the owning centre AND states a reason; such an
unmasked export is written to the audit log.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, local_zone
from core.errors import DomainError
from core.text import clean_text
from models import audit as audit_db
from models import council as council_db
from models import exports as exports_db
from models import reports as reports_db
from models import stats as stats_db
from models.stats import REPORT_METRICS
from models.tables import JobSeeker, MonthlyReport
from services import reports
from services.crypto import cipher_of
from services.privacy import age_decade, mask_name, mask_phone

Tr = Callable[..., str]
MAX_DAYS = 731


@dataclass
class Column:
    key: str  # export.col.<key> is its header
    kind: str = "text"  # text | int | float | date | datetime | bool


@dataclass
class Sheet:
    key: str  # export.sheet.<key> is its name; <key>.csv its CSV file
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class ExportData:
    start: date
    end: date  # inclusive
    sheets: list[Sheet]
    unmasked_agency_id: int | None = None


def parse_period(start: str, end: str) -> tuple[date, date]:
    try:
        first, last = date.fromisoformat(start.strip()), date.fromisoformat(end.strip())
    except ValueError:
        raise DomainError("export.bad_period") from None
    if last < first or (last - first).days > MAX_DAYS:
        raise DomainError("export.bad_period")
    return first, last


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime(start.year, start.month, start.day, tzinfo=local_zone()),
        datetime(end.year, end.month, end.day, tzinfo=local_zone()) + timedelta(days=1),
    )


def _months(start: date, end: date) -> list[str]:
    out, cursor = [], date(start.year, start.month, 1)
    while cursor <= end:
        out.append(reports.month_of(cursor))
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return out


async def build_export(
    *,
    session: AsyncSession,
    clock: Clock,
    start: date,
    end: date,
    tr: Tr,
    requester_agency_id: int | None = None,
    unmask: bool = False,
    reason: str = "",
    actor_telegram_id: int | None = None,
    actor_member_id: int | None = None,
) -> ExportData:
    """Everything of the period, in sheets; `unmask` only for the requester's own seekers."""
    if end < start or (end - start).days > MAX_DAYS:
        raise DomainError("export.bad_period")
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
        return region_names.get(code or "", code or "-")

    yes, no = tr("export.yes"), tr("export.no")
    months = _months(start, end)
    all_reports = await reports_db.in_months(session=session, months=months)
    first_report: dict[tuple[int, str], MonthlyReport] = {}
    for report in all_reports:
        first_report.setdefault((report.agency_id, report.month), report)
    per_month = await stats_db.figures_by_agency_month(session=session, start=lo, end=hi)
    summary = Sheet("summary", [
        Column("agency"), Column("kind"), Column("month"), Column("openings", "int"),
        Column("seekers", "int"), Column("meeting_days", "int"), Column("hires", "int"),
        Column("report_submitted", "datetime"), Column("report_late"),
        Column("report_versions", "int"),
    ])
    versions: dict[tuple[int, str], int] = {}
    for report in all_reports:
        key = (report.agency_id, report.month)
        versions[key] = max(versions.get(key, 0), report.version)
    for agency_id, a in agencies.items():
        if a is None or not a.active or agency_id is None:
            continue
        for month in months:
            figures = per_month.get((agency_id, month), {})
            first = first_report.get((agency_id, month))
            summary.rows.append([
                a.short_name, tr(f"export.kind.{a.kind}"), month,
                figures.get("openings", 0), figures.get("seekers", 0),
                figures.get("meeting_days", 0), figures.get("hires", 0),
                first.submitted_at if first else None,
                (yes if first.late else no) if first else tr("export.missing"),
                versions.get((agency_id, month), 0),
            ])

    openings = Sheet("openings", [
        Column("id", "int"), Column("agency"), Column("company"), Column("job_title"),
        Column("region"), Column("employment_type"), Column("weekly_hours", "float"),
        Column("wage_type"), Column("wage_amount", "int"), Column("positions", "int"),
        Column("positions_filled", "int"), Column("subsidy_approved"), Column("status"),
        Column("created_at", "datetime"),
    ])
    for o in await exports_db.openings(session=session, start=lo, end=hi):
        openings.rows.append([
            o.id, agency(o.agency_id), o.company_name, o.job_title, region(o.region_code),
            o.employment_type, o.weekly_hours, o.wage_type, o.wage_amount, o.positions,
            o.positions_filled, yes if o.subsidy_approved else no, o.status, o.created_at,
        ])

    year = clock.today().year
    unmasked_ids: list[int] = []

    cipher = cipher_of(session)

    def person(s: JobSeeker) -> tuple[str, str, int | None]:
        if s.purged_at is not None:
            return "-", "-", None
        name, phone = cipher.decrypt(s.name), cipher.decrypt(s.phone)
        if unmask and s.agency_id == requester_agency_id:
            unmasked_ids.append(s.id or 0)
            return name, phone, s.birth_year
        return mask_name(name), mask_phone(phone), age_decade(s.birth_year, year)

    seekers = Sheet("seekers", [
        Column("id", "int"), Column("agency"), Column("name"), Column("phone"),
        Column("birth_or_age", "int"), Column("region"), Column("desired_jobs"),
        Column("desired_hours", "float"), Column("status"), Column("created_at", "datetime"),
    ])
    for s in await exports_db.seekers(session=session, start=lo, end=hi):
        name, phone, born = person(s)
        seekers.rows.append([
            s.id, agency(s.agency_id), name, phone, born, region(s.region_code),
            s.desired_jobs, s.desired_hours, s.status, s.created_at,
        ])

    meetings = Sheet("meetings", [
        Column("id", "int"), Column("agency"), Column("meeting_kind"), Column("title"),
        Column("starts_at", "datetime"), Column("region"), Column("status"),
        Column("invited", "int"), Column("present", "int"), Column("companies", "int"),
        Column("seekers_present", "int"), Column("interviews", "int"), Column("hired", "int"),
        Column("in_progress", "int"),
    ])
    for m, f in await exports_db.meetings_with_attendance(session=session, start=lo, end=hi):
        meetings.rows.append([
            m.id, agency(m.host_agency_id), tr(f"export.meeting.{m.kind}")
            if m.kind in ("council", "meeting_day") else m.kind, m.title, m.starts_at,
            region(m.region_code), m.status, f["invited"], f["present"], f["companies"],
            f["seekers"], f["interviews"], f["hired"], f["in_progress"],
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
        Column("submitted_at", "datetime"), Column("late"),
        *[Column(m, "int") for m in REPORT_METRICS],
        Column("corrections", "int"), Column("correction_reasons"), Column("amend_reason"),
    ])
    for report in all_reports:
        total = reports.totals(report.figures)
        report_sheet.rows.append([
            agency(report.agency_id), report.month, report.version, report.submitted_at,
            yes if report.late else no, *[total[m] for m in REPORT_METRICS],
            len(report.corrections),
            "; ".join(str(c.get("reason", "")) for c in report.corrections),
            report.reason,
        ])

    if unmask:
        await audit_db.append_audit(
            session=session,
            at=clock.now(),
            action="export.unmasked",
            actor_telegram_id=actor_telegram_id,
            actor_member_id=actor_member_id,
            entity="agency",
            entity_id=requester_agency_id,
            detail={"from": start, "to": end, "reason": reason,
                    "seekers": sorted(set(unmasked_ids))},
        )
    sheets = [summary, openings, seekers, meetings, hires, report_sheet]
    return ExportData(start, end, sheets, requester_agency_id if unmask else None)


def _excel_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).replace(tzinfo=None)  # Excel has no time zones
    return value


def _width(value: Any) -> int:
    text = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value or "")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "int": "#,##0",
           "float": "0.0"}


def to_xlsx(data: ExportData, tr: Tr) -> bytes:
    """The workbook: Korean headers, typed cells, fitted widths, frozen header rows.

    openpyxl (which imports numpy) is imported on the first export, not when the bot starts."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for sheet in data.sheets:
        ws = book.create_sheet(tr(f"export.sheet.{sheet.key}")[:31])
        headers = [tr(f"export.col.{c.key}") for c in sheet.columns]
        ws.append(headers)
        for cell in ws[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(horizontal="center", vertical="center")
        for row in sheet.rows:
            ws.append([_excel_value(v) for v in row])
        for index, column in enumerate(sheet.columns, 1):
            letter = get_column_letter(index)
            fmt = FORMATS.get(column.kind)
            if fmt:
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
            widest = max([_width(headers[index - 1])] + [_width(r[index - 1]) for r in sheet.rows])
            ws.column_dimensions[letter].width = min(max(widest + 2, 8), 50)
        ws.freeze_panes = "A2"
        if sheet.rows:
            ws.auto_filter.ref = ws.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def to_csv(data: ExportData, tr: Tr) -> dict[str, bytes]:
    """One CSV per sheet (UTF-8 with BOM, so Excel opens the Korean headers correctly)."""
    files = {}
    for sheet in data.sheets:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([tr(f"export.col.{c.key}") for c in sheet.columns])
        for row in sheet.rows:
            writer.writerow([_csv_value(v) for v in row])
        files[f"{sheet.key}.csv"] = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return files


def write_csv_dir(data: ExportData, tr: Tr, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in to_csv(data, tr).items():
        path = folder / name
        path.write_bytes(content)
        paths.append(path)
    return paths
