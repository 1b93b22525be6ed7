"""Month-end reports (월별 실적보고): pre-filled from the records, corrected, submitted.

The standing rule of the plan: every agency reports its figures by the last day of every month.
A submission after that day is accepted and marked late. A submitted version is locked; an
amendment is a new version with a reason, and every version is kept.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, local_zone
from core.errors import DomainError, NotAllowed
from core.text import clean_text
from models import audit as audit_db
from models import council as council_db
from models import followups as followups_db
from models import members as members_db
from models import reports as reports_db
from models import stats as stats_db
from models.stats import REPORT_METRICS
from models.tables import Agency, Member, MonthlyReport
from services.membership import Actor
from services.validation import count_value

MAX_FIGURE = 500  # per 시군 and month: more is a typing error, not a result
MAX_REASON = 200
SHOW_ZERO_REGIONS = 5  # an agency serving this many 시군 or fewer sees all of them, even at zero
MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-./]\s*(\d{1,2})\s*$")
SHORT_MONTH_RE = re.compile(r"^\s*(\d{1,2})\s*\D{0,1}\s*$")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=local_zone())
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=local_zone())
    return start, end


def month_deadline(month: str) -> date:
    """The last day of the month: the plan's reporting deadline."""
    year, mon = (int(p) for p in month.split("-"))
    return date(year, mon, monthrange(year, mon)[1])


def check_month(month: str, *, today: date) -> None:
    """A 'YYYY-MM' from a button: a real month, not in the future."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise DomainError("report.bad_month", text=month[:20])
    if month > month_of(today):
        raise DomainError("report.future_month", month=month)


def parse_month(text: str, *, today: date, earliest: str) -> str:
    """'2026-09', '2026.9' or '9' (this year) to 'YYYY-MM', refusing the future and the past
    before the programme began."""
    match = MONTH_RE.match(text)
    if match:
        year, mon = int(match.group(1)), int(match.group(2))
    elif (short := SHORT_MONTH_RE.match(text)) is not None:
        year, mon = today.year, int(short.group(1))
    else:
        raise DomainError("report.bad_month", text=text[:20])
    if not 1 <= mon <= 12:
        raise DomainError("report.bad_month", text=text[:20])
    month = f"{year:04d}-{mon:02d}"
    if month > month_of(today):
        raise DomainError("report.future_month", month=month)
    if month < earliest:
        raise DomainError("report.before_programme", month=month, earliest=earliest)
    return month


@dataclass
class ReportDraft:
    """A report being prepared; lives in the conversation's user_data as a plain dict."""

    agency_id: int
    month: str
    figures: dict[str, dict[str, int]]  # region code -> metric -> value
    corrections: list[dict[str, Any]] = field(default_factory=list)
    base_version: int = 0  # the version this draft amends (0: a first submission)
    amend_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportDraft:
        return cls(**data)


def totals(figures: dict[str, dict[str, int]]) -> dict[str, int]:
    out = dict.fromkeys(REPORT_METRICS, 0)
    for values in figures.values():
        for metric in REPORT_METRICS:
            out[metric] += int(values.get(metric, 0))
    return out


async def prefill(
    *, session: AsyncSession, agency_id: int, month: str
) -> dict[str, dict[str, int]]:
    """The agency's figures of the month by 시군, counted from the records."""
    start, end = month_bounds(month)
    found = await stats_db.figures_by_region(
        session=session, agency_id=agency_id, start=start, end=end
    )
    points = await followups_db.due_by_region(
        session=session, agency_id=agency_id, due_from=start.astimezone(local_zone()).date(),
        due_before=end.astimezone(local_zone()).date(),
    )
    for region, values in points.items():
        found.setdefault(region, {}).update(values)
    served = await council_db.agency_regions(session=session, agency_id=agency_id)
    regions = list(served) if len(served) <= SHOW_ZERO_REGIONS else []
    regions += [r for r in found if r not in regions]
    return {r: {m: found.get(r, {}).get(m, 0) for m in REPORT_METRICS} for r in regions}


@dataclass(frozen=True)
class ReportState:
    draft: ReportDraft
    versions: list[MonthlyReport]

    @property
    def submitted(self) -> MonthlyReport | None:
        return self.versions[-1] if self.versions else None


async def open_report(*, session: AsyncSession, agency_id: int, month: str) -> ReportState:
    """The agency's report for the month: the latest submitted version, or a pre-filled draft."""
    versions = list(await reports_db.versions(session=session, agency_id=agency_id, month=month))
    if versions:
        latest = versions[-1]
        figures = {r: {m: int(v.get(m, 0)) for m in REPORT_METRICS}
                   for r, v in latest.figures.items()}
        draft = ReportDraft(agency_id, month, figures, [], base_version=latest.version)
    else:
        figures = await prefill(session=session, agency_id=agency_id, month=month)
        draft = ReportDraft(agency_id, month, figures)
    return ReportState(draft, versions)


def parse_figure(text: str) -> int:
    """A figure typed on a phone; negative or absurd numbers are refused with the reason."""
    cleaned = clean_text(text, max_length=40).replace(" ", "")
    negative = cleaned.startswith("-")
    try:  # '5', '5명', '1만' (an absurd figure, not 1), '１２'
        number = count_value(cleaned.removeprefix("-"))
    except ValueError:
        raise DomainError("report.bad_figure") from None
    if number != int(number):
        raise DomainError("report.bad_figure")
    value = -int(number) if negative else int(number)
    if value < 0:
        raise DomainError("report.negative_figure", value=value)
    if value > MAX_FIGURE:
        raise DomainError("report.absurd_figure", value=value, limit=MAX_FIGURE)
    return value


def correct(
    draft: ReportDraft,
    *,
    region: str,
    metric: str,
    value: int,
    reason: str,
    member_id: int | None,
    now: datetime,
) -> ReportDraft:
    """Change one figure of the draft; the old figure and the reason are kept beside it."""
    if metric not in REPORT_METRICS:
        raise DomainError("report.bad_figure")
    if not 0 <= value <= MAX_FIGURE:
        raise DomainError("report.absurd_figure", value=value, limit=MAX_FIGURE)
    reason = clean_text(reason, max_length=MAX_REASON)
    if len(reason) < 2:
        raise DomainError("report.reason_needed")
    row = draft.figures.setdefault(region, dict.fromkeys(REPORT_METRICS, 0))
    before = int(row.get(metric, 0))
    row[metric] = value
    draft.corrections.append(
        {"region": region, "metric": metric, "from": before, "to": value, "reason": reason,
         "by": member_id, "at": now.isoformat()}
    )
    return draft


def _may_report(actor: Actor, agency_id: int) -> Member:
    member = actor.member
    if member is None or not member.active:
        raise NotAllowed("auth.not_member")
    if member.agency_id != agency_id and not actor.is_lead:
        raise NotAllowed("report.other_agency")
    return member


async def submit(
    *, session: AsyncSession, clock: Clock, actor: Actor, draft: ReportDraft
) -> MonthlyReport:
    """Submit the draft as a new version: the first submission, or an amendment with a reason.

    Two staff of one agency submitting at once produce one report: the second is refused with
    who submitted first.
    """
    member = _may_report(actor, draft.agency_id)
    now = clock.now()
    if draft.month > month_of(now.date()):
        raise DomainError("report.future_month", month=draft.month)
    existing = list(
        await reports_db.versions(session=session, agency_id=draft.agency_id, month=draft.month)
    )
    latest = existing[-1] if existing else None
    if draft.base_version == 0 and latest is not None:
        raise await _already(session, latest)
    if draft.base_version and (latest is None or latest.version != draft.base_version):
        raise DomainError("report.changed_meanwhile")
    reason = ""
    if draft.base_version:
        reason = clean_text(draft.amend_reason, max_length=MAX_REASON)
        if len(reason) < 2:
            raise DomainError("report.reason_needed")
    report = MonthlyReport(
        agency_id=draft.agency_id,
        month=draft.month,
        version=draft.base_version + 1,
        figures={r: dict(v) for r, v in draft.figures.items()},
        corrections=list(draft.corrections),
        reason=reason,
        late=now.date() > month_deadline(draft.month),
        submitted_by=member.id,
        submitted_at=now,
    )
    if not await reports_db.insert_version(session=session, report=report):
        winners = await reports_db.versions(
            session=session, agency_id=draft.agency_id, month=draft.month
        )
        winner = winners[-1]
        raise await _already(session, winner)
    await audit_db.append_audit(
        session=session,
        at=now,
        action="monthly_report.amend" if draft.base_version else "monthly_report.submit",
        actor_telegram_id=actor.telegram_id,
        actor_member_id=member.id,
        entity="monthlyreport",
        entity_id=report.id,
        detail={"agency_id": draft.agency_id, "month": draft.month, "version": report.version,
                "late": report.late, "corrections": len(draft.corrections)},
    )
    return report


async def _already(session: AsyncSession, report: MonthlyReport) -> DomainError:
    who = "-"
    if report.submitted_by is not None:
        member = await members_db.get_member(session=session, member_id=report.submitted_by)
        who = member.display_name if member else "-"
    at = report.submitted_at.strftime("%m/%d %H:%M") if report.submitted_at else "-"
    return DomainError("report.already_submitted", name=who, at=at, version=report.version)


@dataclass(frozen=True)
class SubmissionRow:
    agency: Agency
    first: MonthlyReport | None  # the first version: when it was submitted, late or not
    latest: MonthlyReport | None


async def submission_table(*, session: AsyncSession, month: str) -> list[SubmissionRow]:
    """Every active agency and its report for the month: missing ones first."""
    firsts = await reports_db.first_versions(session=session, month=month)
    latest = await reports_db.latest_by_agency(session=session, month=month)
    rows = [
        SubmissionRow(a, firsts.get(a.id or 0), latest.get(a.id or 0))
        for a in await council_db.list_agencies(session=session)
    ]
    return sorted(rows, key=lambda r: r.first is not None)


async def missing_reports(*, session: AsyncSession, month: str) -> list[Agency]:
    """Agencies that must report (every active agency) without a submitted report for month."""
    return [r.agency for r in await submission_table(session=session, month=month)
            if r.first is None]


async def nudge_recipients(
    *, session: AsyncSession, clock: Clock, actor: Actor, month: str
) -> list[tuple[Agency, list[Member]]]:
    """The missing agencies' active members, for a coordinator's re-nudge (audited)."""
    if not actor.is_lead or actor.member is None:
        raise NotAllowed("auth.leads_only")
    out = []
    for agency in await missing_reports(session=session, month=month):
        members = list(await members_db.list_members(session=session, agency_id=agency.id))
        out.append((agency, members))
    await audit_db.append_audit(
        session=session,
        at=clock.now(),
        action="monthly_report.nudge",
        actor_telegram_id=actor.telegram_id,
        actor_member_id=actor.member.id,
        entity="monthlyreport",
        detail={"month": month, "agencies": [a.id for a, _ in out]},
    )
    return out
