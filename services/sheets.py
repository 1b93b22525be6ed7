"""Reading an uploaded spreadsheet safely: .xlsx (openpyxl) or .csv (UTF-8 with or without BOM,
or CP949 as Korean Excel writes it) into plain grids of cell values.

Everything that makes a file unsafe or ambiguous is refused here with a `DomainError` before any
row is checked: the wrong type (.xls, .xlsm, anything else), more than 5 MB, a damaged or
password-protected workbook, a zip bomb (a huge uncompressed size), hidden sheets and merged
cells. Nothing is stored and nothing of the content is logged.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from core.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 40 * 1024 * 1024  # the XML of 1,000 rows is a few MB; more is a bomb
MAX_RATIO = 200  # one member of the zip inflating more than this is a bomb
MAX_COLUMNS = 100
MAX_ROWS = 1000  # data rows
MAX_SCAN_ROWS = MAX_ROWS + 50  # header rows and blank lines above the data
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected workbook


class Formula:
    """A formula cell without a cached value (the file was never opened in Excel)."""

    __slots__ = ()


FORMULA = Formula()


@dataclass
class Grid:
    """One sheet: its rows as (row number in the file, cell values)."""

    name: str
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def kind_of(filename: str | None) -> str:
    """'xlsx' or 'csv' from the name; other types are refused with what to send instead."""
    name = (filename or "").lower().strip()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xls"):
        raise DomainError("import.old_xls")
    if name.endswith((".xlsm", ".xlsb", ".xltm")):
        raise DomainError("import.macro")
    raise DomainError("import.bad_type")


def check_size(size: int | None) -> None:
    """Refuse before downloading: Telegram tells the size with the document."""
    if size is not None and size > MAX_BYTES:
        raise DomainError("import.too_big", mb=MAX_BYTES // (1024 * 1024))


def read_grids(data: bytes, filename: str | None) -> list[Grid]:
    """The visible sheets of the file (one for a CSV)."""
    kind = kind_of(filename)
    check_size(len(data))
    if not data.strip():
        raise DomainError("import.empty")
    if kind == "csv":
        return [_read_csv(data)]
    return _read_xlsx(data)


# --- CSV -------------------------------------------------------------------------------------
def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else CP949; anything else is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("import.encoding")


def _read_csv(data: bytes) -> Grid:
    if data.startswith(OLE_MAGIC) or data.startswith(b"PK\x03\x04"):
        raise DomainError("import.broken")  # a workbook renamed to .csv
    text = decode_csv(data)
    if "\x00" in text:
        raise DomainError("import.broken")
    grid = Grid("csv")
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number > MAX_SCAN_ROWS:
                raise DomainError("import.too_many_rows", limit=MAX_ROWS)
            if len(row) > MAX_COLUMNS:
                raise DomainError("import.too_wide", limit=MAX_COLUMNS)
            grid.rows.append((number, [cell.strip() for cell in row]))
    except csv.Error:
        raise DomainError("import.broken") from None
    return grid


# --- XLSX ------------------------------------------------------------------------------------
def _check_zip(data: bytes) -> None:
    if data.startswith(OLE_MAGIC):
        raise DomainError("import.encrypted")  # Excel encrypts a workbook into an OLE file
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DomainError("import.broken") from None
    with archive:
        names = set(archive.namelist())
        if "xl/vbaProject.bin" in names:
            raise DomainError("import.macro")
        if "xl/workbook.xml" not in names:
            raise DomainError("import.broken")
        total = 0
        for info in archive.infolist():
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if total > MAX_UNCOMPRESSED or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO):
                raise DomainError("import.bomb")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    return value


def _read_xlsx(data: bytes) -> list[Grid]:
    import openpyxl  # a heavy import, only when a workbook arrives

    _check_zip(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
        cached = None
        grids = []
        for sheet in book.worksheets:
            if sheet.sheet_state != "visible":
                raise DomainError("import.hidden_sheet", sheet=sheet.title)
            if sheet.merged_cells.ranges:
                raise DomainError("import.merged", sheet=sheet.title,
                                  cells=min(str(r) for r in sheet.merged_cells.ranges))
            if sheet.max_column > MAX_COLUMNS:
                raise DomainError("import.too_wide", limit=MAX_COLUMNS)
            if sheet.max_row > MAX_SCAN_ROWS:
                raise DomainError("import.too_many_rows", limit=MAX_ROWS)
            grid = Grid(sheet.title)
            for row in sheet.iter_rows():
                values = []
                for cell in row:
                    value = cell.value
                    if cell.data_type == "f":
                        if cached is None:
                            cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
                        value = cached[sheet.title][cell.coordinate].value
                        value = FORMULA if value is None else value
                    values.append(_plain(value))
                grid.rows.append((row[0].row if row else 0, values))
            grids.append(grid)
    except DomainError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise DomainError("import.broken") from None
    if not grids:
        raise DomainError("import.empty")
    return grids


def cell_text(value: Any) -> str:
    """A cell as the text a user would have typed in the chat form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value).strip()
