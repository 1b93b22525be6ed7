"""Programme steps, targets, /status text and chart, month-end reports and exports (services)."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from adapters.runtime import Runtime
from core.clock import FrozenClock
from core.errors import DomainError, NotAllowed
from locales import Translator
from models import audit as audit_db
from models import council as council_db
from models import reports as reports_db
from models.tables import (
    Agency,
    Attendance,
    Hire,
    JobOpening,
    JobSeeker,
    Meeting,
    Member,
    Target,
)
from rendering import chart, workbook
from rendering.status import render_overview
from services import export, followups, programme, reports, status, targets
from services.membership import Actor

KO = Translator("ko")
SEEKER_NAMES = ["홍길순", "김영희", "박민정"]
SEEKER_PHONES = ["010-1234-5678", "010-2222-3333", "010-9876-5432"]


SEOUL = ZoneInfo("Asia/Seoul")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SEOUL)


async def agency_id(rt: Runtime, code: str) -> int:
    async with rt.session() as s:
        agency = await council_db.get_agency_by_code(session=s, code=code)
        assert agency is not None and agency.id is not None
        return agency.id


async def add_member(rt: Runtime, telegram_id: int, code: str, role: str = "staff") -> Actor:
    aid = await agency_id(rt, code)
    async with rt.session() as s:
        member = Member(telegram_id=telegram_id, display_name=f"m{telegram_id}", agency_id=aid,
                        role=role)
        s.add(member)
    return Actor(telegram_id, member)


async def seed_records(rt: Runtime) -> dict[str, int]:
    """A small season: the chamber's openings, Cheonan's seekers, a meeting day, a hire."""
    chamber = await agency_id(rt, "chungnam-north-chamber")
    cheonan = await agency_id(rt, "saeil-cheonan")
    asan = await agency_id(rt, "saeil-asan")
    async with rt.session() as s:
        openings = [
            JobOpening(agency_id=chamber, company_name=f"회사{i}", job_title="사무보조",
                       region_code="cheonan" if i < 3 else "asan", weekly_hours=20.0,
                       wage_amount=13000, created_at=at(f"2026-08-{10 + i:02d}"))
            for i in range(4)
        ]
        openings.append(JobOpening(agency_id=chamber, company_name="지운회사", job_title="x",
                                   region_code="cheonan", created_at=at("2026-08-20"),
                                   deleted_at=at("2026-08-21")))
        s.add_all(openings)
        seekers = [
            JobSeeker(agency_id=cheonan, name=rt.cipher.encrypt(n),
                      phone=rt.cipher.encrypt(p),
                      phone_key=f"k{i}", birth_year=1985,
                      region_code="cheonan", created_at=at(f"2026-08-{5 + i:02d}"))
            for i, (n, p) in enumerate(zip(SEEKER_NAMES, SEEKER_PHONES, strict=True))
        ]
        s.add_all(seekers)
        await s.flush()
        day = Meeting(kind="meeting_day", host_agency_id=cheonan, title="천안 만남의 날",
                      starts_at=at("2026-08-25", 14), region_code="cheonan", status="held",
                      created_at=at("2026-08-01"))
        council = Meeting(kind="council", host_agency_id=cheonan, title="협의회",
                          starts_at=at("2026-08-12", 15), status="held",
                          created_at=at("2026-08-01"))
        s.add_all([day, council])
        await s.flush()
        assert day.id is not None and seekers[0].id is not None and openings[0].id is not None
        s.add_all([
            Attendance(meeting_id=day.id, participant_key=f"s:{seekers[0].id}",
                       seeker_id=seekers[0].id, agency_id=cheonan, present=True, interviews=2,
                       result="hired"),
            Attendance(meeting_id=day.id, participant_key=f"s:{seekers[1].id}",
                       seeker_id=seekers[1].id, agency_id=cheonan, present=True, interviews=1,
                       result="in_progress"),
            Attendance(meeting_id=day.id, participant_key=f"o:{openings[0].id}",
                       opening_id=openings[0].id, agency_id=chamber, present=True),
        ])
        s.add(Hire(seeker_id=seekers[0].id, opening_id=openings[0].id, agency_id=cheonan,
                   hired_on=date(2026, 8, 26), meeting_id=day.id, created_at=at("2026-08-26")))
    return {"chamber": chamber, "cheonan": cheonan, "asan": asan}


# --- the programme calendar ----------------------------------------------------------------------
CALENDAR = [  # (step, start, due) of the default 2026 calendar
    (1, date(2026, 7, 17), date(2026, 7, 31)),
    (2, date(2026, 8, 1), date(2026, 8, 14)),
    (3, date(2026, 8, 1), date(2026, 9, 5)),
    (4, date(2026, 8, 15), date(2026, 9, 30)),
    (5, date(2026, 9, 1), date(2026, 10, 31)),
    (6, date(2026, 11, 1), date(2026, 11, 30)),
]


async def test_step_states_around_each_due_date(runtime: Runtime) -> None:
    async with runtime.session() as s:
        for number, starts, due in CALENDAR:
            expected = {
                starts - timedelta(days=1): "upcoming",
                due + timedelta(days=1): "overdue",
                due: "due_soon",
                due - timedelta(days=7): "due_soon",
            }
            if due - timedelta(days=8) >= starts:
                expected[due - timedelta(days=8)] = "in_progress"
            for day, state in expected.items():
                steps = await programme.programme_steps(session=s, year=2026, today=day)
                step = steps[number - 1]
                assert (step.starts_on, step.due_on) == (starts, due)
                assert step.state == state, (number, day, step.state)


async def test_council_meeting_completes_steps_1_and_2_and_cutoff_moves(
    runtime: Runtime, clock: FrozenClock
) -> None:
    await seed_records(runtime)
    async with runtime.session() as s:
        steps = await programme.programme_steps(session=s, year=2026, today=date(2026, 9, 1))
        assert [st.state for st in steps[:2]] == ["done", "done"]
        assert steps[0].completed_on == date(2026, 8, 12)
        assert await programme.discovery_cutoff(session=s, year=2026) == date(2026, 9, 5)
    lead = await add_member(runtime, 50, "chungnam-province", "coordinator")
    staff = await add_member(runtime, 51, "saeil-asan")
    async with runtime.session() as s:
        await programme.change_step(session=s, clock=clock, actor=lead, year=2026, number=3,
                                    field="due_on", value=date(2026, 9, 12))
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await programme.change_step(session=s, clock=clock, actor=staff, year=2026,
                                        number=3, field="due_on", value=date(2026, 9, 1))
    with pytest.raises(DomainError) as err:
        async with runtime.session() as s:
            await programme.change_step(session=s, clock=clock, actor=lead, year=2026,
                                        number=3, field="due_on", value=date(2026, 7, 1))
    assert err.value.key == "programme.starts_after_due"
    async with runtime.session() as s:
        assert await programme.discovery_cutoff(session=s, year=2026) == date(2026, 9, 12)
        actions = [e.action for e in await audit_db.list_audit(session=s)]
    assert actions == ["programme.change"]
    assert programme.parse_day("9/7", year=2026) == date(2026, 9, 7)
    assert programme.parse_day("2026-09-07", year=2026) == date(2026, 9, 7)
    with pytest.raises(DomainError):
        programme.parse_day("9/31", year=2026)


def test_programme_section_is_checked() -> None:
    config = programme.parse_programme({"programme": {"discovery_cutoff": "09-09"}})
    assert config.step_dates(2026, 3)[2] == date(2026, 9, 9)
    with pytest.raises(ValueError):
        programme.parse_programme({"programme": {"discovery_cutoff": "13-01"}})
    with pytest.raises(ValueError):
        programme.parse_programme({"programme": {"steps": [{"number": 7}]}})


# --- targets and /status -----------------------------------------------------------------------
async def test_progress_against_targets_laggards_first(
    runtime: Runtime, clock: FrozenClock
) -> None:
    ids = await seed_records(runtime)
    async with runtime.session() as s:
        rows = await targets.progress(session=s, year=2026)
    by_id = {r.agency.id: r for r in rows}
    chamber, cheonan = by_id[ids["chamber"]], by_id[ids["cheonan"]]
    assert chamber.figures == {"openings": 4} and chamber.targets == {"openings": 40, "hires": 10}
    assert cheonan.figures == {"seekers": 3, "meeting_days": 1, "hires": 1}
    with_target = [r.ratio for r in rows if r.ratio is not None]
    assert with_target == sorted(with_target)
    assert rows[-1].ratio is None  # agencies without targets come last
    lead = await add_member(runtime, 50, "chungnam-province", "coordinator")
    async with runtime.session() as s:
        await targets.set_target(session=s, clock=clock, actor=lead, agency_id=ids["chamber"],
                                 year=2026, metric="openings", value=5)
        rows = await targets.progress(session=s, year=2026)
    assert next(r for r in rows if r.agency.id == ids["chamber"]).targets["openings"] == 5
    with pytest.raises(DomainError):
        targets.parse_target_value("-3")
    assert targets.parse_target_value("1,200") == 1200
    assert targets.parse_target_value("1천") == 1000  # '1만' was once read as 1
    assert targets.parse_target_value("120명") == 120


async def test_status_text_aggregates_only(runtime: Runtime) -> None:
    await seed_records(runtime)
    async with runtime.session() as s:
        view = await status.build_status(session=s, today=date(2026, 9, 1))
    text = render_overview(view, KO)
    assert len(text) < 4096
    assert "실무자협의회 구성" in text and "✅ 1." in text and "✅ 2." in text
    assert "⚠️ 3. 시간선택제 일자리 발굴 (8/1~9/5) 마감 임박" in text
    assert "충남북부상의 5% · 구인 4/40 · 채용 0/10" in text
    lines = text.splitlines()
    agency_lines = [ln for ln in lines if "새일센터" in ln and "·" in ln]
    assert agency_lines[-1].startswith("🔴 천안새일센터")  # the best of the laggards comes last
    assert "9월 실적보고</b>: 0/18" in text
    for secret in SEEKER_NAMES + SEEKER_PHONES + ["1985", "5678"]:
        assert secret not in text


async def test_status_bound_with_30_agencies(runtime: Runtime) -> None:
    await seed_records(runtime)
    async with runtime.session() as s:
        for i in range(12):
            agency = Agency(code=f"extra-{i}", name=f"추가 새일센터 {i} 아주 긴 이름의 기관",
                            short_name=f"추가기관이름이꽤긴센터{i:02d}", kind="saeil_center")
            s.add(agency)
            await s.flush()
            assert agency.id is not None
            for metric in ("seekers", "meeting_days", "hires"):
                s.add(Target(agency_id=agency.id, year=2026, metric=metric, value=40))
        assert len(await council_db.list_agencies(session=s)) == 30
        view = await status.build_status(session=s, today=date(2026, 9, 1))
    text = render_overview(view, KO)
    assert len(text) < 4096
    assert "추가기관이름이꽤긴센터11" in text and "9월 실적보고</b>: 0/30" in text
    # Even a council of many more agencies stays one message.
    view.progress = view.progress * 5
    view.agencies = view.agencies * 5
    text = render_overview(view, KO)
    assert len(text) <= 4000 and "개 기관" in text


async def test_status_narrowing(runtime: Runtime) -> None:
    await seed_records(runtime)
    async with runtime.session() as s:
        scope = await status.resolve_scope(session=s, query="천안")
        assert scope.region is not None and scope.region.code == "cheonan"
        scope2 = await status.resolve_scope(session=s, query="아산새일센터")
        assert scope2.agency is not None and scope2.agency.code == "saeil-asan"
        view = await status.build_status(session=s, today=date(2026, 9, 1), scope=scope2)
    text = render_overview(view, KO)
    assert "아산새일센터" in text and "천안새일센터" not in text and "0/1 제출" in text


async def test_unknown_names_get_suggestions(runtime: Runtime) -> None:
    async with runtime.session() as s:
        partial = await status.resolve_scope(session=s, query="천안새일")
        assert partial.agency is not None and partial.agency.code == "saeil-cheonan"
        with pytest.raises(DomainError) as err:
            await status.resolve_scope(session=s, query="아산새일쎈터")
        assert err.value.key == "status.unknown_name"
        assert "아산새일센터" in err.value.values["suggestions"]
        with pytest.raises(DomainError) as err:
            await status.resolve_scope(session=s, query="새일센터")  # ambiguous
        assert "천안새일센터" in err.value.values["suggestions"]


async def test_region_view_lists_local_agencies(runtime: Runtime) -> None:
    await seed_records(runtime)
    async with runtime.session() as s:
        scope = await status.resolve_scope(session=s, query="천안시")
        view = await status.build_status(session=s, today=date(2026, 9, 1), scope=scope)
    text = render_overview(view, KO)
    assert "천안시" in text and "천안새일센터" in text and "아산새일센터" not in text
    assert "구인 3 · 구직자 3 · 만남의 날 1 · 채용 1" in text


async def test_chart_file(runtime: Runtime, tmp_path: Path) -> None:
    await seed_records(runtime)
    async with runtime.session() as s:
        rows = await targets.progress(session=s, year=2026)
    png = chart.progress_chart(rows, KO, title="2026 기관별 목표 달성률")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    (tmp_path / "chart.png").write_bytes(png)
    assert chart.korean_font_path().name == "NanumGothic.ttf"
    assert chart.korean_font_path().is_file()


# --- month-end reports ---------------------------------------------------------------------------
async def test_report_prefill_correction_and_submission(
    runtime: Runtime, clock: FrozenClock
) -> None:
    ids = await seed_records(runtime)
    staff = await add_member(runtime, 60, "saeil-cheonan")
    assert staff.member is not None
    async with runtime.session() as s:
        state = await reports.open_report(session=s, agency_id=ids["cheonan"], month="2026-08")
    draft = state.draft
    assert state.submitted is None
    assert draft.figures == {"cheonan": {"openings": 0, "seekers": 3, "meeting_days": 1,
                                         "interviews": 3, "hires": 1, "followups": 0,
                                         "retained": 0}}
    for bad, key in (("-2", "report.negative_figure"), ("5000", "report.absurd_figure"),
                     ("많이", "report.bad_figure"), ("1만", "report.absurd_figure"),
                     ("2.5", "report.bad_figure")):
        with pytest.raises(DomainError) as err:
            reports.parse_figure(bad)
        assert err.value.key == key
    with pytest.raises(DomainError):
        reports.correct(draft, region="cheonan", metric="seekers", value=5, reason=" ",
                        member_id=1, now=clock.now())
    reports.correct(draft, region="cheonan", metric="seekers", value=reports.parse_figure("5명"),
                    reason="전화 접수 2명 미등록", member_id=staff.member.id, now=clock.now())
    assert draft.figures["cheonan"]["seekers"] == 5
    assert draft.corrections[0]["from"] == 3 and draft.corrections[0]["to"] == 5
    async with runtime.session() as s:  # 9/1: August's deadline has passed
        report = await reports.submit(session=s, clock=clock, actor=staff, draft=draft)
    assert report.version == 1 and report.late
    assert report.corrections[0]["reason"] == "전화 접수 2명 미등록"
    with pytest.raises(DomainError) as err:  # locked: a second first submission is refused
        async with runtime.session() as s:
            await reports.submit(session=s, clock=clock, actor=staff, draft=draft)
    assert err.value.key == "report.already_submitted"
    async with runtime.session() as s:
        locked = await reports.open_report(session=s, agency_id=ids["cheonan"], month="2026-08")
    amend = locked.draft
    assert amend.base_version == 1 and amend.figures["cheonan"]["seekers"] == 5
    with pytest.raises(DomainError):
        async with runtime.session() as s:
            await reports.submit(session=s, clock=clock, actor=staff, draft=amend)
    amend.amend_reason = "채용 1건 추가 확인"
    reports.correct(amend, region="cheonan", metric="hires", value=2, reason="통보 지연",
                    member_id=staff.member.id, now=clock.now())
    async with runtime.session() as s:
        second = await reports.submit(session=s, clock=clock, actor=staff, draft=amend)
        history = await reports_db.versions(session=s, agency_id=ids["cheonan"], month="2026-08")
    assert second.version == 2 and second.reason == "채용 1건 추가 확인"
    assert [h.figures["cheonan"]["hires"] for h in history] == [1, 2]
    other = await add_member(runtime, 61, "saeil-asan")
    with pytest.raises(NotAllowed):
        async with runtime.session() as s:
            await reports.submit(session=s, clock=clock, actor=other, draft=amend)


async def test_on_time_submission_and_missing_reports(
    runtime: Runtime, clock: FrozenClock
) -> None:
    ids = await seed_records(runtime)
    staff = await add_member(runtime, 60, "saeil-asan")
    async with runtime.session() as s:
        state = await reports.open_report(session=s, agency_id=ids["asan"], month="2026-09")
        report = await reports.submit(session=s, clock=clock, actor=staff, draft=state.draft)
    assert not report.late
    async with runtime.session() as s:
        missing = await reports.missing_reports(session=s, month="2026-09")
    assert len(missing) == 17 and ids["asan"] not in {a.id for a in missing}


async def test_concurrent_submissions_produce_one_report(
    runtime: Runtime, clock: FrozenClock
) -> None:
    ids = await seed_records(runtime)
    first = await add_member(runtime, 70, "saeil-cheonan")
    second = await add_member(runtime, 71, "saeil-cheonan")
    async with runtime.session() as s:
        draft = (await reports.open_report(session=s, agency_id=ids["cheonan"],
                                           month="2026-09")).draft

    async def submit(actor: Actor) -> object:
        try:
            async with runtime.session() as s:
                return await reports.submit(session=s, clock=clock, actor=actor,
                                            draft=reports.ReportDraft.from_dict(draft.to_dict()))
        except DomainError as error:
            return error

    results = await asyncio.gather(submit(first), submit(second))
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and refused[0].key == "report.already_submitted"
    async with runtime.session() as s:
        rows = await reports_db.versions(session=s, agency_id=ids["cheonan"], month="2026-09")
    assert len(rows) == 1


def test_month_input() -> None:
    today = date(2026, 9, 1)
    assert reports.parse_month("2026-08", today=today, earliest="2026-07") == "2026-08"
    assert reports.parse_month("8", today=today, earliest="2026-07") == "2026-08"
    for text, key in (("2026-10", "report.future_month"), ("2026-06", "report.before_programme"),
                      ("13", "report.bad_month"), ("어제", "report.bad_month")):
        with pytest.raises(DomainError) as err:
            reports.parse_month(text, today=today, earliest="2026-07")
        assert err.value.key == key
    assert KO("report.future_month", month="2026-10").startswith("2026-10")


# --- exports -----------------------------------------------------------------------------------
async def test_export_workbook_cell_by_cell(runtime: Runtime, clock: FrozenClock) -> None:
    ids = await seed_records(runtime)
    staff = await add_member(runtime, 60, "saeil-cheonan")
    async with runtime.session() as s:
        state = await reports.open_report(session=s, agency_id=ids["cheonan"], month="2026-08")
        await reports.submit(session=s, clock=clock, actor=staff, draft=state.draft)
    async with runtime.session() as s:  # the seeded hires get their points, as at a start
        await followups.backfill(session=s, config=runtime.council.followup, now=clock.now())
    async with runtime.session() as s:
        data = await export.build_export(session=s, clock=clock, cipher=runtime.cipher,
                                         start=date(2026, 7, 1),
                                         end=date(2026, 11, 30))
    book = load_workbook(io.BytesIO(workbook.to_xlsx(data, KO)))
    assert book.sheetnames == ["성과 요약", "월별 실적", "구인", "구직자", "만남의 날·회의",
                               "채용", "사후관리", "실적보고"]
    for ws in book.worksheets[1:]:  # title in row 1, headers in row 2
        assert ws.freeze_panes == "A3"
        assert ws["A1"].font.bold and ws["A2"].font.bold
    summary = book["월별 실적"]
    assert [c.value for c in summary[2]][:8] == [
        "기관", "기관구분", "월", "구인 발굴", "구직자 발굴", "만남의 날", "면접", "채용"]
    rows = {(r[0], r[2]): r for r in summary.iter_rows(min_row=3, values_only=True)}
    assert rows[("충남북부상의", "2026-08")][3] == 4
    cheonan_aug = rows[("천안새일센터", "2026-08")]
    assert cheonan_aug[4:8] == (3, 1, 3, 1)
    assert isinstance(cheonan_aug[8], datetime) and cheonan_aug[9] == "예"  # submitted late
    assert rows[("천안새일센터", "2026-09")][9] == "미제출"
    openings = book["구인"]
    assert openings.max_row == 6  # title, headers, four openings; the deleted one is left out
    assert openings["C3"].value == "회사0" and openings["E3"].value == "천안시"
    assert openings["G3"].value == 20.0 and openings["I3"].value == 13000
    assert isinstance(openings["N3"].value, datetime) and openings["N3"].number_format.startswith(
        "yyyy")
    assert openings.column_dimensions["C"].width >= 8
    seekers = book["구직자"]
    assert [seekers.cell(row=i, column=3).value for i in (3, 4, 5)] == ["홍*순", "김*희", "박*정"]
    assert seekers["D3"].value == "010-****-5678" and seekers["E3"].value == "40대"
    meetings = book["만남의 날·회의"]
    day_row = next(r for r in meetings.iter_rows(min_row=3, values_only=True)
                   if r[2] == "만남의 날")
    assert day_row[7:14] == (3, 3, 1, 2, 3, 1, 1)
    hires = book["채용"]
    assert hires["C3"].value == "홍*순" and hires["G3"].value == datetime(2026, 8, 26)
    report_sheet = book["실적보고"]
    assert report_sheet["B3"].value == "2026-08" and report_sheet["C3"].value == 1
    assert report_sheet["G3"].value == 3  # seekers
    followup = book["사후관리"]  # one row per follow-up point, the seeker masked
    assert [followup[f"D{r}"].value for r in (3, 4, 5)] == ["홍*순"] * 3
    assert [followup[f"H{r}"].value for r in (3, 4, 5)] == [1, 3, 6]
    assert followup["I3"].value == datetime(2026, 9, 26)
    csv_files = workbook.to_csv(data, KO)
    assert set(csv_files) == {"summary.csv", "openings.csv", "seekers.csv", "meetings.csv",
                              "hires.csv", "followups.csv", "reports.csv"}
    seekers_csv = csv_files["seekers.csv"].decode("utf-8-sig")
    assert seekers_csv.startswith("번호,기관,이름,연락처")
    for secret in SEEKER_NAMES + SEEKER_PHONES:
        assert secret not in seekers_csv


async def test_unmasked_export_needs_reason_and_is_audited(
    runtime: Runtime, clock: FrozenClock
) -> None:
    ids = await seed_records(runtime)
    with pytest.raises(DomainError) as err:
        async with runtime.session() as s:
            await export.build_export(session=s, clock=clock, cipher=runtime.cipher,
                                         start=date(2026, 7, 1),
                                      end=date(2026, 11, 30),
                                      requester_agency_id=ids["cheonan"], unmask=True)
    assert err.value.key == "export.unmask_needs_reason"
    async with runtime.session() as s:
        data = await export.build_export(session=s, clock=clock, cipher=runtime.cipher,
                                         start=date(2026, 7, 1),
                                         end=date(2026, 11, 30),
                                         requester_agency_id=ids["cheonan"], unmask=True,
                                         reason="성과분석 명단 대조")
        entries = await audit_db.list_audit(session=s, action_prefix="export.")
    seekers = next(sh for sh in data.sheets if sh.key == "seekers")
    assert [row[2] for row in seekers.rows] == SEEKER_NAMES
    assert entries[-1].detail["reason"] == "성과분석 명단 대조"
    assert len(entries[-1].detail["seekers"]) == 3
    with pytest.raises(DomainError):
        export.parse_period("2026-11-30", "2026-07-01")
