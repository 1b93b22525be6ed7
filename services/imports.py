"""Bulk import (issue 15): who may import what, checking every row of a file by the rules of the
chat forms (the same `FieldSpec` parsers), duplicates within the file and against the database,
the preview and its error workbook, and saving the ready rows in one transaction.

Seekers' names and phone numbers are encrypted before they are stored, hashed with the keyed
hash for look-ups, and never logged. Rows and files already saved leave receipts (keyed hashes),
so sending a file again saves nothing twice.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError, NotAllowed
from core.statuses import AgencyKind, OpeningStatus, SeekerStatus
from models import audit as audit_db
from models import council as council_db
from models import imports as imports_db
from models import members as members_db
from models import openings as openings_db
from models import receipts as receipts_db
from models import seekers as seekers_db
from models.tables import Agency, JobOpening, JobSeeker, Member, Region
from services import openings, seekers
from services import validation as v
from services.access import acting_agency
from services.crypto import Cipher
from services.forms import REGIONS, Also, FieldSpec, ParseEnv
from services.membership import Actor
from services.sheets import FORMULA, Grid, cell_text, read_grids

Tr = Callable[..., str]
OPENING, SEEKER = "opening", "seeker"
KINDS = (OPENING, SEEKER)
AGENCY_KIND = {OPENING: AgencyKind.EMPLOYER_ASSOCIATION, SEEKER: AgencyKind.SAEIL_CENTER}
CONSENT = "consent_collect"  # the 제15조 consent date, a column of the seekers' file only
CONSENT_SPEC = FieldSpec(CONSENT, "import.f.consent_collect", "import.ask.consent_collect")
DATE_KEYS = frozenset({"deadline", CONSENT})
FILE_KIND = "import_file"
MIN_HEADERS = 3
PREVIEW_LINES = 10


def fields_of(kind: str) -> tuple[FieldSpec, ...]:
    """The columns of a kind's file, in the order of the chat form."""
    if kind == OPENING:
        return openings.OPENING_FIELDS
    return (CONSENT_SPEC, *seekers.SEEKER_FIELDS)


# --- who may import what -----------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    kind: str
    agency: Agency
    member: Member


async def import_target(
    *, session: AsyncSession, actor: Actor, kind: str | None = None,
    agency_id: int | None = None,
) -> Target:
    """Staff import into their own agency (openings for employer associations, seekers for
    새일센터); a coordinator or admin names the kind and the agency, which must be of that kind."""
    member, own = await acting_agency(session=session, actor=actor)
    if not actor.is_lead:
        for candidate, agency_kind in AGENCY_KIND.items():
            if own is not None and own.kind == agency_kind:
                return Target(candidate, own, member)
        raise NotAllowed("import.not_allowed")
    if kind not in KINDS or agency_id is None:
        raise DomainError("import.pick_first")
    agency = await council_db.get_agency(session=session, agency_id=agency_id)
    if agency is None or not agency.active or agency.kind != AGENCY_KIND[kind]:
        raise DomainError("import.wrong_agency")
    return Target(kind, agency, member)


async def agencies_for(*, session: AsyncSession, actor: Actor, kind: str) -> list[Agency]:
    """The agencies a coordinator may import this kind into."""
    if not actor.is_lead:
        raise NotAllowed("auth.leads_only")
    if kind not in KINDS:
        raise DomainError("import.pick_first")
    agencies = await council_db.list_agencies(session=session)
    return [a for a in agencies if a.active and a.kind == AGENCY_KIND[kind]]


async def template_regions(*, session: AsyncSession) -> Sequence[Region]:
    """The 시군 the template's drop-down offers."""
    return await council_db.list_regions(session=session)


# --- reading the rows ------------------------------------------------------------------------
def _norm(text: str) -> str:
    return re.sub(r"[\s*·()\[\]_\-]", "", text).lower()


def header_names(spec: FieldSpec, trs: Sequence[Tr]) -> set[str]:
    return {_norm(tr(spec.label_key)) for tr in trs} | {_norm(spec.key)}


def find_header(
    grids: Sequence[Grid], kind: str, trs: Sequence[Tr]
) -> tuple[Grid, int, dict[str, int]]:
    """The sheet and row whose cells name the columns (any row among the first 20, any order,
    extra columns ignored): (grid, index of the header row, field key → column)."""
    fields = fields_of(kind)
    names = {key: header_names(spec, trs) for spec in fields for key in [spec.key]}
    for grid in grids:
        for index, (_, cells) in enumerate(grid.rows[:20]):
            found: dict[str, int] = {}
            for column, value in enumerate(cells):
                text = _norm(cell_text(value)) if value is not FORMULA else ""
                for key, options in names.items():
                    if text and text in options and key not in found:
                        found[key] = column
            if len(found) >= MIN_HEADERS:
                missing = [s for s in fields if s.key not in found and not s.optional]
                if missing:
                    raise DomainError("import.missing_columns", columns=", ".join(
                        trs[0](s.label_key) for s in missing))
                return grid, index, found
    raise DomainError("import.no_header", example=trs[0](fields[0].label_key))


@dataclass(frozen=True)
class Problem:
    column: str  # a field key, or "" for the whole row
    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    number: int  # the row number in the file (as Excel shows it)
    cells: list[Any]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    token: str = ""
    saved_id: int | None = None  # already saved by an earlier import of this row

    @property
    def ready(self) -> bool:
        return not self.problems and self.saved_id is None


@dataclass
class Checked:
    """A file checked against the rules and the database, ready for a preview or saving."""

    kind: str
    agency_id: int
    file_hash: str
    headers: list[Any]
    rows: list[Row]
    saved_before: int | None = None  # this very file was saved already (that many records)

    @property
    def ready(self) -> list[Row]:
        return [r for r in self.rows if r.ready]

    @property
    def with_problems(self) -> list[Row]:
        return [r for r in self.rows if r.problems]

    @property
    def already(self) -> list[Row]:
        return [r for r in self.rows if r.saved_id is not None and not r.problems]


def date_text(value: Any) -> str:
    """Dates as people keep them in sheets: a date cell, '2026-09-01', '2026.9.1.',
    '2026/09/01', '20260901', '26.9.1', '2026년 9월 1일', an Excel serial number."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and 20_000 <= value <= 80_000:
        return (date(1899, 12, 30) + timedelta(days=int(value))).isoformat()
    text = cell_text(value)
    compact = re.sub(r"\s", "", text)
    if re.fullmatch(r"\d{8}", compact):
        return f"{compact[:4]}-{compact[4:6]}-{compact[6:]}"
    if m := re.fullmatch(r"(\d{2})[./-](\d{1,2})[./-](\d{1,2})\.?", compact):
        return f"20{m[1]}-{m[2]}-{m[3]}"
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2})?", text):
        return m[1]
    return text


@dataclass(frozen=True)
class Labels:
    """What a cell may say for each choice: its labels in every language, its code, yes/no."""

    regions: dict[str, str]  # normalised name or code → region code
    region_names: list[tuple[str, str]]  # (normalised name, code) for prefixes ('천안')
    choices: dict[tuple[str, str], str]  # (field key, normalised label) → value

    @classmethod
    def build(cls, kind: str, trs: Sequence[Tr], regions: Sequence[Region]) -> Labels:
        names = {_norm(r.code): r.code for r in regions}
        names.update({_norm(r.name): r.code for r in regions})
        choices: dict[tuple[str, str], str] = {}
        for spec in fields_of(kind):
            if not isinstance(spec.choices, tuple):
                continue
            for choice in spec.choices:
                choices[(spec.key, _norm(choice.value))] = choice.value
                for tr in trs:
                    if choice.label_key:
                        choices[(spec.key, _norm(tr(choice.label_key)))] = choice.value
                    if choice.value in ("yes", "no"):
                        for word in tr(f"import.{choice.value}_words").split(","):
                            choices[(spec.key, _norm(word))] = choice.value
        return cls(names, [(_norm(r.name), r.code) for r in regions], choices)

    def choice(self, spec: FieldSpec, text: str) -> str:
        wanted = _norm(text)
        if spec.choices == REGIONS:
            if wanted in self.regions:
                return self.regions[wanted]
            found = {code for name, code in self.region_names
                     if len(wanted) >= 2 and name.startswith(wanted)}
            if len(found) == 1:
                return found.pop()
            raise DomainError("import.bad_region")
        if (spec.key, wanted) in self.choices:
            return self.choices[(spec.key, wanted)]
        raise DomainError("import.bad_choice")


def check_values(
    kind: str, cells: dict[str, Any], *, today: date, labels: Labels
) -> tuple[dict[str, Any], list[Problem]]:
    """One row by the rules of the chat form: (parsed values, problems)."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for spec in fields_of(kind):
        raw = cells.get(spec.key)
        if raw is FORMULA:
            problems.append(Problem(spec.key, "import.cell_formula"))
            continue
        text = date_text(raw) if spec.key in DATE_KEYS else cell_text(raw)
        if not text:
            if spec.optional:
                values[spec.key] = spec.empty
            else:
                problems.append(Problem(spec.key, "import.required"))
            continue
        try:
            if spec.key == CONSENT:
                value: Any = v.parse_date(text, today=today, allow_future=False).isoformat()
            elif spec.is_choice:
                value = labels.choice(spec, text)
            else:
                assert spec.parse is not None
                value = spec.parse(text, ParseEnv(today=today, draft=values))
        except DomainError as error:
            problems.append(Problem(spec.key, error.key, error.values))
            continue
        if isinstance(value, Also):
            values.update({k: val for k, val in value.items() if k != "_value"})
            value = value["_value"]
        values[spec.key] = value
    return values, problems


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (c is not FORMULA and not cell_text(c)) for c in cells)


def row_key(kind: str, agency_id: int, values: dict[str, Any], cipher: Cipher) -> str:
    """A row's receipt token: a keyed hash of its values (no personal data in the clear)."""
    canonical = json.dumps([kind, agency_id, values], sort_keys=True, ensure_ascii=False,
                           default=str)
    return "ir:" + cipher.keyed_hash(canonical)[:60]


def file_token(file_hash: str) -> str:
    return "if:" + file_hash[:60]


def _opening_key(values: dict[str, Any]) -> tuple[str, str, str]:
    who = values.get("business_number") or _norm(str(values.get("company_name") or ""))
    return (str(who), _norm(str(values.get("job_title") or "")),
            str(values.get("region_code") or ""))


async def check_file(
    *,
    session: AsyncSession,
    clock: Clock,
    cipher: Cipher,
    target: Target,
    data: bytes,
    filename: str | None,
    trs: Sequence[Tr],
    minimum_wage: dict[int, int],
    example: Sequence[str] = (),
) -> Checked:
    """Read and check a file; nothing is stored. Rows equal to the template's example row are
    left out. Refusals of the whole file raise `DomainError`."""
    from services.sheets import MAX_ROWS

    grids = read_grids(data, filename)
    kind = target.kind
    grid, header_index, columns = find_header(grids, kind, trs)
    labels = Labels.build(kind, trs, await council_db.list_regions(session=session))
    today = clock.today()
    example_texts = [_norm(t) for t in example]
    rows: list[Row] = []
    for number, cells in grid.rows[header_index + 1:]:
        if _is_blank(cells):
            continue
        by_key = {key: cells[col] if col < len(cells) else None for key, col in columns.items()}
        if example_texts and [
            _norm(cell_text(by_key.get(s.key))) for s in fields_of(kind)
        ] == example_texts:
            continue
        values, problems = check_values(kind, by_key, today=today, labels=labels)
        rows.append(Row(number, list(cells), values, problems))
        if len(rows) > MAX_ROWS:
            raise DomainError("import.too_many_rows", limit=MAX_ROWS)
    if not rows:
        raise DomainError("import.no_rows")
    file_hash = hashlib.sha256(data).hexdigest()
    checked = Checked(kind, target.agency.id or 0, file_hash, list(grid.rows[header_index][1]),
                      rows)
    saved = await receipts_db.get_receipt(session=session, token=file_token(file_hash),
                                          kind=FILE_KIND)
    checked.saved_before = saved
    await _duplicates(session=session, cipher=cipher, checked=checked, today=today,
                      minimum_wage=minimum_wage)
    return checked


async def _duplicates(
    *, session: AsyncSession, cipher: Cipher, checked: Checked, today: date,
    minimum_wage: dict[int, int],
) -> None:
    """Receipts of rows saved before, duplicates within the file and in the database, and the
    시간선택제 warnings of openings (saved flagged, as the chat form does)."""
    candidates = [r for r in checked.rows if not r.problems]
    for row in candidates:
        row.token = row_key(checked.kind, checked.agency_id, row.values, cipher)
    done = await imports_db.receipts(session=session, tokens=[r.token for r in candidates])
    for row in candidates:
        row.saved_id = done.get(row.token)
    fresh = [r for r in candidates if r.saved_id is None]
    if checked.kind == SEEKER:
        keys = {id(r): seekers.phone_key(cipher, r.values["phone"]) for r in fresh}
        known = await imports_db.seeker_agencies_by_phone_key(
            session=session, phone_keys=list(set(keys.values())))
        names = {a.id: a.name for a in await council_db.list_agencies(session=session)}
        first: dict[str, int] = {}
        for row in fresh:
            key = keys[id(row)]
            if key in known:
                row.problems.append(Problem("phone", "seeker.duplicate",
                                            {"agency": names.get(known[key], "-")}))
            elif key in first:
                row.problems.append(Problem("phone", "import.dup_in_file", {"row": first[key]}))
            else:
                first[key] = row.number
        return
    regions = sorted({r.values["region_code"] for r in fresh})
    existing = {
        _opening_key({"business_number": b, "company_name": c, "job_title": j,
                      "region_code": g})
        for b, c, j, g in await imports_db.live_opening_keys(session=session,
                                                              region_codes=regions)
    }
    seen: dict[tuple[str, str, str], int] = {}
    for row in fresh:
        same = _opening_key(row.values)
        if same in existing:
            row.problems.append(Problem("job_title", "import.dup_opening"))
        elif same in seen:
            row.problems.append(Problem("job_title", "import.dup_in_file", {"row": seen[same]}))
        else:
            seen[same] = row.number
            for rule in openings.rule_violations(row.values, year=today.year,
                                                  minimum_wage=minimum_wage):
                row.warnings.append(Problem(rule.code, rule.key, rule.values))


# --- the preview -----------------------------------------------------------------------------
def problem_text(kind: str, row: Row, problem: Problem, tr: Tr) -> str:
    """'3행 임금: …' in the reader's language."""
    spec = next((s for s in fields_of(kind) if s.key == problem.column), None)
    label = tr(spec.label_key) if spec else tr("import.whole_row")
    return tr("import.problem_line", row=row.number, field=label,
              message=tr(problem.key, **problem.values))


def row_report(checked: Checked, row: Row, tr: Tr) -> str:
    if row.saved_id is not None and not row.problems:
        return tr("import.row_saved_before")
    return " / ".join(
        f"{tr(s.label_key) if s else tr('import.whole_row')}: {tr(p.key, **p.values)}"
        for p in row.problems
        for s in [next((f for f in fields_of(checked.kind) if f.key == p.column), None)]
    )


def error_workbook(checked: Checked, tr: Tr) -> bytes:
    """The same rows with an 오류 column, for fixing and sending again."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tr("import.sheet.errors")[:31]
    headers = [cell_text(h) for h in checked.headers]
    sheet.append([*headers, tr("import.col.error")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    red = PatternFill("solid", fgColor="FFE0E0")
    for row in checked.rows:
        cells = [c if c is not FORMULA else "" for c in row.cells]
        cells += [None] * (len(headers) - len(cells))
        sheet.append([*cells[: len(headers)], row_report(checked, row, tr)])
        if row.problems:
            sheet.cell(sheet.max_row, len(headers) + 1).fill = red
    sheet.column_dimensions[openpyxl.utils.get_column_letter(len(headers) + 1)].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- saving ----------------------------------------------------------------------------------
@dataclass
class Saved:
    kind: str
    agency_id: int
    ids: list[int]
    skipped: int  # rows saved by an earlier import
    problems: int
    notices: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class Notice:
    """One notice to one 새일센터 member about the new openings of their 시군."""

    member: Member
    count: int
    first_id: int
    last_id: int


def _consent_at(iso: str, clock: Clock) -> datetime:
    return datetime.combine(date.fromisoformat(iso), time(9), tzinfo=clock.tz)


async def save_checked(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    cipher: Cipher,
    target: Target,
    checked: Checked,
    minimum_wage: dict[int, int],
) -> Saved:
    """Store the ready rows (in the caller's one transaction), each with its receipt and audit
    entry, and the file's receipt. Call `check_file` in the same session first."""
    now = clock.now()
    member = target.member
    ids: list[int] = []
    for row in checked.ready:
        record: JobOpening | JobSeeker
        if checked.kind == OPENING:
            record = _opening(row.values, target, member, now, minimum_wage)
            await openings_db.add_opening(session=session, opening=record)
            detail = {"agency_id": target.agency.id, "region": record.region_code,
                      "rule_flags": record.rule_flags, "import": True}
        else:
            record = _seeker(row.values, target, member, now, cipher, clock)
            await seekers_db.add_seeker(session=session, seeker=record)
            detail = {"agency_id": target.agency.id, "region": record.region_code,
                      "consent_share": record.consent_share_at is not None, "import": True}
        assert record.id is not None
        ids.append(record.id)
        await receipts_db.add_receipt(session=session, token=row.token, kind=checked.kind,
                                      record_id=record.id, at=now)
        await audit_db.append_audit(
            session=session, at=now, action=f"{checked.kind}.create",
            actor_telegram_id=actor.telegram_id, actor_member_id=member.id,
            entity=checked.kind, entity_id=record.id, detail=detail)
    token = file_token(checked.file_hash)
    if ids and await receipts_db.get_receipt(session=session, token=token,
                                             kind=FILE_KIND) is None:
        await receipts_db.add_receipt(session=session, token=token, kind=FILE_KIND,
                                      record_id=len(ids), at=now)
    await audit_db.append_audit(
        session=session, at=now, action="import.save", actor_telegram_id=actor.telegram_id,
        actor_member_id=member.id, entity="agency", entity_id=target.agency.id,
        detail={"kind": checked.kind, "saved": len(ids), "skipped": len(checked.already),
                "problems": len(checked.with_problems)})
    saved = Saved(checked.kind, checked.agency_id, ids, len(checked.already),
                  len(checked.with_problems))
    if checked.kind == OPENING and ids:
        saved.notices = await _notices(session=session, member=member, ids=ids,
                                       regions=[r.values["region_code"] for r in checked.ready])
    return saved


def _opening(values: dict[str, Any], target: Target, member: Member, now: datetime,
             minimum_wage: dict[int, int]) -> JobOpening:
    opening = JobOpening(agency_id=target.agency.id or 0, created_by=member.id, created_at=now,
                         status=OpeningStatus.OPEN, company_name=values["company_name"],
                         job_title=values["job_title"], region_code=values["region_code"])
    for spec in openings.OPENING_FIELDS:
        value = values.get(spec.key, spec.empty)
        if spec.key in ("small_firm", "subsidy_approved"):
            value = value == "yes"
        elif spec.key == "deadline":
            value = date.fromisoformat(value) if value else None
        setattr(opening, spec.key, value)
    opening.rule_flags = [r.code for r in openings.rule_violations(
        values, year=now.year, minimum_wage=minimum_wage)]
    return opening


def _seeker(values: dict[str, Any], target: Target, member: Member, now: datetime,
            cipher: Cipher, clock: Clock) -> JobSeeker:
    return JobSeeker(
        agency_id=target.agency.id or 0, created_by=member.id,
        name=cipher.encrypt(values["name"]), phone=cipher.encrypt(values["phone"]),
        phone_key=seekers.phone_key(cipher, values["phone"]),
        birth_year=values["birth_year"], region_code=values["region_code"],
        desired_jobs=values["desired_jobs"], desired_hours=values["desired_hours"],
        time_of_day=values["time_of_day"], desired_wage=values.get("desired_wage"),
        interruption_reason=values["interruption_reason"],
        interruption_years=values["interruption_years"], note=values.get("note") or "",
        status=SeekerStatus.SEEKING, consent_collect_at=_consent_at(values[CONSENT], clock),
        consent_share_at=now if values.get("consent_share") == "yes" else None, created_at=now,
    )


async def _notices(*, session: AsyncSession, member: Member, ids: list[int],
                   regions: list[str]) -> list[Notice]:
    """One notice per member of each 새일센터 serving the new openings' 시군 (not the author)."""
    centres: dict[str, list[int]] = {}
    for region in set(regions):
        centres[region] = [c.id or 0 for c in await council_db.agencies_serving(
            session=session, region_code=region, kind=AgencyKind.SAEIL_CENTER)]
    per_centre: dict[int, list[int]] = {}
    for opening_id, region in zip(ids, regions, strict=True):
        for centre_id in centres[region]:
            per_centre.setdefault(centre_id, []).append(opening_id)
    notices = []
    for centre_id, opening_ids in per_centre.items():
        for staff in await members_db.list_members(session=session, agency_id=centre_id):
            if staff.id != member.id:
                notices.append(Notice(staff, len(opening_ids), min(opening_ids),
                                      max(opening_ids)))
    return notices


async def imported_openings(
    *, session: AsyncSession, actor: Actor, agency_id: int, first_id: int, last_id: int
) -> Sequence[JobOpening]:
    """The openings of one import a 새일센터 member was told about (those of their 시군)."""
    member, agency = await acting_agency(session=session, actor=actor)
    regions = None
    if not actor.is_lead:
        if agency is None:
            raise NotAllowed("records.no_agency")
        regions = await council_db.agency_regions(session=session, agency_id=agency.id or 0)
    return await imports_db.openings_between(session=session, agency_id=agency_id,
                                             first_id=first_id, last_id=last_id,
                                             region_codes=regions)
