"""The calendar rules and the pure reminder plan, across a whole season (July to November)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core import calendar as cal
from services import reminders as planner
from services.reminders import AgencyInfo, Attendee, MeetingInfo, PlanData

KST = ZoneInfo("Asia/Seoul")
CHAMBER, VENTURE, SAEIL, BRANCH, PROVINCE = 1, 2, 3, 4, 5
GROUP = -100500


def kst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=KST)


def season_data(**overrides: object) -> PlanData:
    data = PlanData(
        agencies=[
            AgencyInfo(CHAMBER, "충남북부상공회의소", "충남북부상의", "employer_association"),
            AgencyInfo(VENTURE, "충남벤처협회", "충남벤처협회", "employer_association"),
            AgencyInfo(SAEIL, "천안여성새로일하기센터", "천안새일센터", "saeil_center"),
            AgencyInfo(BRANCH, "천안지청", "천안지청", "branch_office"),
            AgencyInfo(PROVINCE, "충청남도", "충남도", "province"),
        ],
        agency_chats={CHAMBER: [11, 12], VENTURE: [13], SAEIL: [14], BRANCH: [15],
                      PROVINCE: [10]},
        coordinator_chats=[10],
        group_chats=[GROUP],
        targets={(CHAMBER, 2026, "openings"): 20, (VENTURE, 2026, "openings"): 5,
                 (SAEIL, 2026, "seekers"): 30},
        progress={(CHAMBER, 2026, "openings"): 7, (VENTURE, 2026, "openings"): 5,
                  (SAEIL, 2026, "seekers"): 12},
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


SEASON = (kst("2026-07-01T00:00"), kst("2026-11-30T23:59"))


def by_kind(notices: list[planner.Notice], kind: str) -> list[tuple[str, int | None, str]]:
    return [(n.due_at.isoformat(), n.agency_id, n.occurrence) for n in notices if n.kind == kind]


# --- calendar --------------------------------------------------------------------------------
def test_korean_holidays_weekends_and_substitutes() -> None:
    for day in ("2026-09-24", "2026-09-25", "2026-09-26", "2026-10-05", "2026-08-17",
                "2026-10-03", "2026-10-09"):
        assert not cal.is_business_day(date.fromisoformat(day)), day  # 추석, 대체공휴일...
    assert cal.is_business_day(date(2026, 9, 23))
    assert cal.business_day_on_or_before(date(2026, 9, 27)) == date(2026, 9, 23)  # 추석 block
    assert cal.business_day_on_or_before(date(2026, 8, 16)) == date(2026, 8, 14)  # 광복절
    assert cal.next_business_day(date(2026, 10, 2)) == date(2026, 10, 6)  # 개천절 대체공휴일
    assert cal.next_business_day(date(2026, 10, 8)) == date(2026, 10, 12)  # 한글날 + weekend


def test_month_ends_of_every_length() -> None:
    assert cal.month_end(2026, 2) == date(2026, 2, 28)
    assert cal.month_end(2028, 2) == date(2028, 2, 29)
    assert cal.month_end(2026, 4) == date(2026, 4, 30)
    assert cal.month_end(2026, 12) == date(2026, 12, 31)
    assert cal.months_between(date(2026, 11, 15), date(2027, 2, 1)) == [
        (2026, 11), (2026, 12), (2027, 1), (2027, 2)]


def test_quiet_hours() -> None:
    assert cal.is_quiet(kst("2026-09-01T20:00")) and cal.is_quiet(kst("2026-09-01T07:59"))
    assert not cal.is_quiet(kst("2026-09-01T08:00")) and not cal.is_quiet(kst("2026-09-01T19:59"))
    assert cal.next_send_time(kst("2026-09-01T21:30")) == kst("2026-09-02T08:00")
    assert cal.next_send_time(kst("2026-09-02T03:00")) == kst("2026-09-02T08:00")
    assert cal.next_send_time(kst("2026-09-02T12:00")) == kst("2026-09-02T12:00")


# --- the season --------------------------------------------------------------------------------
def test_discovery_cutoff_nudges_move_off_weekends_and_skip_agencies_on_target() -> None:
    notices = planner.plan(season_data(), start=SEASON[0], end=SEASON[1])
    nudges = by_kind(notices, planner.DISCOVERY_NUDGE)
    # 9/5/2026 is a Saturday: D-14 (8/22 Sat) -> 8/21, D-7 (8/29 Sat) -> 8/28, D-3 9/2, D-1 9/4.
    days = ["2026-08-21T10:00:00+09:00", "2026-08-28T10:00:00+09:00",
            "2026-09-02T10:00:00+09:00", "2026-09-04T10:00:00+09:00"]
    offsets = ["D-14", "D-7", "D-3", "D-1"]
    expected = [(d, a, f"2026-09-05:{o}") for d, o in zip(days, offsets, strict=True)
                for a in (CHAMBER, SAEIL)]
    assert sorted(nudges) == sorted(expected)  # 충남벤처협회 met its target: no nudge
    chamber = [n for n in notices if n.kind == planner.DISCOVERY_NUDGE and n.agency_id == CHAMBER]
    assert chamber[0].chat_ids == (11, 12)
    assert chamber[0].payload["count"] == 7 and chamber[0].payload["target"] == 20
    saeil = [n for n in notices if n.kind == planner.DISCOVERY_NUDGE and n.agency_id == SAEIL]
    assert saeil[0].payload["metric"] == "seekers" and saeil[0].payload["button"] == "seeker"
    summary = [n for n in notices if n.kind == planner.DISCOVERY_SUMMARY]
    assert len(summary) == 1 and summary[0].chat_ids == (GROUP,)
    assert summary[0].due_at == kst("2026-09-07T10:00")  # the business day after the cutoff
    assert {r["agency"] for r in summary[0].payload["rows"]} == {
        "충남북부상의", "충남벤처협회", "천안새일센터"}


def test_editing_the_cutoff_date_changes_the_plan() -> None:
    data = season_data(cutoffs={2026: date(2026, 9, 28)})  # the Monday after 추석
    nudges = by_kind(planner.plan(data, start=SEASON[0], end=SEASON[1]),
                     planner.DISCOVERY_NUDGE)
    days = sorted({d for d, _, _ in nudges})
    # D-14 9/14 Mon, D-7 9/21 Mon, D-3 9/25 (추석) -> 9/23, D-1 9/27 Sun -> 9/23: one nudge (D-1).
    assert days == ["2026-09-14T10:00:00+09:00", "2026-09-21T10:00:00+09:00",
                    "2026-09-23T10:00:00+09:00"]
    assert {o for d, _, o in nudges if d.startswith("2026-09-23")} == {"2026-09-28:D-1"}


def test_reaching_the_target_stops_the_nudges() -> None:
    data = season_data()
    data.progress = {**data.progress, (CHAMBER, 2026, "openings"): 20}
    nudges = by_kind(planner.plan(data, start=SEASON[0], end=SEASON[1]), planner.DISCOVERY_NUDGE)
    assert {a for _, a, _ in nudges} == {SAEIL}


def test_month_end_reports_across_the_season() -> None:
    data = season_data(reports=frozenset({(CHAMBER, "2026-07"), (SAEIL, "2026-07"),
                                          (BRANCH, "2026-07"), (VENTURE, "2026-07")}))
    notices = planner.plan(data, start=SEASON[0], end=SEASON[1])
    nudges = by_kind(notices, planner.REPORT_NUDGE)
    chamber_days = sorted((d[:10], o) for d, a, o in nudges if a == CHAMBER)
    assert chamber_days == [
        # July: everybody reported, nothing.
        # August 31 is a Monday; D-1 (Sun 8/30) lands on Fri 8/28 with D-3: D-1 wins.
        ("2026-08-28", "2026-08:D-1"), ("2026-08-31", "2026-08:D-0"),
        # September 30 (Wed): D-3 9/27 Sun -> 추석 -> 9/23.
        ("2026-09-23", "2026-09:D-3"), ("2026-09-29", "2026-09:D-1"),
        ("2026-09-30", "2026-09:D-0"),
        # October 31 is a Saturday: the last-day nudge is on Fri 10/30 (D-1 merged into it).
        ("2026-10-28", "2026-10:D-3"), ("2026-10-30", "2026-10:D-0"),
        # November 30 is a Monday.
        ("2026-11-27", "2026-11:D-1"), ("2026-11-30", "2026-11:D-0"),
    ]
    assert all(d.endswith("T10:00:00+09:00") for d, _, _ in nudges)
    # The province collects the reports: it is never nudged.
    assert {a for _, a, _ in nudges} == {CHAMBER, VENTURE, SAEIL, BRANCH}
    escalations = [n for n in notices if n.kind == planner.REPORT_ESCALATION]
    assert sorted({(n.due_at.date().isoformat(), n.occurrence) for n in escalations}) == [
        ("2026-07-01", "2026-06"), ("2026-09-01", "2026-08"), ("2026-10-01", "2026-09"),
        ("2026-11-02", "2026-10")]
    for n in escalations:
        if n.occurrence == "2026-06":
            continue
        assert n.chat_ids in ((GROUP,), (10,))
        assert n.payload["agencies"] == [
            "충남북부상의", "충남벤처협회", "천안새일센터", "천안지청"]


def test_february_and_year_end() -> None:
    data = season_data()
    notices = planner.plan(data, start=kst("2027-02-20T00:00"), end=kst("2027-03-05T00:00"))
    nudges = sorted({(n.due_at.date().isoformat(), n.occurrence)
                     for n in notices if n.kind == planner.REPORT_NUDGE})
    # 2027-02-28 is a Sunday: D-1 (Sat) and D-0 (Sun) both land on Fri 2/26; D-3 is Thu 2/25.
    assert nudges == [("2027-02-25", "2027-02:D-3"), ("2027-02-26", "2027-02:D-0")]
    esc = {n.due_at.date() for n in notices if n.kind == planner.REPORT_ESCALATION}
    assert esc == {date(2027, 3, 2)}  # 3/1 is 삼일절


def test_meeting_reminders_for_yes_and_maybe_and_the_host_checklist() -> None:
    created = kst("2026-09-01T09:00")
    meetings = [
        MeetingInfo(1, "council", "실무자협의회", kst("2026-09-14T14:00"), PROVINCE,
                    created_at=created),
        MeetingInfo(2, "meeting_day", "천안 만남의 날", kst("2026-10-10T10:00"), SAEIL,
                    place="천안시청", created_at=created),  # a Saturday
        MeetingInfo(3, "council", "조찬 회의", kst("2026-09-16T08:30"), PROVINCE,
                    created_at=created),
        MeetingInfo(4, "council", "이른 회의", kst("2026-09-17T08:00"), PROVINCE,
                    created_at=created),
        MeetingInfo(5, "council", "취소된 회의", kst("2026-09-18T14:00"), PROVINCE,
                    created_at=created, status="cancelled"),
        MeetingInfo(6, "council", "급히 잡은 회의", kst("2026-09-21T15:00"), PROVINCE,
                    created_at=kst("2026-09-21T11:00")),
    ]
    people = [Attendee(11, CHAMBER), Attendee(14, SAEIL)]
    data = season_data(meetings=meetings, attendees={m.id: people for m in meetings})
    notices = planner.plan(data, start=SEASON[0], end=SEASON[1])
    got = sorted({(n.kind, n.occurrence.split("@")[0], n.due_at.isoformat())
                  for n in notices if n.kind.startswith("meeting")})
    assert got == sorted([
        # Monday meeting: the day-before nudge moves to Friday.
        (planner.MEETING_DAY_BEFORE, "1", "2026-09-11T10:00:00+09:00"),
        (planner.MEETING_HOUR_BEFORE, "1", "2026-09-14T13:00:00+09:00"),
        # Saturday meeting day (after 한글날 Friday): the day before moves to Thursday 10/8.
        (planner.MEETING_DAY_BEFORE, "2", "2026-10-08T10:00:00+09:00"),
        (planner.MEETING_HOUR_BEFORE, "2", "2026-10-10T09:00:00+09:00"),
        (planner.MEETING_CHECKLIST, "2", "2026-10-10T08:00:00+09:00"),
        # 08:30: one hour before is quiet, so 08:00.
        (planner.MEETING_DAY_BEFORE, "3", "2026-09-15T10:00:00+09:00"),
        (planner.MEETING_HOUR_BEFORE, "3", "2026-09-16T08:00:00+09:00"),
        # 08:00: no hour-before reminder fits outside quiet hours (the day before covers it).
        (planner.MEETING_DAY_BEFORE, "4", "2026-09-16T10:00:00+09:00"),
        # Created at 11:00 on the day: only the hour-before reminder can still be planned.
        (planner.MEETING_HOUR_BEFORE, "6", "2026-09-21T14:00:00+09:00"),
    ])
    checklist = [n for n in notices if n.kind == planner.MEETING_CHECKLIST][0]
    assert checklist.chat_ids == (14,)  # the host 새일센터's members
    day_before = [n for n in notices if n.kind == planner.MEETING_DAY_BEFORE]
    assert {n.chat_ids for n in day_before} == {(11,), (14,)}
    assert all(n.stale_after == meetings[int(n.occurrence.split("@")[0]) - 1].starts_at
               for n in notices if n.kind.startswith("meeting"))


def test_nothing_planned_in_quiet_hours_across_the_season() -> None:
    meetings = [MeetingInfo(i, "council", "m", kst("2026-07-01T07:00") + timedelta(hours=7 * i),
                            PROVINCE) for i in range(1, 500)]
    data = season_data(meetings=meetings,
                       attendees={m.id: [Attendee(11, CHAMBER)] for m in meetings})
    notices = planner.plan(data, start=SEASON[0], end=SEASON[1])
    assert len(notices) > 500
    assert not [n for n in notices if cal.is_quiet(n.due_at)]


def test_outbox_keys_and_expiry_rule() -> None:
    notices = planner.plan(season_data(), start=kst("2026-08-21T00:00"),
                           end=kst("2026-08-21T23:00"))
    reminders = planner.reminders_of(notices)
    assert {r.key for r in reminders} == {
        "discovery_nudge|11|2026-09-05:D-14", "discovery_nudge|12|2026-09-05:D-14",
        "discovery_nudge|14|2026-09-05:D-14"}
    due = kst("2026-08-21T10:00")
    assert not planner.is_expired(due_at=due, stale_after=None, now=kst("2026-08-21T19:00"))
    assert planner.is_expired(due_at=due, stale_after=None, now=kst("2026-08-22T08:00"))
    assert planner.is_expired(due_at=due, stale_after=kst("2026-08-21T11:00"),
                              now=kst("2026-08-21T11:00"))
