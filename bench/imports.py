"""The bulk import's figure: a 1,000-row seekers workbook read, checked and previewed (the error
workbook built), as `/import` does before anything is stored. Issue 15's goal: under 5 s."""

from __future__ import annotations

import io
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROWS = 1000
SYLLABLES = 0xD7A4 - 0xAC00  # Hangul syllables 가..힣
FAMILY = 0xAE40  # the syllable a common family name starts with


def seeker_workbook(tr: Any, rows: int) -> bytes:
    """The template's headers and its example row, with a different name and phone per row."""
    import openpyxl

    from services import imports
    from services.import_template import example_row

    fields = [spec.key for spec in imports.fields_of("seeker")]
    example = example_row("seeker", tr)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([tr(spec.label_key) for spec in imports.fields_of("seeker")])
    for i in range(rows):
        row = list(example)
        row[fields.index("name")] = chr(FAMILY) + chr(0xAC00 + (i * 7) % SYLLABLES) \
            + chr(0xAC00 + (i * 13 + 5) % SYLLABLES)
        row[fields.index("phone")] = f"010-{3000 + i // 10000:04d}-{i % 10000:04d}"
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def measure_import(workdir: Path, rows: int = ROWS) -> dict[str, Any]:
    from bot.wiring import create_runtime, prepare_database
    from core.clock import FrozenClock, local_zone
    from core.config import load_settings
    from locales import Translator
    from models import council as council_db
    from models.tables import Member
    from services import imports
    from services.membership import Actor

    settings = load_settings(
        _env_file=None, ITDA_DATA_DIR=str(workdir / "import"),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'import.db'}",
    )
    # A day in the season, whatever today is: the template's example dates (the 제15조 consent)
    # must not lie in the future.
    runtime = create_runtime(settings, FrozenClock(datetime(2026, 9, 1, 10, tzinfo=local_zone())))
    trs = (Translator("ko"), Translator("en"))
    try:
        await prepare_database(runtime)
        async with runtime.session() as session:
            agency = await council_db.get_agency_by_code(session=session, code="saeil-cheonan")
            assert agency is not None
            member = Member(telegram_id=7, display_name="bench", agency_id=agency.id,
                            role="staff", joined_at=runtime.clock.now())
            session.add(member)
        data = seeker_workbook(trs[0], rows)
        actor = Actor(7, member)
        began = time.perf_counter()
        async with runtime.session() as session:
            target = await imports.import_target(session=session, actor=actor)
            checked = await imports.check_file(
                session=session, clock=runtime.clock, cipher=runtime.cipher, target=target,
                data=data, filename="bench.xlsx", trs=trs,
                minimum_wage=runtime.council.minimum_wage,
            )
        imports.error_workbook(checked, trs[0])
        seconds = time.perf_counter() - began
    finally:
        await runtime.close()
    return {"import_1000_s": seconds if rows == ROWS else None, "import_seconds": seconds,
            "import_rows": rows, "import_ready": len(checked.ready),
            "import_problems": len(checked.rows) - len(checked.ready)}
