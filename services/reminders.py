"""Reminder planning: a pure function of plain data and a time window.

`plan(data, start=..., end=...)` answers "which reminders fall due in this window?" from the
programme calendar, targets and progress, report submissions, RSVPs and registered groups. It
reads no database and keeps no state, so editing a date or a target changes the plan at once and
nothing depends on jobs persisted by APScheduler. `models.reminders.load_plan_data` builds the
input; the scheduler writes what is due into the outbox (`ReminderLog`) and sends it.

The rules (all times in the council's zone, see `core.calendar`):

- Discovery cutoff (programme step 3, 9/5 when the year has no step 3): D-14, D-7, D-3 and D-1
  at 10:00 to employer associations below their `openings` target and 새일센터 below their
  `seekers` target (an agency without a target has nothing to be below and is not nudged); on
  the next business day after the cutoff, a summary to the council group(s).
- Month-end report: D-3, D-1 and the last day at 10:00 to reporting agencies without a report
  for that month; on the next business day after the month end, an escalation naming the
  agencies (names only, never personal data) to the council group(s) and, privately, to the
  coordinators.
- Meetings (status scheduled): the day before at 10:00 and one hour before, to members who
  answered yes or maybe; meeting-day (만남의 날) hosts get a checklist at 08:00 on the day.

Weekends and holidays move a day-level nudge to the previous business day; when two nudges of
one series land on the same day only the one closest to the deadline is kept. Nothing is due in
quiet hours (20:00-08:00): an hour-before meeting reminder that would fall there moves to 08:00
when that is still before the meeting, and is dropped otherwise (the day-before one covers it).
A meeting reminder that would be due before the meeting was created is not planned, and every
meeting reminder goes stale at the meeting's start.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core import calendar as cal
from core.clock import local_zone
from core.statuses import AgencyKind, Role
from models import council as council_db
from models import followups as followups_db
from models import groups as groups_db
from models import reminders as reminders_db

# Kinds of reminder (also the first part of every outbox key).
DISCOVERY_NUDGE = "discovery_nudge"
DISCOVERY_SUMMARY = "discovery_summary"
REPORT_NUDGE = "report_nudge"
REPORT_ESCALATION = "report_escalation"
MEETING_DAY_BEFORE = "meeting_day_before"
MEETING_HOUR_BEFORE = "meeting_hour_before"
MEETING_CHECKLIST = "meeting_checklist"
FOLLOWUP = "followup"  # one follow-up point (사후관리) asked of its centre
FOLLOWUP_OVERDUE = "followup_overdue"  # a centre's overdue points, weekly
FOLLOWUP_SUMMARY = "followup_summary"  # the coordinators' summary of overdue points
# Notices the sender itself enqueues (not planned from the calendar).
OPENING_CLOSED = "opening_closed"
MEMBER_BLOCKED = "member_blocked"
GROUP_LOST = "group_lost"
EXPIRED_NOTICE = "reminders_expired"

PLANNED_KINDS = (
    DISCOVERY_NUDGE, DISCOVERY_SUMMARY, REPORT_NUDGE, REPORT_ESCALATION,
    MEETING_DAY_BEFORE, MEETING_HOUR_BEFORE, MEETING_CHECKLIST,
    FOLLOWUP, FOLLOWUP_OVERDUE, FOLLOWUP_SUMMARY,
)
ALL_KINDS = PLANNED_KINDS + (OPENING_CLOSED, MEMBER_BLOCKED, GROUP_LOST, EXPIRED_NOTICE)

DISCOVERY_STEP = 3
DEFAULT_CUTOFF = (9, 5)  # month, day: "early September"
DISCOVERY_OFFSETS = (14, 7, 3, 1)
REPORT_OFFSETS = (3, 1, 0)
CHECKLIST_TIME = time(8, 0)
# Follow-up points: 나중에 at most three times; overdue then, or two weeks after the point's day.
FOLLOWUP_MAX_ASKS = 3
FOLLOWUP_OVERDUE_AFTER = timedelta(days=14)

# Who has a discovery target, and which metric counts for them.
DISCOVERY_METRIC = {
    AgencyKind.EMPLOYER_ASSOCIATION.value: "openings",
    AgencyKind.SAEIL_CENTER.value: "seekers",
}
# Who reports monthly: the agencies that produce results (the province and the employment
# office collect the reports).
REPORTING_KINDS = frozenset({
    AgencyKind.EMPLOYER_ASSOCIATION.value,
    AgencyKind.SAEIL_CENTER.value,
    AgencyKind.BRANCH_OFFICE.value,
})
# Where the register button of a nudge leads (a command of the owning feature).
BUTTON_COMMAND = {"openings": "opening", "seekers": "seeker", "report": "report"}

RSVP_REMINDED = ("yes", "maybe")  # 참석, 미정
LEAD_ROLES = (Role.COORDINATOR.value, Role.ADMIN.value)

AUDIENCE_AGENCY = "agency"
AUDIENCE_GROUP = "group"
AUDIENCE_COORDINATORS = "coordinators"
AUDIENCE_ATTENDEES = "attendees"
AUDIENCE_HOSTS = "hosts"


# --- Input -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AgencyInfo:
    id: int
    name: str
    short_name: str
    kind: str


@dataclass(frozen=True)
class MeetingInfo:
    id: int
    kind: str  # council | meeting_day
    title: str
    starts_at: datetime
    host_agency_id: int
    place: str = ""
    created_at: datetime | None = None
    status: str = "scheduled"


@dataclass(frozen=True)
class FollowUpInfo:
    """A follow-up point still to answer (no personal data: the sender adds the name)."""

    id: int
    agency_id: int
    months: int
    due_on: date
    asks: int
    ask_on: date | None
    hire_id: int
    company: str
    title: str
    hired_on: date


@dataclass(frozen=True)
class Attendee:
    chat_id: int
    agency_id: int | None


@dataclass
class PlanData:
    """Everything the plan depends on, as plain values."""

    agencies: list[AgencyInfo] = field(default_factory=list)
    # Private chats (telegram ids) of each agency's active members.
    agency_chats: Mapping[int, list[int]] = field(default_factory=dict)
    coordinator_chats: list[int] = field(default_factory=list)
    group_chats: list[int] = field(default_factory=list)
    # Discovery cutoff per year (programme step 3 due date); missing years use 9/5.
    cutoffs: Mapping[int, date] = field(default_factory=dict)
    # (agency id, year, metric) -> value, for targets and progress.
    targets: Mapping[tuple[int, int, str], int] = field(default_factory=dict)
    progress: Mapping[tuple[int, int, str], int] = field(default_factory=dict)
    # (agency id, "YYYY-MM") of every submitted monthly report.
    reports: frozenset[tuple[int, str]] = frozenset()
    meetings: list[MeetingInfo] = field(default_factory=list)
    # meeting id -> members who answered yes or maybe (active members only).
    attendees: Mapping[int, list[Attendee]] = field(default_factory=dict)
    followups: list[FollowUpInfo] = field(default_factory=list)

    def agency(self, agency_id: int) -> AgencyInfo | None:
        for a in self.agencies:
            if a.id == agency_id:
                return a
        return None

    def cutoff(self, year: int) -> date:
        return self.cutoffs.get(year) or date(year, *DEFAULT_CUTOFF)


# --- Output ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Notice:
    """One planned message to one audience (an agency's members, the group, the coordinators)."""

    kind: str
    due_at: datetime
    occurrence: str
    audience: str
    chat_ids: tuple[int, ...]
    agency_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    stale_after: datetime | None = None

    def reminders(self) -> list[Reminder]:
        return [
            Reminder(
                kind=self.kind, chat_id=chat, agency_id=self.agency_id,
                occurrence=self.occurrence, due_at=self.due_at, payload=dict(self.payload),
                stale_after=self.stale_after,
            )
            for chat in dict.fromkeys(self.chat_ids)
        ]


@dataclass(frozen=True)
class Reminder:
    """One message to one chat: a row of the outbox."""

    kind: str
    chat_id: int
    agency_id: int | None
    occurrence: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    stale_after: datetime | None = None

    @property
    def key(self) -> str:
        return outbox_key(self.kind, self.chat_id, self.occurrence)


def outbox_key(kind: str, chat_id: int, occurrence: str) -> str:
    """The outbox's unique key: kind|recipient|occurrence."""
    return f"{kind}|{chat_id}|{occurrence}"


# --- Planning ----------------------------------------------------------------------------------
def plan(data: PlanData, *, start: datetime, end: datetime) -> list[Notice]:
    """Every notice due in [start, end], in due order (start and end are aware datetimes)."""
    notices: list[Notice] = []
    first, last = start.astimezone(local_zone()).date(), end.astimezone(local_zone()).date()
    for year in range(first.year, last.year + 1):
        notices += _discovery(data, year)
    for year, month in cal.months_between(first - timedelta(days=31), last):
        notices += _month_end(data, year, month)
    notices += _meetings(data)
    notices += _followups(data, first, last)
    due = [n for n in notices if start <= n.due_at <= end]
    return sorted(due, key=lambda n: (n.due_at, n.kind, n.agency_id or 0, n.occurrence))


def reminders_of(notices: Iterable[Notice]) -> list[Reminder]:
    return [r for n in notices for r in n.reminders()]


def _series(deadline: date, offsets: Iterable[int]) -> list[tuple[int, datetime]]:
    """(offset, due) for a nudge series; of offsets landing on one day, the smallest wins."""
    by_day: dict[datetime, int] = {}
    for offset in sorted(offsets, reverse=True):
        by_day[cal.nudge_time(deadline - timedelta(days=offset))] = offset
    return sorted(((offset, due) for due, offset in by_day.items()), key=lambda x: x[1])


def _discovery(data: PlanData, year: int) -> list[Notice]:
    cutoff = data.cutoff(year)
    out: list[Notice] = []
    standings = []
    for agency in data.agencies:
        metric = DISCOVERY_METRIC.get(agency.kind)
        target = data.targets.get((agency.id, year, metric or ""))
        if metric is None or target is None:
            continue
        count = data.progress.get((agency.id, year, metric), 0)
        standings.append((agency, metric, count, target))
    for offset, due in _series(cutoff, DISCOVERY_OFFSETS):
        for agency, metric, count, target in standings:
            if count >= target:
                continue
            out.append(Notice(
                kind=DISCOVERY_NUDGE, due_at=due, occurrence=f"{cutoff.isoformat()}:D-{offset}",
                audience=AUDIENCE_AGENCY, agency_id=agency.id,
                chat_ids=tuple(data.agency_chats.get(agency.id, ())),
                payload={"agency": agency.short_name, "metric": metric, "count": count,
                         "target": target, "cutoff": cutoff.isoformat(),
                         "button": BUTTON_COMMAND[metric]},
            ))
    if standings:
        summary_day = cal.next_business_day(cutoff)
        out.append(Notice(
            kind=DISCOVERY_SUMMARY, due_at=cal.at(summary_day, cal.NUDGE_TIME),
            occurrence=cutoff.isoformat(), audience=AUDIENCE_GROUP,
            chat_ids=tuple(data.group_chats),
            payload={"cutoff": cutoff.isoformat(), "rows": [
                {"agency": a.short_name, "metric": m, "count": c, "target": t}
                for a, m, c, t in standings
            ]},
        ))
    return out


def missing_reports(data: PlanData, month: str) -> list[AgencyInfo]:
    return [
        a for a in data.agencies
        if a.kind in REPORTING_KINDS and (a.id, month) not in data.reports
    ]


def _month_end(data: PlanData, year: int, month: int) -> list[Notice]:
    last = cal.month_end(year, month)
    key = cal.month_key(last)
    missing = missing_reports(data, key)
    if not missing:
        return []
    out: list[Notice] = []
    for offset, due in _series(last, REPORT_OFFSETS):
        for agency in missing:
            out.append(Notice(
                kind=REPORT_NUDGE, due_at=due, occurrence=f"{key}:D-{offset}",
                audience=AUDIENCE_AGENCY, agency_id=agency.id,
                chat_ids=tuple(data.agency_chats.get(agency.id, ())),
                payload={"agency": agency.short_name, "month": key,
                         "deadline": last.isoformat(), "button": BUTTON_COMMAND["report"]},
            ))
    escalate_at = cal.at(cal.next_business_day(last), cal.NUDGE_TIME)
    payload = {"month": key, "agencies": [a.short_name for a in missing]}
    out.append(Notice(
        kind=REPORT_ESCALATION, due_at=escalate_at, occurrence=key, audience=AUDIENCE_GROUP,
        chat_ids=tuple(data.group_chats), payload=payload,
    ))
    out.append(Notice(
        kind=REPORT_ESCALATION, due_at=escalate_at, occurrence=key,
        audience=AUDIENCE_COORDINATORS, chat_ids=tuple(data.coordinator_chats), payload=payload,
    ))
    return out


def followup_overdue(point: FollowUpInfo, day: date) -> bool:
    """As `services.followups.is_overdue`, on plain data."""
    return point.asks >= FOLLOWUP_MAX_ASKS or day >= point.due_on + FOLLOWUP_OVERDUE_AFTER


def _followups(data: PlanData, first: date, last: date) -> list[Notice]:
    """Each point is asked on its day (the next business day when that is not one) and again
    the business day after each 나중에; every Monday (or the week's first business day) a centre
    with overdue points is told how many, and the coordinators get the counts the business day
    after, as for the month-end report."""
    out: list[Notice] = []
    for point in data.followups:
        day = point.ask_on or point.due_on
        if point.asks > FOLLOWUP_MAX_ASKS or not first - timedelta(days=7) <= day <= last:
            continue
        send_on = day if cal.is_business_day(day) else cal.next_business_day(day)
        out.append(Notice(
            kind=FOLLOWUP, due_at=cal.at(send_on, cal.NUDGE_TIME),
            occurrence=f"{point.id}:{point.asks}", audience=AUDIENCE_AGENCY,
            agency_id=point.agency_id, chat_ids=tuple(data.agency_chats.get(point.agency_id, ())),
            payload={"point": point.id, "months": point.months, "company": point.company,
                     "title": point.title, "hired_on": point.hired_on.isoformat(),
                     "hire": point.hire_id, "last": point.asks >= FOLLOWUP_MAX_ASKS},
        ))
    monday = first - timedelta(days=first.weekday() + 7)
    while monday <= last:
        week = monday + timedelta(days=4)
        chase_on = next(
            (monday + timedelta(days=n) for n in range(5)
             if cal.is_business_day(monday + timedelta(days=n))), None,
        )
        monday += timedelta(days=7)
        if chase_on is None:  # a week of holidays
            continue
        overdue: dict[int, int] = {}
        for point in data.followups:
            if followup_overdue(point, chase_on):
                overdue[point.agency_id] = overdue.get(point.agency_id, 0) + 1
        if not overdue:
            continue
        iso = chase_on.isocalendar()
        occurrence = f"{iso.year}-W{iso.week:02d}"
        for agency_id, count in sorted(overdue.items()):
            agency = data.agency(agency_id)
            out.append(Notice(
                kind=FOLLOWUP_OVERDUE, due_at=cal.at(chase_on, cal.NUDGE_TIME),
                occurrence=occurrence, audience=AUDIENCE_AGENCY, agency_id=agency_id,
                chat_ids=tuple(data.agency_chats.get(agency_id, ())),
                payload={"count": count, "agency": agency.short_name if agency else ""},
            ))
        summary_on = cal.next_business_day(chase_on)
        if summary_on > week + timedelta(days=3):
            continue
        out.append(Notice(
            kind=FOLLOWUP_SUMMARY, due_at=cal.at(summary_on, cal.NUDGE_TIME),
            occurrence=occurrence, audience=AUDIENCE_COORDINATORS,
            chat_ids=tuple(data.coordinator_chats),
            payload={"rows": [
                {"agency": (a.short_name if (a := data.agency(agency_id)) else ""),
                 "count": count}
                for agency_id, count in sorted(overdue.items())
            ]},
        ))
    return out


def _meetings(data: PlanData) -> list[Notice]:
    out: list[Notice] = []
    for meeting in data.meetings:
        if meeting.status != "scheduled":
            continue
        starts = meeting.starts_at.astimezone(local_zone())
        occurrence = f"{meeting.id}@{starts:%Y%m%dT%H%M}"
        payload = {"meeting_id": meeting.id, "title": meeting.title, "kind": meeting.kind,
                   "starts_at": starts.isoformat(), "place": meeting.place}
        dues: list[tuple[str, datetime | None]] = [
            (MEETING_DAY_BEFORE, cal.nudge_time(starts.date() - timedelta(days=1))),
            (MEETING_HOUR_BEFORE, _hour_before(starts)),
        ]
        by_agency: dict[int | None, list[int]] = defaultdict(list)
        for person in data.attendees.get(meeting.id, []):
            by_agency[person.agency_id].append(person.chat_id)
        for kind, due in dues:
            if due is None or not _plannable(due, meeting):
                continue
            for agency_id, chats in by_agency.items():
                out.append(Notice(
                    kind=kind, due_at=due, occurrence=occurrence, audience=AUDIENCE_ATTENDEES,
                    agency_id=agency_id, chat_ids=tuple(chats), payload=payload,
                    stale_after=starts,
                ))
        if meeting.kind == "meeting_day":
            due = cal.at(starts.date(), CHECKLIST_TIME)
            if _plannable(due, meeting):
                out.append(Notice(
                    kind=MEETING_CHECKLIST, due_at=due, occurrence=occurrence,
                    audience=AUDIENCE_HOSTS, agency_id=meeting.host_agency_id,
                    chat_ids=tuple(data.agency_chats.get(meeting.host_agency_id, ())),
                    payload=payload, stale_after=starts,
                ))
    return out


def _hour_before(starts: datetime) -> datetime | None:
    due = starts - timedelta(hours=1)
    if not cal.is_quiet(due):
        return due
    morning = cal.next_send_time(due)
    return morning if morning < starts else None


def _plannable(due: datetime, meeting: MeetingInfo) -> bool:
    if due >= meeting.starts_at:
        return False
    return meeting.created_at is None or due >= meeting.created_at


# --- Recovery rules ----------------------------------------------------------------------------
def is_expired(*, due_at: datetime, stale_after: datetime | None, now: datetime) -> bool:
    """A reminder not sent on the (calendar) day it fell due, or past its stale time, is expired.

    After downtime, what fell due earlier the same day is still sent (within a minute of the
    start); older reminders are marked expired and listed for the coordinators.
    """
    if stale_after is not None and now >= stale_after:
        return True
    return due_at.astimezone(local_zone()).date() < now.astimezone(local_zone()).date()


# --- Loading the input -------------------------------------------------------------------------
async def load_plan_data(*, session: AsyncSession, start: datetime, end: datetime) -> PlanData:
    """Read what the plan for [start, end] depends on (other features' tables, read only)."""
    first, last = start.astimezone(local_zone()).date(), end.astimezone(local_zone()).date()
    years = list(range(first.year, last.year + 1))
    agencies = await council_db.list_agencies(session=session)
    members = await reminders_db.active_members(session=session)
    agency_chats: dict[int, list[int]] = {}
    for m in members:
        if m.agency_id is not None:
            agency_chats.setdefault(m.agency_id, []).append(m.telegram_id)
    progress: dict[tuple[int, int, str], int] = {}
    for year in years:
        progress.update(await reminders_db.progress_counts(session=session, year=year))
    # Meeting reminders fall at most two days (a weekend, holidays) before the meeting: look a
    # little beyond the window.
    meetings = await reminders_db.scheduled_meetings(
        session=session, start=start - timedelta(days=1), end=end + timedelta(days=15)
    )
    attendees: dict[int, list[Attendee]] = {}
    rows = await reminders_db.rsvp_chats(
        session=session, meeting_ids=[m.id for m in meetings if m.id is not None],
        answers=RSVP_REMINDED,
    )
    for meeting_id, chat_id, agency_id in rows:
        attendees.setdefault(meeting_id, []).append(Attendee(chat_id, agency_id))
    return PlanData(
        agencies=[AgencyInfo(a.id or 0, a.name, a.short_name, a.kind) for a in agencies],
        agency_chats=agency_chats,
        coordinator_chats=[m.telegram_id for m in members if m.role in LEAD_ROLES],
        group_chats=[g.chat_id for g in await groups_db.active_groups(session=session)],
        cutoffs=await reminders_db.step_due_dates(
            session=session, number=DISCOVERY_STEP, years=years
        ),
        targets=await reminders_db.target_values(session=session, years=years),
        progress=progress,
        reports=frozenset(await reminders_db.submitted_reports(session=session)),
        meetings=[
            MeetingInfo(
                id=m.id or 0, kind=m.kind, title=m.title,
                starts_at=m.starts_at or cal.at(first, cal.NUDGE_TIME),
                host_agency_id=m.host_agency_id, place=m.place, created_at=m.created_at,
                status=m.status,
            )
            for m in meetings
        ],
        attendees=attendees,
        followups=[
            FollowUpInfo(
                id=point.id or 0, agency_id=point.agency_id, months=point.months,
                due_on=point.due_on, asks=point.asks, ask_on=point.ask_on,
                hire_id=hire.id or 0, company=opening.company_name, title=opening.job_title,
                hired_on=hire.hired_on,
            )
            for point, hire, opening in await followups_db.open_points(
                session=session, on_or_before=last + timedelta(days=7)
            )
        ],
    )
