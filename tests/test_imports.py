"""Bulk import at the service layer (issue 15): reading files, the rules of every row,
duplicates, refusals of bad files and saving all or nothing, against a real SQLite database."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any

import openpyxl
import pytest

from adapters.runtime import Runtime
from core.clock import FrozenClock
from core.errors import DomainError, NotAllowed
from locales import Translator
from models import audit as audit_db
from models import council as council_db
from models import openings as openings_db
from models import seekers as seekers_db
from models.tables import Member
from services import imports
from services.import_template import build_template, example_row
from services.membership import Actor
from services.sheets import read_grids
from tests.import_files import (
    OPENING_HEADERS,
    SEEKER_HEADERS,
    csv_bytes,
    opening_row,
    seeker_row,
    xlsx,
)

KO, EN = Translator("ko"), Translator("en")
TRS = (KO, EN)
WAGE = {2026: 10_320}


async def member(rt: Runtime, telegram_id: int, code: str, role: str = "staff") -> Actor:
    async with rt.session() as s:
        agency = await council_db.get_agency_by_code(session=s, code=code)
        assert agency is not None
        m = Member(telegram_id=telegram_id, display_name="담당자", agency_id=agency.id, role=role)
        s.add(m)
    return Actor(telegram_id, m)


async def check(rt: Runtime, clock: FrozenClock, actor: Actor, data: bytes, name: str,
                **target: object) -> imports.Checked:
    async with rt.session() as s:
        t = await imports.import_target(session=s, actor=actor, **target)  # type: ignore[arg-type]
        return await imports.check_file(session=s, clock=clock, cipher=rt.cipher, target=t,
                                        data=data, filename=name, trs=TRS, minimum_wage=WAGE)


async def save(rt: Runtime, clock: FrozenClock, actor: Actor, data: bytes, name: str
               ) -> imports.Saved:
    async with rt.session() as s:
        t = await imports.import_target(session=s, actor=actor)
        checked = await imports.check_file(session=s, clock=clock, cipher=rt.cipher, target=t,
                                           data=data, filename=name, trs=TRS, minimum_wage=WAGE)
        return await imports.save_checked(session=s, clock=clock, actor=actor, cipher=rt.cipher,
                                          target=t, checked=checked, minimum_wage=WAGE)


async def test_who_imports_what(runtime: Runtime) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    saeil = await member(runtime, 2, "saeil-cheonan")
    office = await member(runtime, 3, "cheonan-branch")
    coord = await member(runtime, 4, "chungnam-province", "coordinator")
    async with runtime.session() as s:
        assert (await imports.import_target(session=s, actor=employer)).kind == "opening"
        assert (await imports.import_target(session=s, actor=saeil)).kind == "seeker"
        with pytest.raises(NotAllowed):
            await imports.import_target(session=s, actor=office)
        with pytest.raises(DomainError, match="import.pick_first"):
            await imports.import_target(session=s, actor=coord)
        asan = await council_db.get_agency_by_code(session=s, code="saeil-asan")
        assert asan is not None
        with pytest.raises(DomainError, match="import.wrong_agency"):
            await imports.import_target(session=s, actor=coord, kind="opening", agency_id=asan.id)
        target = await imports.import_target(session=s, actor=coord, kind="seeker",
                                             agency_id=asan.id)
        assert target.agency.code == "saeil-asan"
        assert {a.kind for a in await imports.agencies_for(session=s, actor=coord,
                                                          kind="opening")} == {
            "employer_association"}


async def test_openings_rows_checked_by_the_form_rules(runtime: Runtime, clock: FrozenClock
                                                       ) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    rows = [
        opening_row(),
        opening_row("좋은식품", 임금="월 180만원", 사업자등록번호="123-45-67890"),  # bad checksum
        opening_row("바른물산", 시군="서울"),
        opening_row("행복제과"),  # the same as row 2 of the file
        opening_row("한빛", 임금="9,000"),  # below 130% of 최저임금: a warning
        [None] * len(OPENING_HEADERS),  # blank rows are skipped
    ]
    checked = await check(runtime, clock, employer, xlsx(OPENING_HEADERS, rows, above=2,
                                                         extra=True), "구인.xlsx")
    numbers = {r.number: r for r in checked.rows}
    assert sorted(numbers) == [4, 5, 6, 7, 8]  # the header is on row 3
    assert [r.number for r in checked.ready] == [4, 8]
    first = numbers[4].values
    assert first["region_code"] == "cheonan" and first["wage_amount"] == 13_500
    assert first["deadline"] == "2026-09-30" and first["small_firm"] == "yes"
    lines = [imports.problem_text("opening", r, p, KO) for r in checked.with_problems
             for p in r.problems]
    assert any(line.startswith("5행 사업자등록번호:") for line in lines)
    assert any(line.startswith("6행 시군:") for line in lines)
    assert "7행 직무: 4행과 중복입니다" in lines
    assert numbers[8].warnings and numbers[8].warnings[0].key == "rule.wage"
    report = openpyxl.load_workbook(io.BytesIO(imports.error_workbook(checked, KO))).active
    assert report is not None
    assert report.cell(1, len(OPENING_HEADERS) + 2).value == "오류"
    assert "사업자등록번호" in str(report.cell(3, len(OPENING_HEADERS) + 2).value)


async def test_seekers_saved_encrypted_once(runtime: Runtime, clock: FrozenClock) -> None:
    saeil = await member(runtime, 2, "saeil-cheonan")
    rows = [seeker_row(), seeker_row("이두리", "010 2345 6702", **{"제15조 동의일": None}),
            seeker_row("박세나", "+82 10-2345-6703", 희망시간대="저녁")]
    rows[2][SEEKER_HEADERS.index("희망 시간대")] = "저녁"
    data = csv_bytes(SEEKER_HEADERS, rows, "cp949")
    saved = await save(runtime, clock, saeil, data, "seekers.csv")
    assert len(saved.ids) == 2 and saved.problems == 1
    async with runtime.session() as s:
        people = await seekers_db.list_seekers(session=s)
        assert {runtime.cipher.decrypt(p.phone) for p in people} == {"010-2345-6701",
                                                                     "010-2345-6703"}
        assert all("010" not in p.phone and p.name != "김하나" for p in people)
        assert people[0].consent_collect_at is not None
        assert people[0].consent_collect_at.date() == date(2026, 8, 20)
        audit = await audit_db.list_audit(session=s)
        assert [e.action for e in audit].count("seeker.create") == 2
        assert "김하나" not in repr([e.detail for e in audit])
    again = await save(runtime, clock, saeil, data, "seekers.csv")  # the same file again
    assert again.ids == [] and again.skipped == 2
    rows[0][SEEKER_HEADERS.index("메모")] = "다시"  # the same person in a changed row
    changed = await check(runtime, clock, saeil, xlsx(SEEKER_HEADERS, rows[:1]), "a.xlsx")
    assert changed.rows[0].problems[0].key == "seeker.duplicate"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
async def test_csv_encodings(runtime: Runtime, clock: FrozenClock, encoding: str) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    checked = await check(runtime, clock, employer,
                          csv_bytes(OPENING_HEADERS, [opening_row()], encoding), "x.csv")
    assert len(checked.ready) == 1


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", "0" * (60 * 1024 * 1024))
    return buffer.getvalue()


def _workbook(change: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(OPENING_HEADERS)
    sheet.append(opening_row())
    if change == "merged":
        sheet.merge_cells("A2:B2")
    if change == "hidden":
        book.create_sheet("숨김").sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "name", "key"), [
    (b"hello", "notes.txt", "import.bad_type"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls", "import.old_xls"),
    (b"PK", "macro.xlsm", "import.macro"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "locked.xlsx", "import.encrypted"),
    (b"not a zip at all", "broken.xlsx", "import.broken"),
    (b"x" * (5 * 1024 * 1024 + 1), "big.csv", "import.too_big"),
    (b"   ", "empty.csv", "import.empty"),
    (b"\xff\xfe\x00\x00garbage\x81", "bad.csv", "import.encoding"),
    (None, "bomb.xlsx", "import.bomb"),
    (None, "merged.xlsx", "import.merged"),
    (None, "hidden.xlsx", "import.hidden_sheet"),
])
def test_bad_files_refused(data: bytes | None, name: str, key: str) -> None:
    if data is None:
        data = _bomb() if name == "bomb.xlsx" else _workbook(name.split(".")[0])
    with pytest.raises(DomainError) as refused:
        read_grids(data, name)
    assert refused.value.key == key
    assert KO(key, mb=5, limit=1000, sheet="s", cells="A1").strip()


async def test_headers_and_rows_refused(runtime: Runtime, clock: FrozenClock) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    cases = [
        (xlsx(["이름", "나이", "주소"], [["a", 1, "b"]]), "import.no_header"),
        (xlsx(OPENING_HEADERS[:5], [opening_row()[:5]]), "import.missing_columns"),
        (xlsx(OPENING_HEADERS, []), "import.no_rows"),
        (xlsx(OPENING_HEADERS, [opening_row(job=str(i)) for i in range(1001)]),
         "import.too_many_rows"),
    ]
    for data, key in cases:
        with pytest.raises(DomainError) as refused:
            await check(runtime, clock, employer, data, "x.xlsx")
        assert refused.value.key == key
    async with runtime.session() as s:
        assert await openings_db.list_openings(session=s) == []


async def test_formulas_dates_and_the_template(runtime: Runtime, clock: FrozenClock) -> None:
    employer = await member(runtime, 1, "chungnam-north-chamber")
    async with runtime.session() as s:
        regions = await council_db.list_regions(session=s)
    template = build_template("opening", KO, regions)
    book = openpyxl.load_workbook(io.BytesIO(template))
    assert book.sheetnames == ["자료", "안내"]
    data = book["자료"]
    assert [c.value for c in data[1]] == OPENING_HEADERS
    lists = [str(d.formula1) for d in data.data_validations.dataValidation]
    assert any("천안시" in f for f in lists) and any("시급" in f for f in lists)
    changes: dict[str, Any] = {"접수 마감": date(2026, 10, 5), "모집인원": "=1+1"}
    row = opening_row(**changes)
    data.append(row)
    data.append(opening_row("둘째", **{"접수 마감": "20261006"}))
    buffer = io.BytesIO()
    book.save(buffer)
    # The template's example row (row 2), left as it was, is not imported.
    async with runtime.session() as s:
        t = await imports.import_target(session=s, actor=employer)
        checked = await imports.check_file(
            session=s, clock=clock, cipher=runtime.cipher, target=t, data=buffer.getvalue(),
            filename="t.xlsx", trs=TRS, minimum_wage=WAGE, example=example_row("opening", KO))
    assert [r.number for r in checked.rows] == [3, 4]
    formula_row = checked.rows[0]
    assert formula_row.problems[0].key == "import.cell_formula"  # never computed by Excel
    assert checked.rows[1].values["deadline"] == "2026-10-06"


@pytest.mark.parametrize("text", ["2026-08-20", "2026.8.20", "2026. 8. 20.", "2026/08/20",
                                  "20260820", "26.8.20", "2026년 8월 20일", "8월 20일"])
def test_dates_typed_as_text(text: str) -> None:
    from services import validation as v

    assert v.parse_date(imports.date_text(text), today=date(2026, 9, 1)) == date(2026, 8, 20)


async def test_thousand_rows_are_all_checked(runtime: Runtime, clock: FrozenClock) -> None:
    """The largest file allowed is read and checked whole (its time is the benchmark's
    `import_1000_s`, never asserted here: a busy machine is not a bug)."""
    saeil = await member(runtime, 2, "saeil-cheonan")
    rows = [seeker_row("김" + chr(0xAC00 + i), f"010-3{i:03d}-{i:04d}") for i in range(1000)]
    data = xlsx(SEEKER_HEADERS, rows)
    checked = await check(runtime, clock, saeil, data, "big.xlsx")
    assert imports.error_workbook(checked, KO)
    assert len(checked.ready) == 1000
