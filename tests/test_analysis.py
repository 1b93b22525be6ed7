"""The November analysis (issue 16): 성과 요약's figures with exact numbers from a known season,
and the workbook they are written to (formulas, charts, dates, no internal codes)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import select

from adapters.runtime import Runtime
from core.clock import FrozenClock
from core.errors import DomainError
from core.statuses import OpeningStatus, SeekerStatus
from locales import Translator
from models import audit as audit_db
from models.tables import Meeting
from rendering import workbook
from services import analysis, export, reports
from tests.test_status_reports import add_member, seed_records

KO, EN = Translator("ko"), Translator("en")
SEASON = (date(2026, 7, 1), date(2026, 11, 30))
# Codes the record sheets store; none may be read in a cell.
CODES = {
    "contract_part_time", "regular_part_time", "hourly", "monthly", "filled", "open", "closed",
    "hired", "matched", "held", "seeking", "scheduled", "cancelled", "in_progress", "meeting_day",
    "council", "saeil_center", "employer_association", "branch_office", "True", "False",
}


async def season_export(rt: Runtime, clock: FrozenClock, **kw: Any) -> export.ExportData:
    async with rt.session() as s:
        return await export.build_export(session=s, clock=clock, cipher=rt.cipher, start=SEASON[0],
                                         end=SEASON[1], **kw)


async def submitted_season(rt: Runtime, clock: FrozenClock) -> dict[str, int]:
    """seed_records' season, and 천안새일센터's August report submitted (late, on 9/1)."""
    ids = await seed_records(rt)
    staff = await add_member(rt, 60, "saeil-cheonan")
    async with rt.session() as s:
        state = await reports.open_report(session=s, agency_id=ids["cheonan"], month="2026-08")
        await reports.submit(session=s, clock=clock, actor=staff, draft=state.draft)
    return ids


# --- the figures ---------------------------------------------------------------------------------
async def test_summary_figures_are_exact(runtime: Runtime, clock: FrozenClock) -> None:
    await submitted_season(runtime, clock)
    data = (await season_export(runtime, clock)).analysis
    assert (data.year, data.start, data.end, data.made_on) == (2026, *SEASON, date(2026, 9, 1))
    assert [g.kind for g in data.groups] == ["employer_association", "saeil_center",
                                             "branch_office"]
    assoc, saeil, branch = data.groups
    assert len(assoc.rows) == 4 and len(saeil.rows) == 9 and len(branch.rows) == 3
    chamber = assoc.rows[0]
    assert chamber.name == "충남북부상의"
    assert chamber.targets == {"openings": 40, "hires": 10}
    assert chamber.results == {"openings": 4, "seekers": 0, "meeting_days": 0, "interviews": 0,
                               "hires": 0}
    assert chamber.share("openings") == pytest.approx(0.1) and chamber.share("hires") == 0
    assert chamber.share("seekers") is None and chamber.overall == pytest.approx(0.05)
    cheonan = saeil.rows[0]
    assert cheonan.name == "천안새일센터"
    assert cheonan.targets == {"seekers": 60, "meeting_days": 3, "hires": 15}
    assert cheonan.results == {"openings": 0, "seekers": 3, "meeting_days": 1, "interviews": 3,
                               "hires": 1}
    assert cheonan.overall == pytest.approx((3 / 60 + 1 / 3 + 1 / 15) / 3)  # 0.15
    assert cheonan.overall == pytest.approx(0.15)
    assert assoc.target("openings") == 130 and assoc.target("hires") == 34
    assert assoc.share("openings") == pytest.approx(4 / 130)
    assert assoc.overall == pytest.approx(0.05 / 4)
    assert saeil.target("seekers") == 380 and saeil.target("meeting_days") == 19
    assert saeil.target("hires") == 95 and saeil.overall == pytest.approx(0.15 / 9)
    assert branch.overall is None and branch.target("openings") == 0
    total = data.total
    assert [total.target(m) for m in analysis.TARGETED] == [130, 380, 19, 129]
    assert [total.result(m) for m in analysis.RESULTS] == [4, 3, 1, 3, 1]
    assert total.overall == pytest.approx(0.2 / 13)
    assert [r.name for r in data.ranked[:2]] == ["천안새일센터", "충남북부상의"]
    assert len(data.ranked) == 13  # agencies with targets only
    assert data.hires_by_month == [("2026-07", 0), ("2026-08", 1), ("2026-09", 0),
                                   ("2026-10", 0), ("2026-11", 0)]
    assert [(m.month, m.due, m.on_time, m.late, m.missing, m.pending) for m in data.reports] == [
        ("2026-07", 18, 0, 0, 18, 0), ("2026-08", 18, 0, 1, 17, 0),
        ("2026-09", 18, 0, 0, 0, 18)]
    assert [s.completed_on for s in data.steps[:2]] == [date(2026, 8, 12)] * 2
    assert [s.due_on for s in data.steps] == [date(2026, 7, 31), date(2026, 8, 14),
                                              date(2026, 9, 5), date(2026, 9, 30),
                                              date(2026, 10, 31), date(2026, 11, 30)]


def test_overall_caps_each_share_at_one() -> None:
    assert analysis.overall({"hires": 30, "seekers": 10}, {"hires": 15, "seekers": 40}) == (
        pytest.approx((1 + 0.25) / 2))
    assert analysis.overall({}, {}) is None
    assert analysis.share(0, 10) == 0 and analysis.share(5, None) is None


@pytest.mark.parametrize(("start", "end", "key"), [
    ("2026-11-30", "2026-07-01", "analysis.end_before_start"),
    ("2024-01-01", "2026-07-01", "analysis.too_long"),
    ("2026-02-30", "2026-03-01", "analysis.no_such_day"),
    ("2026-13-01", "2026-12-01", "analysis.no_such_day"),
    ("어제", "2026-03-01", "analysis.bad_date"),
])
def test_bad_periods_get_a_clear_answer(start: str, end: str, key: str) -> None:
    with pytest.raises(DomainError) as err:
        export.parse_period(start, end)
    assert err.value.key == key
    assert "아무것도 만들지 않았어요" in KO(err.value.key, **err.value.shown)


def test_typed_days_in_usual_forms() -> None:
    assert export.parse_period("2026.7.1", "2026/12/31") == (date(2026, 7, 1), date(2026, 12, 31))
    assert export.parse_period("2025-01-01", "2026-12-31")[1] == date(2026, 12, 31)  # 2 years


async def test_period_choices_reach_late_entries(runtime: Runtime) -> None:
    async with runtime.session() as s:
        choices = await export.period_choices(session=s, today=date(2026, 12, 3))
        january = await export.period_choices(session=s, today=date(2027, 1, 10))
    got = {c.key: (c.start, c.end) for c in choices}
    assert got == {
        "this_month": (date(2026, 12, 1), date(2026, 12, 3)),
        "last_month": (date(2026, 11, 1), date(2026, 11, 30)),
        "year_to_date": (date(2026, 7, 1), date(2026, 12, 3)),
        "whole_year": (date(2026, 7, 1), date(2026, 12, 31)),  # a hire of 12/2 is inside
    }
    assert {c.key: (c.start, c.end) for c in january}["whole_year"] == (
        date(2026, 7, 1), date(2026, 12, 31))  # before the programme starts: last year's


# --- the workbook --------------------------------------------------------------------------------
def evaluate(ws: Worksheet, ref: str, depth: int = 0) -> Any:
    """The value of a cell, formulas included (the few functions the summary uses)."""
    value = ws[ref].value
    if not (isinstance(value, str) and value.startswith("=")):
        return value
    assert depth < 10

    def values(a: str, b: str | None) -> list[Any]:
        if b is None:
            return [evaluate(ws, a, depth + 1)]
        return [evaluate(ws, c.coordinate, depth + 1) for row in ws[f"{a}:{b}"] for c in row]

    def flat(*args: Any) -> list[float]:
        out: list[float] = []
        for arg in args:
            out += arg if isinstance(arg, list) else [arg]
        return [x for x in out if isinstance(x, int | float)]

    expr = re.sub(r"\b([A-Z]{1,2}\d+)(?::([A-Z]{1,2}\d+))?\b",
                  lambda m: f"_v({m[1]!r},{m[2]!r})", value[1:])
    expr = expr.replace("SUM(", "_sum(").replace("AVERAGE(", "_avg(").replace("MIN(", "_min(")
    env = {
        "_v": lambda a, b: values(a, b) if b else (values(a, None)[0] or 0),
        "_sum": lambda *a: sum(flat(*a)),
        "_avg": lambda *a: sum(flat(*a)) / len(flat(*a)),
        "_min": lambda *a: min(flat(*a)),
    }
    return eval(expr, env)  # noqa: S307 - our own formulas, in a test


def summary_rows(ws: Worksheet) -> dict[str, int]:
    """Row numbers of the targets table by the agency or subtotal label in A/B."""
    rows = {}
    for row in ws.iter_rows(min_row=6, max_row=40):
        label = row[1].value or row[0].value
        if label:
            rows[str(label)] = row[0].row
        if row[0].value == "합계":
            break
    return rows


async def test_workbook_summary_formulas_charts_and_cells(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await submitted_season(runtime, clock)
    data = await season_export(runtime, clock)
    book = load_workbook(io.BytesIO(workbook.to_xlsx(data, KO)))
    assert book.sheetnames == ["성과 요약", "월별 실적", "구인", "구직자", "만남의 날·회의",
                               "채용", "사후관리", "실적보고"]
    ws = book["성과 요약"]
    assert ws["A1"].value == "2026 시간선택제 일자리 지역협의체 성과분석"
    assert "2026-07-01~2026-11-30" in ws["A2"].value and "작성일 2026-09-01" in ws["A2"].value
    assert [ws.cell(row=4, column=c).value for c in (1, 2, 3, 7, 12, 16)] == [
        "기관구분", "기관", "목표", "실적", "달성률", "종합 달성률"]
    rows = summary_rows(ws)
    cheonan, chamber = rows["천안새일센터"], rows["충남북부상의"]
    assert ws[f"D{cheonan}"].value == 60 and ws[f"H{cheonan}"].value == 3
    assert evaluate(ws, f"P{cheonan}") == pytest.approx(0.15)
    assert evaluate(ws, f"L{chamber}") == pytest.approx(0.1)
    assert ws[f"M{chamber}"].value == "-"  # no target: no 달성률
    assert ws[f"P{cheonan}"].number_format == "0%"
    # Subtotals and the total are formulas and equal the per-agency rows (and the service's).
    subtotal, total = rows["새일센터 소계"], rows["합계"]
    assert ws[f"D{subtotal}"].value.startswith("=SUM(D")
    for column, metric in zip("CDEF", analysis.TARGETED, strict=True):
        assert evaluate(ws, f"{column}{total}") == data.analysis.total.target(metric)
        by_rows = sum(ws[f"{column}{r}"].value or 0 for name, r in rows.items()
                      if "소계" not in name and name != "합계")
        assert evaluate(ws, f"{column}{total}") == by_rows
    for column, metric in zip("GHIJK", analysis.RESULTS, strict=True):
        assert evaluate(ws, f"{column}{total}") == data.analysis.total.result(metric)
    assert evaluate(ws, f"P{subtotal}") == pytest.approx(0.15 / 9)
    assert evaluate(ws, f"P{total}") == pytest.approx(0.2 / 13)
    assert evaluate(ws, f"L{total}") == pytest.approx(4 / 130)
    assert len(ws._charts) >= 2  # noqa: SLF001 - native charts, not pictures
    assert not ws._images  # noqa: SLF001
    cells = [c for r in ws.iter_rows() for c in r if c.value is not None]
    assert "추진 일정 (계획 대비 실제)" in [c.value for c in cells]
    step2 = next(c.row for c in cells if c.value == "실무자협의회 개최")
    assert ws[f"F{step2}"].is_date and ws[f"F{step2}"].value == datetime(2026, 8, 12)
    assert ws[f"E{step2}"].value == datetime(2026, 8, 14)
    august = next(c.row for c in cells if c.value == "2026-08" and c.column == 1)
    assert [ws.cell(row=august, column=c).value for c in range(2, 7)] == [18, 0, 1, 17, 0]
    # Every sheet: title, print setup, frozen headers.
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows
        assert "2026" in (sheet.oddHeader.center.text or "")
    for name in book.sheetnames[1:]:
        sheet = book[name]
        assert sheet.freeze_panes == "A3" and "2026-07-01~2026-11-30" in sheet["A1"].value
    # No internal code anywhere; dates are dates; money in 원; meeting titles filled.
    every = [c for sheet in book.worksheets for r in sheet.iter_rows() for c in r]
    shown = {str(c.value) for c in every if c.value is not None}
    assert not shown & CODES, shown & CODES
    openings = book["구인"]
    assert openings["F3"].value == "정규직(시간선택제)" and openings["H3"].value == "시급"
    assert openings["M3"].value == "모집중" and openings["L3"].value == "아니오"
    assert openings["I3"].value == 13000 and openings["I3"].number_format == '#,##0"원"'
    assert openings["N3"].is_date
    seekers = book["구직자"]
    assert seekers["C3"].value == "홍*순" and seekers["E3"].value == "40대"
    assert seekers["I3"].value == "구직중"
    hires = book["채용"]
    assert hires["G3"].is_date and hires["G3"].number_format == "yyyy-mm-dd"
    meetings = book["만남의 날·회의"]
    titles = [r[3] for r in meetings.iter_rows(min_row=3, values_only=True)]
    assert titles and all(titles)
    assert {r[6] for r in meetings.iter_rows(min_row=3, values_only=True)} == {"개최"}


async def test_untitled_meeting_gets_a_title_and_english_reads_english(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await submitted_season(runtime, clock)
    async with runtime.session() as s:
        for meeting in (await s.exec(select(Meeting))).all():
            meeting.title = ""
            s.add(meeting)
    data = await season_export(runtime, clock)
    book = load_workbook(io.BytesIO(workbook.to_xlsx(data, KO)))
    titles = {r[3] for r in book["만남의 날·회의"].iter_rows(min_row=3, values_only=True)}
    assert "천안시 만남의 날 (8/25)" in titles and "천안새일센터 실무자협의회 (8/12)" in titles
    english = load_workbook(io.BytesIO(workbook.to_xlsx(data, EN)))
    assert english.sheetnames[0] == "Summary"
    openings = english.worksheets[2]
    assert openings["H3"].value == "Hourly" and openings["I3"].number_format == '"KRW "#,##0'
    assert english.worksheets[3]["E3"].value == "40s"
    texts = {str(c.value) for sh in english.worksheets for r in sh.iter_rows() for c in r
             if c.value is not None}
    assert not texts & CODES


async def test_every_export_is_in_the_access_log(runtime: Runtime, clock: FrozenClock) -> None:
    await seed_records(runtime)
    await season_export(runtime, clock, actor_telegram_id=5, channel="cli")
    async with runtime.session() as s:
        entries = await audit_db.list_audit(session=s, action_prefix="export.")
    assert [e.action for e in entries] == ["export.masked"]
    assert entries[0].detail["channel"] == "cli" and entries[0].actor_telegram_id == 5
    assert "seekers" not in entries[0].detail  # a masked export names nobody


async def test_csv_is_in_the_readers_language(runtime: Runtime, clock: FrozenClock) -> None:
    await seed_records(runtime)
    data = await season_export(runtime, clock)
    files = workbook.to_csv(data, KO)
    openings = files["openings.csv"].decode("utf-8-sig")
    assert "정규직(시간선택제)" in openings and "regular_part_time" not in openings


def test_every_stored_code_has_a_label_in_both_languages() -> None:
    from locales import catalogue
    from services.openings import EMPLOYMENT_TYPES, WAGE_TYPES

    families = {
        "opening.type.": EMPLOYMENT_TYPES, "opening.wage.": WAGE_TYPES,
        "opening.status.": tuple(OpeningStatus), "seeker.status.": tuple(SeekerStatus),
        "export.meeting.": export.MEETING_KINDS,
        "analysis.meeting_status.": export.MEETING_STATUSES,
    }
    for lang in ("ko", "en"):
        known = catalogue(lang)
        for prefix, codes in families.items():
            for value in codes:
                assert export.code(prefix, value, codes).key in known, (lang, prefix, value)
    assert export.code("opening.status.", "paused", tuple(OpeningStatus)).key == "analysis.other"
