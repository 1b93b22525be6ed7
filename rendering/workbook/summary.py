"""성과 요약, the first sheet: the November question answered at a glance.

Title, period and the day it was made; per agency its targets, results and 달성률 (per target and
overall) as formulas over the row, a subtotal row per kind of agency and a 합계 row as formulas
over the rows above (so an edited cell updates them); the six steps with planned and actual
dates; the month-end reports; hires by month; and two native Excel charts (달성률 by agency,
hires by month). The numbers the formulas give are `services.analysis`'s, which the tests check.
"""

from __future__ import annotations

from typing import Any

from rendering.workbook.cells import Styles, Tr, cell, formats, print_setup, text_of
from services.analysis import RESULTS, TARGETED, AgencyRow, Analysis, Group
from services.export import ExportData, Label

# Columns: A kind, B agency, C-F targets, G-K results, L-O shares, P overall.
TARGET_COL = {m: "CDEF"[i] for i, m in enumerate(TARGETED)}
RESULT_COL = {m: "GHIJK"[i] for i, m in enumerate(RESULTS)}
SHARE_COL = {m: "LMNO"[i] for i, m in enumerate(TARGETED)}
OVERALL = "P"
LAST = "P"
HEADER_ROW = 4  # group headers; metric names on row 5; agencies from row 6
FIRST_ROW = 6
CHART_ANCHOR_COL = "R"


class Writer:
    """Rows appended in order with the row number kept, for formulas and chart references."""

    def __init__(self, ws: Any, tr: Tr, styles: Styles) -> None:
        self.ws, self.tr, self.styles, self.row = ws, tr, styles, 0
        self.fmt = formats(tr)

    def append(self, values: list[Any]) -> int:
        self.ws.append(values)
        self.row += 1
        return self.row

    def blank(self) -> None:
        self.append([])

    def c(self, value: Any, kind: str | None = None, **style: Any) -> Any:
        value = text_of(value, self.tr)
        fmt = self.fmt.get(kind) if kind else None
        return cell(self.ws, value, number_format=fmt, border=self.styles.border, **style)

    def header(self, values: list[str]) -> int:
        s = self.styles
        return self.append([cell(self.ws, self.tr(v) if v else None, font=s.bold,
                                 fill=s.header_fill, align=s.center, border=s.border)
                            for v in values])

    def caption(self, key: str) -> int:
        return self.append([cell(self.ws, self.tr(key), font=self.styles.bold)])


def _agency_row(w: Writer, row: AgencyRow) -> int:
    r = w.row + 1
    values: list[Any] = [w.c(Label(f"export.kind.{row.kind}")), w.c(row.name)]
    values += [w.c(row.targets.get(m), "int") for m in TARGETED]
    values += [w.c(row.results.get(m, 0), "int") for m in RESULTS]
    for m in TARGETED:
        formula = f"={RESULT_COL[m]}{r}/{TARGET_COL[m]}{r}" if m in row.targets else "-"
        values.append(w.c(formula, "percent"))
    capped = [f"MIN(1,{RESULT_COL[m]}{r}/{TARGET_COL[m]}{r})" for m in TARGETED
              if m in row.targets]
    values.append(w.c(f"=AVERAGE({','.join(capped)})" if capped else "-", "percent",
                      font=w.styles.bold))
    return w.append(values)


def _sum_row(w: Writer, label: str, group: Group, sums: dict[str, str], overall: str,
             fill: Any) -> int:
    """A subtotal or total row: `sums[column]` is the formula body per target/result column."""
    r = w.row + 1
    bold = w.styles.bold
    values: list[Any] = [w.c(label, font=bold, fill=fill), w.c(None, fill=fill)]
    for col in [TARGET_COL[m] for m in TARGETED] + [RESULT_COL[m] for m in RESULTS]:
        values.append(w.c(f"={sums[col]}", "int", font=bold, fill=fill))
    for m in TARGETED:
        formula = f"={RESULT_COL[m]}{r}/{TARGET_COL[m]}{r}" if group.target(m) else "-"
        values.append(w.c(formula, "percent", font=bold, fill=fill))
    values.append(w.c(f"=AVERAGE({overall})" if group.overall is not None else "-",
                      "percent", font=bold, fill=fill))
    return w.append(values)


def _targets_table(w: Writer, data: Analysis) -> list[tuple[AgencyRow, int]]:
    tr = w.tr
    w.header(["analysis.col.kind", "analysis.col.agency", "analysis.col.targets", "", "", "",
              "analysis.col.results", "", "", "", "", "analysis.col.shares", "", "", "",
              "analysis.col.overall"])
    names = [f"status.metric.{m}" for m in TARGETED]
    w.header(["", "", *names, *[f"status.metric.{m}" for m in RESULTS], *names, ""])
    for span in ("A4:A5", "B4:B5", "C4:F4", "G4:K4", "L4:O4", "P4:P5"):
        w.ws.merged_cells.add(span)
    placed: list[tuple[AgencyRow, int]] = []
    subtotals: list[int] = []
    agency_ranges: list[str] = []
    for group in data.groups:
        first = w.row + 1
        for row in group.rows:
            placed.append((row, _agency_row(w, row)))
        last = w.row
        agency_ranges.append(f"{OVERALL}{first}:{OVERALL}{last}")
        sums = {col: f"SUM({col}{first}:{col}{last})"
                for col in [*TARGET_COL.values(), *RESULT_COL.values()]}
        subtotals.append(_sum_row(
            w, tr("analysis.subtotal", kind=tr(f"export.kind.{group.kind}")), group, sums,
            f"{OVERALL}{first}:{OVERALL}{last}", w.styles.subtotal_fill))
    totals = {col: "+".join(f"{col}{r}" for r in subtotals) or "0"
              for col in [*TARGET_COL.values(), *RESULT_COL.values()]}
    _sum_row(w, tr("analysis.total"), data.total, totals, ",".join(agency_ranges) or "0",
             w.styles.total_fill)
    return placed


def _steps_table(w: Writer, data: Analysis) -> None:
    w.caption("analysis.steps_title")
    w.header(["analysis.col.step", "analysis.col.step_title", "analysis.col.owner",
              "analysis.col.planned_start", "analysis.col.planned_due", "analysis.col.done_on",
              "analysis.col.state"])
    for step in data.steps:
        w.append([w.c(step.number, "int"), w.c(w.tr(step.title_key)), w.c(step.owner or "-"),
                  w.c(step.starts_on, "date"), w.c(step.due_on, "date"),
                  w.c(step.completed_on, "date"), w.c(w.tr(f"status.state.{step.state}"))])


def _reports_table(w: Writer, data: Analysis) -> None:
    w.caption("analysis.reports_title")
    w.header(["analysis.col.month", "analysis.col.due", "analysis.col.on_time",
              "analysis.col.late", "analysis.col.missing", "analysis.col.pending"])
    for m in data.reports:
        w.append([w.c(m.month), *[w.c(n, "int") for n in
                                  (m.due, m.on_time, m.late, m.missing, m.pending)]])


def _retention_table(w: Writer, data: Analysis) -> None:
    """사후관리 beside the hires: per centre, each follow-up point's due points, how many found
    her working and the 고용유지율 as a formula over the two; a total row."""
    from openpyxl.utils import get_column_letter

    months = data.retention.months
    if not months:
        return
    tr, s = w.tr, w.styles
    w.caption("analysis.retention_title")
    heads = [tr("analysis.col.agency"), tr("status.metric.hires")]
    for m in months:
        heads += [tr("analysis.col.points_due", months=m), tr("analysis.col.points_employed",
                                                                months=m),
                  tr("analysis.col.retention", months=m)]
    w.append([cell(w.ws, h, font=s.bold, fill=s.header_fill, align=s.center, border=s.border)
              for h in heads])
    first = w.row + 1
    rows = [r for r in data.total.rows if r.agency_id in data.retention_by_agency]
    for row in rows:
        figures = data.retention_by_agency[row.agency_id]
        r = w.row + 1
        values: list[Any] = [w.c(row.name), w.c(row.results.get("hires", 0), "int")]
        for i, m in enumerate(months):
            due_col, kept_col = get_column_letter(3 + 3 * i), get_column_letter(4 + 3 * i)
            values += [w.c(figures.due.get(m, 0), "int"), w.c(figures.employed.get(m, 0), "int"),
                       w.c(f"=IF({due_col}{r}=0,\"-\",{kept_col}{r}/{due_col}{r})", "percent")]
        w.append(values)
    last = w.row
    r = w.row + 1
    bold, fill = s.bold, s.total_fill
    total: list[Any] = [w.c(tr("analysis.total"), font=bold, fill=fill),
                        w.c(f"=SUM(B{first}:B{last})", "int", font=bold, fill=fill)]
    for i, _m in enumerate(months):
        due_col, kept_col = get_column_letter(3 + 3 * i), get_column_letter(4 + 3 * i)
        total += [w.c(f"=SUM({due_col}{first}:{due_col}{last})", "int", font=bold, fill=fill),
                  w.c(f"=SUM({kept_col}{first}:{kept_col}{last})", "int", font=bold, fill=fill),
                  w.c(f"=IF({due_col}{r}=0,\"-\",{kept_col}{r}/{due_col}{r})", "percent",
                      font=bold, fill=fill)]
    w.append(total)


def _charts(w: Writer, data: Analysis, placed: list[tuple[AgencyRow, int]], top: int) -> None:
    """Two native charts fed by small tables under the sheet (so they follow edits too)."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.label import DataLabelList

    tr = w.tr
    rows = dict((id(r), n) for r, n in placed)
    w.blank()
    w.caption("analysis.ranking_title")
    w.header(["analysis.col.agency", "analysis.col.overall"])
    rank_first = w.row + 1
    for row in data.ranked:
        w.append([w.c(row.name), w.c(f"={OVERALL}{rows[id(row)]}", "percent")])
    rank_last = w.row
    w.blank()
    w.caption("analysis.hires_title")
    w.header(["analysis.col.month", "status.metric.hires"])
    hires_first = w.row + 1
    for month, n in data.hires_by_month:
        w.append([w.c(month), w.c(n, "int")])
    hires_last = w.row

    def labelled(chart: Any, title: str, number_format: str) -> None:
        chart.title = title
        chart.legend = None
        # The value alone on each bar (LibreOffice otherwise adds the series and category).
        chart.dataLabels = DataLabelList(showVal=True, showSerName=False, showCatName=False,
                                         showLegendKey=False, showPercent=False)
        chart.dataLabels.numFmt = number_format
        chart.y_axis.numFmt = number_format
        chart.y_axis.majorGridlines = None
        chart.x_axis.delete = False
        chart.y_axis.delete = False

    if rank_last >= rank_first:
        ranking = BarChart()
        ranking.type = "bar"  # horizontal: long agency names stay readable
        ranking.add_data(Reference(w.ws, min_col=2, min_row=rank_first - 1, max_row=rank_last),
                         titles_from_data=True)
        ranking.set_categories(Reference(w.ws, min_col=1, min_row=rank_first, max_row=rank_last))
        labelled(ranking, tr("analysis.chart_ratio", year=data.year), "0%")
        ranking.x_axis.scaling.orientation = "maxMin"  # the best agency on top
        ranking.y_axis.scaling.min = 0
        ranking.height, ranking.width = max(7.5, 0.6 * (rank_last - rank_first + 1) + 2), 16
        w.ws.add_chart(ranking, f"{CHART_ANCHOR_COL}{HEADER_ROW}")
    if hires_last >= hires_first:
        monthly = BarChart()
        monthly.type = "col"
        monthly.add_data(Reference(w.ws, min_col=2, min_row=hires_first - 1, max_row=hires_last),
                         titles_from_data=True)
        monthly.set_categories(Reference(w.ws, min_col=1, min_row=hires_first,
                                         max_row=hires_last))
        labelled(monthly, tr("analysis.chart_hires"), "#,##0")
        monthly.height, monthly.width = 7.5, 16
        w.ws.add_chart(monthly, f"{CHART_ANCHOR_COL}{top}")


def write_summary(book: Any, data: ExportData, tr: Tr, styles: Styles, *, period: str) -> None:
    ws = book.create_sheet(tr("analysis.sheet")[:31])
    analysis = data.analysis
    title = tr("analysis.title", year=analysis.year)
    # Wide enough for the steps table's dates (2026-07-17) in the same columns.
    widths = {"A": 14, "B": 22, **{c: 11 for c in "CDEFGHIJKLMNO"}, "P": 11}
    for col, size in widths.items():
        ws.column_dimensions[col].width = size
    ws.freeze_panes = f"C{FIRST_ROW}"
    print_setup(ws, title=title, title_rows=f"{HEADER_ROW}:{HEADER_ROW + 1}")
    w = Writer(ws, tr, styles)
    w.append([cell(ws, title, font=styles.title)])
    w.append([cell(ws, tr("analysis.subtitle", period=period,
                          made=analysis.made_on.isoformat()), font=styles.subtitle)])
    ws.merged_cells.add(f"A1:{LAST}1")
    ws.merged_cells.add(f"A2:{LAST}2")
    w.blank()
    placed = _targets_table(w, analysis)
    w.blank()
    _steps_table(w, analysis)
    w.blank()
    _reports_table(w, analysis)
    w.blank()
    _retention_table(w, analysis)
    _charts(w, analysis, placed, top=HEADER_ROW + 18)
