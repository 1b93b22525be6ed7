"""The text and buttons of each kind of reminder, rendered at send time in the recipient's
language from the outbox row's payload (figures are those of the moment the row was planned)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from core.text import escape
from locales import Translator
from models.tables import ReminderLog
from services import reminders as planner

Button = tuple[str, str]

METRIC = {"openings": "reminders.metric_openings", "seekers": "reminders.metric_seekers"}
UNIT = {"openings": "reminders.unit_openings", "seekers": "reminders.unit_seekers"}
WEEKDAY = (
    "reminders.weekday_0", "reminders.weekday_1", "reminders.weekday_2", "reminders.weekday_3",
    "reminders.weekday_4", "reminders.weekday_5", "reminders.weekday_6",
)
MEETING_KIND = {
    "council": "reminders.meeting_kind_council",
    "meeting_day": "reminders.meeting_kind_meeting_day",
}
BUTTON_LABEL = {
    "opening": "reminders.btn_opening",
    "seeker": "reminders.btn_seeker",
    "report": "reminders.btn_report",
}


# The entry buttons of the features' own forms: a tap opens the form right away.
OPEN_DATA = {"opening": "op:new", "seeker": "sk:new", "report": "rep:open"}


def open_data(command: str) -> str:
    """Callback data of a button that opens a feature's form."""
    return OPEN_DATA[command]


def day_label(tr: Translator, day: date) -> str:
    return tr("reminders.date", month=day.month, day=day.day,
              weekday=tr(WEEKDAY[day.weekday()]))


def time_label(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def month_label(tr: Translator, key: str) -> str:
    year, month = key.split("-")
    return tr("reminders.month", year=int(year), month=int(month))


def _unit(tr: Translator, metric: str) -> str:
    return tr(UNIT[metric])


def render(row: ReminderLog, tr: Translator) -> tuple[str, list[Button]]:
    p: dict[str, Any] = row.payload or {}
    kind = row.kind
    due = (row.due_at or datetime.now()).date()
    if kind == planner.DISCOVERY_NUDGE:
        cutoff = date.fromisoformat(p["cutoff"])
        metric = p["metric"]
        text = tr(
            "reminders.discovery_nudge", days=(cutoff - due).days, date=day_label(tr, cutoff),
            agency=escape(p["agency"]), metric=tr(METRIC[metric]),
            count=p["count"], target=p["target"], unit=_unit(tr, metric),
        )
        return text, [(tr(BUTTON_LABEL[p["button"]]), open_data(p["button"]))]
    if kind == planner.DISCOVERY_SUMMARY:
        cutoff = date.fromisoformat(p["cutoff"])
        lines = []
        for r in p.get("rows", []):
            mark = "✅" if r["count"] >= r["target"] else "🔸"
            lines.append(tr(
                "reminders.summary_line", mark=mark, agency=escape(r["agency"]),
                metric=tr(METRIC[r["metric"]]), count=r["count"],
                target=r["target"], unit=_unit(tr, r["metric"]),
            ))
        return tr("reminders.discovery_summary", date=day_label(tr, cutoff),
                  lines="\n".join(lines)), []
    if kind == planner.REPORT_NUDGE:
        deadline = date.fromisoformat(p["deadline"])
        days = (deadline - due).days
        key = "reminders.report_nudge_today" if days <= 0 else "reminders.report_nudge"
        text = tr(key, month=month_label(tr, p["month"]), days=days,
                  date=day_label(tr, deadline), agency=escape(p["agency"]))
        return text, [(tr(BUTTON_LABEL["report"]), open_data("report"))]
    if kind == planner.REPORT_ESCALATION:
        names = p.get("agencies", [])
        return tr(
            "reminders.report_escalation", month=month_label(tr, p["month"]), count=len(names),
            lines="\n".join(f"· {escape(n)}" for n in names),
        ), []
    if kind in (planner.MEETING_DAY_BEFORE, planner.MEETING_HOUR_BEFORE,
                planner.MEETING_CHECKLIST):
        starts = datetime.fromisoformat(p["starts_at"])
        place = tr("reminders.place", place=escape(p["place"])) if p.get("place") else ""
        fallback = MEETING_KIND.get(str(p.get("kind")), MEETING_KIND["council"])
        title = escape(p.get("title") or tr(fallback))
        key = {
            planner.MEETING_DAY_BEFORE: "reminders.meeting_day_before",
            planner.MEETING_HOUR_BEFORE: "reminders.meeting_hour_before",
            planner.MEETING_CHECKLIST: "reminders.meeting_checklist",
        }[kind]
        return tr(key, title=title, date=day_label(tr, starts.date()), time=time_label(starts),
                  place=place), []
    if kind == planner.OPENING_CLOSED:
        deadline = date.fromisoformat(p["deadline"]) if p.get("deadline") else due
        return tr("reminders.opening_closed", company=escape(p["company"]),
                  title=escape(p["title"]), date=day_label(tr, deadline)), []
    if kind == planner.MEMBER_BLOCKED:
        return tr("reminders.member_blocked", name=escape(p["name"]),
                  agency=escape(p.get("agency") or "")), []
    if kind == planner.GROUP_LOST:
        return tr("reminders.group_lost", title=escape(p.get("title") or "")), []
    if kind == planner.EXPIRED_NOTICE:
        return tr("reminders.expired_notice", count=p["count"]), []
    raise ValueError(f"unknown reminder kind {kind!r}")
