"""What every sheet of the workbook shares: cell values in the reader's language, number formats,
styles and the print setup (landscape, one page wide, header rows repeated, title in the header).

openpyxl (which imports numpy) is imported on the first export, not when the bot starts."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from core.clock import local_zone
from services.export import Label

Tr = Callable[..., str]


def text_of(value: Any, tr: Tr) -> Any:
    """A cell's value for the reader: labels translated (their values too), times local."""
    if isinstance(value, Label):
        return tr(value.key, **{k: text_of(v, tr) for k, v in value.values.items()})
    if isinstance(value, bool):
        return tr("export.yes" if value else "export.no")
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).replace(tzinfo=None)  # Excel has no time zones
    return value


def formats(tr: Tr) -> dict[str, str]:
    """Number formats by column kind; money's unit comes from the catalogue (원 / KRW)."""
    return {
        "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "int": "#,##0", "float": "0.0",
        "money": tr("analysis.fmt.money"), "percent": "0%",
    }


def width(value: Any) -> int:
    """Display width: Hangul and other wide characters count twice."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = str(value if value is not None else "")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class Styles:
    """The few styles of the workbook, built once per workbook."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        thin = Side(style="thin", color="A6A6A6")
        self.title = Font(bold=True, size=14)
        self.subtitle = Font(size=10, color="595959")
        self.bold = Font(bold=True)
        self.header_fill = PatternFill("solid", fgColor="DDEBF7")
        self.subtotal_fill = PatternFill("solid", fgColor="F2F2F2")
        self.total_fill = PatternFill("solid", fgColor="FFF2CC")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)


def cell(ws: Any, value: Any, *, number_format: str | None = None, font: Any = None,
         fill: Any = None, align: Any = None, border: Any = None) -> Any:
    """A write-only cell with its style (plain values need none)."""
    from openpyxl.cell import WriteOnlyCell

    out = WriteOnlyCell(ws, value=value)
    if number_format:
        out.number_format = number_format
    if font is not None:
        out.font = font
    if fill is not None:
        out.fill = fill
    if align is not None:
        out.alignment = align
    if border is not None:
        out.border = border
    return out


def print_setup(ws: Any, *, title: str, title_rows: str) -> None:
    """Landscape, fit to one page wide, `title_rows` repeated, the title in the page header."""
    from openpyxl.worksheet.header_footer import HeaderFooter
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = title_rows
    header = HeaderFooter()
    header.oddHeader.center.text = title.replace("&", "&&")
    header.oddFooter.center.text = "&P / &N"
    ws.HeaderFooter = header
