"""The .xlsx template of the bulk import: one data sheet with the chat form's headers in its
order, an example row, drop-down lists (Excel data validation) for every closed choice, and a
guide sheet explaining each column (and, for seekers, the 제15조 and 제17조 consents)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from models.tables import Region
from services.forms import REGIONS, FieldSpec
from services.imports import CONSENT, OPENING, Tr, fields_of

# Optional columns the example row leaves empty.
LEFT_EMPTY = frozenset({"business_number", "deadline", "desired_wage", "note"})
WORK_DAYS_KEY = "import.work_days_options"  # common 요일 patterns, offered but not enforced


def example_row(kind: str, tr: Tr) -> list[str]:
    """The example row's texts (a row equal to it is not imported)."""
    return ["" if spec.key in LEFT_EMPTY else tr(f"import.example.{kind}.{spec.key}")
            for spec in fields_of(kind)]


def _options(spec: FieldSpec, tr: Tr, regions: Sequence[Region]) -> list[str]:
    if spec.choices == REGIONS:
        return [r.name for r in regions]
    if isinstance(spec.choices, tuple):
        return [tr(c.label_key) if c.label_key else c.value for c in spec.choices]
    if spec.key == "work_days":
        return tr(WORK_DAYS_KEY).split(",")
    return []


def build_template(kind: str, tr: Tr, regions: Sequence[Region]) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    fields = fields_of(kind)
    book = openpyxl.Workbook()
    data = book.active
    assert data is not None
    data.title = tr("import.sheet.data")[:31]
    data.append([tr(s.label_key) for s in fields])
    data.append(example_row(kind, tr))
    bold, grey = Font(bold=True), PatternFill("solid", fgColor="EEEEEE")
    for index, spec in enumerate(fields, start=1):
        letter = get_column_letter(index)
        data.column_dimensions[letter].width = 16
        head = data.cell(1, index)
        head.font = bold
        if not spec.optional:
            head.fill = PatternFill("solid", fgColor="FFF2CC")
        data.cell(2, index).fill = grey
        if spec.key in ("deadline", CONSENT):
            data.cell(2, index).number_format = "yyyy-mm-dd"
        options = _options(spec, tr, regions)
        if options:
            formula = '"' + ",".join(o.replace(",", " ") for o in options) + '"'
            check = DataValidation(type="list", formula1=formula, allow_blank=True,
                                   showErrorMessage=spec.key != "work_days")
            data.add_data_validation(check)
            check.add(f"{letter}2:{letter}1001")
    data.freeze_panes = "A2"

    guide = book.create_sheet(tr("import.sheet.guide")[:31])
    guide.append([tr(f"import.guide.{kind}")])
    guide["A1"].font = Font(bold=True, size=13)
    notes = ["import.guide.rows", "import.guide.example"]
    if kind != OPENING:
        notes += ["import.guide.consent15", "import.guide.consent17"]
    for note in notes:
        guide.append([tr(note)])
    guide.append([])
    guide.append([tr("import.guide.col"), tr("import.guide.required"), tr("import.guide.what"),
                  tr("import.guide.options")])
    for cell in guide[guide.max_row]:
        cell.font = bold
    for spec in fields:
        guide.append([
            tr(spec.label_key),
            tr("import.guide.optional_no") if not spec.optional else tr("import.guide.optional"),
            re.sub(r"<[^>]+>", "", tr(spec.prompt_key)), ", ".join(_options(spec, tr, regions)),
        ])
    for letter, width in zip("ABCD", (18, 8, 60, 50), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
