"""Demo season of the reports feature: targets and month-end reports for July to October.

Some reports are late, one is amended (two versions), and one agency has still not reported the
latest month, so /status, /reports and the exports show a believable season. Idempotent.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, local_zone
from core.statuses import AgencyKind
from locales import translate
from models import council as council_db
from models import members as members_db
from models import programme as programme_db
from models import reports as reports_db
from models.stats import REPORT_METRICS
from models.tables import MonthlyReport, Target
from services.crypto import Cipher
from services.reports import month_deadline, month_of

DEMO_MONTHS = ("07", "08", "09", "10")
MISSING_AGENCY = "saeil-yesan"  # has not reported the latest month
AMENDED = ("saeil-cheonan", "09")
LATE = {("saeil-asan", "08"), ("chungnam-venture", "08"), ("saeil-boryeong", "09"),
        ("daejeon-branch", "09"), ("women-entrepreneurs-chungnam", "10")}
DEMO_TARGETS = {
    AgencyKind.EMPLOYER_ASSOCIATION: {"openings": 30, "hires": 8},
    AgencyKind.SAEIL_CENTER: {"seekers": 40, "meeting_days": 2, "hires": 10},
}
DEMO_MEMBERS = {"saeil-cheonan": 900003, "chungnam-north-chamber": 900004, "saeil-asan": 900005,
                "chungnam-province": 900002, "daejeon-employment": 900006}


def _n(*parts: str, low: int, high: int) -> int:
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return low + digest[0] % (high - low + 1)


def _figures(code: str, kind: str, month: str, regions: list[str]) -> dict[str, dict[str, int]]:
    out = {}
    for region in regions[:2]:
        row = dict.fromkeys(REPORT_METRICS, 0)
        if kind == AgencyKind.EMPLOYER_ASSOCIATION:
            row["openings"] = _n(code, month, region, "o", low=1, high=9)
            row["hires"] = _n(code, month, region, "h", low=0, high=3) if month >= "08" else 0
        elif kind == AgencyKind.SAEIL_CENTER:
            row["seekers"] = _n(code, month, region, "s", low=2, high=12)
            if month in ("09", "10"):
                row["meeting_days"] = _n(code, month, region, "m", low=0, high=1)
                row["interviews"] = row["meeting_days"] * _n(code, month, region, "i", low=3,
                                                             high=9)
            row["hires"] = _n(code, month, region, "h", low=0, high=4) if month >= "08" else 0
        out[region] = row
    return out


async def seed_reports_demo(session: AsyncSession, clock: Clock, cipher: Cipher) -> None:
    today = clock.today()
    year = today.year
    agencies = await council_db.list_agencies(session=session)
    for agency in agencies:
        assert agency.id is not None
        for metric, value in DEMO_TARGETS.get(agency.kind, {}).items():  # type: ignore[call-overload]
            if await programme_db.get_target(
                session=session, agency_id=agency.id, year=year, metric=metric
            ) is None:
                await programme_db.save_target(
                    session=session,
                    target=Target(agency_id=agency.id, year=year, metric=metric, value=value),
                )
    months = [f"{year}-{m}" for m in DEMO_MONTHS if f"{year}-{m}" <= month_of(today)]
    for agency in agencies:
        assert agency.id is not None
        regions = await council_db.agency_regions(session=session, agency_id=agency.id)
        submitter = None
        if agency.code in DEMO_MEMBERS:
            member = await members_db.get_member_by_telegram_id(
                session=session, telegram_id=DEMO_MEMBERS[agency.code]
            )
            submitter = member.id if member else None
        for month in months:
            if agency.code == MISSING_AGENCY and month == months[-1]:
                continue
            if await reports_db.versions(session=session, agency_id=agency.id, month=month):
                continue
            deadline = month_deadline(month)
            late = (agency.code, month[5:]) in LATE
            day = deadline + timedelta(days=_n(agency.code, month, low=2, high=6)) if late \
                else deadline - timedelta(days=_n(agency.code, month, low=0, high=4))
            if day > today:
                continue  # the demo never reports from the future
            at = datetime(day.year, day.month, day.day, 17, 30, tzinfo=local_zone())
            figures = _figures(agency.code, agency.kind, month[5:], regions)
            first = MonthlyReport(agency_id=agency.id, month=month, version=1, figures=figures,
                                  late=late, submitted_by=submitter, submitted_at=at)
            await reports_db.insert_version(session=session, report=first)
            if (agency.code, month[5:]) == AMENDED:
                amended = {r: dict(v) for r, v in figures.items()}
                region = next(iter(amended))
                before = amended[region]["hires"]
                amended[region]["hires"] = before + 2
                fix = {"region": region, "metric": "hires", "from": before, "to": before + 2,
                       "reason": translate("ko", "report.demo_fix_reason"), "by": submitter,
                       "at": at.isoformat()}
                later = at + timedelta(days=3)
                await reports_db.insert_version(session=session, report=MonthlyReport(
                    agency_id=agency.id, month=month, version=2, figures=amended,
                    corrections=[fix], reason=translate("ko", "report.demo_amend_reason"),
                    late=later.date() > deadline,
                    submitted_by=submitter, submitted_at=later,
                ))
