"""The export as a workbook a public servant hands in, or as one CSV per sheet.

The first sheet is 성과 요약 (`rendering.workbook.summary`: targets, 달성률, formula subtotals,
native charts); the record sheets follow, each with its title and period in row 1, headers in
row 2 (frozen, filtered, repeated on every printed page), Excel dates and number formats, every
code in the reader's language. The workbook is written in openpyxl's write-only mode, so a season
of 100,000 records is streamed instead of held as cell objects.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rendering.workbook.cells import Styles, Tr, cell, formats, print_setup, text_of, width
from rendering.workbook.summary import write_summary
from services.export import ExportData, Sheet

WIDTH_SAMPLE = 2000  # rows looked at to fit a column's width


def period_text(data: ExportData, tr: Tr) -> str:
    return tr("analysis.period", start=data.start.isoformat(), end=data.end.isoformat())


def _record_sheet(book: Any, sheet: Sheet, data: ExportData, tr: Tr, styles: Styles) -> None:
    from openpyxl.utils import get_column_letter

    name = tr(f"export.sheet.{sheet.key}")[:31]
    ws = book.create_sheet(name)
    headers = [tr(f"export.col.{c.key}") for c in sheet.columns]
    fmt = formats(tr)
    number_formats = [fmt.get(c.kind) for c in sheet.columns]
    sample = [[text_of(v, tr) for v in row] for row in sheet.rows[:WIDTH_SAMPLE]]
    for index, header in enumerate(headers):
        widest = max([width(header)] + [width(r[index]) for r in sample])
        ws.column_dimensions[get_column_letter(index + 1)].width = min(max(widest + 2, 8), 50)
    title = tr("analysis.sheet_title", sheet=name, period=period_text(data, tr))
    ws.freeze_panes = "A3"
    print_setup(ws, title=title, title_rows="1:2")
    ws.append([cell(ws, title, font=styles.title)])
    ws.append([cell(ws, h, font=styles.bold, fill=styles.header_fill, align=styles.center,
                    border=styles.border) for h in headers])
    # One styled cell per formatted column, reused row after row: a write-only sheet writes a
    # row out as it is appended, and styling a fresh cell per value costs more than the value.
    styled = {i: cell(ws, None, number_format=f) for i, f in enumerate(number_formats) if f}
    for row in sheet.rows:
        values = [text_of(v, tr) for v in row]
        for i, template in styled.items():
            if values[i] is not None:
                template.value = values[i]
                values[i] = template
        ws.append(values)
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A2:{last}{len(sheet.rows) + 2}"


def to_xlsx(data: ExportData, tr: Tr) -> bytes:
    """The whole workbook, 성과 요약 first."""
    from openpyxl import Workbook
    from openpyxl.workbook.properties import CalcProperties

    book = Workbook(write_only=True)
    book.calculation = CalcProperties(fullCalcOnLoad=True)  # formulas and charts on opening
    styles = Styles()
    write_summary(book, data, tr, styles, period=period_text(data, tr))
    for sheet in data.sheets:
        _record_sheet(book, sheet, data, tr, styles)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv_value(value: Any, tr: Tr) -> Any:
    value = text_of(value, tr)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def to_csv(data: ExportData, tr: Tr) -> dict[str, bytes]:
    """One CSV per record sheet (UTF-8 with BOM, so Excel opens the Korean headers correctly)."""
    files = {}
    for sheet in data.sheets:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([tr(f"export.col.{c.key}") for c in sheet.columns])
        for row in sheet.rows:
            writer.writerow([_csv_value(v, tr) for v in row])
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

