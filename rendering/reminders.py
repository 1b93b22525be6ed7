"""The text and buttons of each kind of reminder, rendered at send time in the recipient's
language from the outbox row's payload (figures are those of the moment the row was planned)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from core.clock import local_zone
from core.text import escape
from locales import Translator
from models.tables import ReminderLog
from rendering import followups
from services import reminder_outbox
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


# How each kind of reminder is named in lists (/reminders, the notice of missed reminders).
KIND_LABEL = {
    planner.DISCOVERY_NUDGE: "reminders.kind_discovery_nudge",
    planner.DISCOVERY_SUMMARY: "reminders.kind_discovery_summary",
    planner.REPORT_NUDGE: "reminders.kind_report_nudge",
    planner.REPORT_ESCALATION: "reminders.kind_report_escalation",
    planner.MEETING_DAY_BEFORE: "reminders.kind_meeting_day_before",
    planner.MEETING_HOUR_BEFORE: "reminders.kind_meeting_hour_before",
    planner.MEETING_CHECKLIST: "reminders.kind_meeting_checklist",
    planner.OPENING_CLOSED: "reminders.kind_opening_closed",
    planner.MEMBER_BLOCKED: "reminders.kind_member_blocked",
    planner.GROUP_LOST: "reminders.kind_group_lost",
    planner.EXPIRED_NOTICE: "reminders.kind_reminders_expired",
    planner.FOLLOWUP: "followup.kind_followup",
    planner.FOLLOWUP_OVERDUE: "followup.kind_overdue",
    planner.FOLLOWUP_SUMMARY: "followup.kind_summary",
}


def kind_label(tr: Translator, kind: str) -> str:
    return tr(KIND_LABEL[kind]) if kind in KIND_LABEL else kind


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


def render(
    row: ReminderLog, tr: Translator, details: dict[str, str] | None = None
) -> tuple[str, list[Button]]:
    """`details`: what the sender adds at send time and the outbox never holds (a name)."""
    p: dict[str, Any] = {**(row.payload or {}), **(details or {})}
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
        return expired_notice(tr, p), []
    if kind == planner.FOLLOWUP:
        return followups.reminder(tr, p)
    if kind == planner.FOLLOWUP_OVERDUE:
        return followups.overdue_reminder(tr, p)
    if kind == planner.FOLLOWUP_SUMMARY:
        return followups.summary_reminder(tr, p), []
    raise ValueError(f"unknown reminder kind {kind!r}")


def span_label(tr: Translator, span: timedelta) -> str:
    """"2일 3시간 15분": days, hours and minutes, the zero parts left out (at least 1분)."""
    minutes = max(int(span.total_seconds() // 60), 1)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [tr(key, n=n) for key, n in (("reminders.span_days", days),
                                          ("reminders.span_hours", hours),
                                          ("reminders.span_minutes", minutes)) if n]
    return " ".join(parts)


def _moment(tr: Translator, text: str) -> str:
    moment = datetime.fromisoformat(text).astimezone(local_zone())
    return f"{day_label(tr, moment.date())} {time_label(moment)}"


def expired_notice(tr: Translator, p: dict[str, Any]) -> str:
    """The one message listing missed reminders; after a stop, how long the bot was stopped."""
    lines = []
    for item in p.get("items", []):
        if item.get("group"):
            who = tr("reminders.who_group")
        elif item.get("agency"):
            who = escape(item["agency"])
        else:
            who = tr("reminders.who_coordinators")
        lines.append(tr("reminders.missed_line", when=_moment(tr, item["due"]),
                        kind=kind_label(tr, item["kind"]), who=who, chats=item["chats"]))
    if p.get("more"):
        lines.append(tr("reminders.view_more", count=p["more"]))
    listed = "\n".join(lines)
    if p.get("stopped_since") and p.get("resumed_at"):
        since = datetime.fromisoformat(p["stopped_since"])
        until = datetime.fromisoformat(p["resumed_at"])
        return tr("reminders.expired_after_stop", count=p["count"],
                  span=span_label(tr, until - since), since=_moment(tr, p["stopped_since"]),
                  until=_moment(tr, p["resumed_at"]), lines=listed)
    return tr("reminders.expired_notice", count=p["count"], lines=listed)


# --- /reminders: the coming week's plan and the last week's outbox ----------------------------
VIEW_LINES = 25  # plan lines listed (the rest is counted)
MAX_VIEW = 4096  # Telegram's limit for one message


def _when(moment: datetime | None) -> str:
    return f"{moment:%m/%d %H:%M}" if moment is not None else "-"


def _who(tr: Translator, agency_id: int | None, audience: str, chat_id: int,
         names: dict[int, str]) -> str:
    if agency_id is not None and agency_id in names:
        return escape(names[agency_id])
    if audience == planner.AUDIENCE_GROUP or chat_id < 0:
        return tr("reminders.who_group")
    if audience == planner.AUDIENCE_COORDINATORS:
        return tr("reminders.who_coordinators")
    return tr("reminders.who_member")


def _error(tr: Translator, error: str) -> str:
    if error == reminder_outbox.CHAT_GONE:
        return tr("outbox.error_chat_gone")
    if error in reminder_outbox.BLOCKED_ERRORS:
        return tr("reminders.error_blocked")
    return tr("reminders.error_other")


def _outbox_rows(tr: Translator, rows: Sequence[ReminderLog], key: str, names: dict[int, str],
                 budget: int) -> list[str]:
    lines = [tr(key, when=_when(row.due_at), kind=kind_label(tr, row.kind),
                who=_who(tr, row.agency_id, "", row.chat_id, names),
                error=_error(tr, row.last_error))
             for row in rows[:budget]]
    if len(rows) > budget:
        lines.append(tr("reminders.view_more", count=len(rows) - budget))
    return lines


def overview_text(tr: Translator, view: reminder_outbox.Overview) -> str:
    """/reminders: the plan, the counts by state, then what needs a person: the failed, the
    ambiguous (delivered or not, nobody knows: never sent again) and the expired."""
    names = view.agency_names
    lines = [tr("reminders.view_title"), tr("reminders.view_plan_title", count=len(view.plan))]
    for notice in view.plan[:VIEW_LINES]:
        lines.append(tr(
            "reminders.view_plan_line", when=_when(notice.due_at),
            kind=kind_label(tr, notice.kind),
            who=_who(tr, notice.agency_id, notice.audience, 0, names),
            recipients=len(set(notice.chat_ids)),
        ))
    if len(view.plan) > VIEW_LINES:
        lines.append(tr("reminders.view_more", count=len(view.plan) - VIEW_LINES))
    if not view.plan:
        lines.append(tr("reminders.view_plan_empty"))
    c = view.counts
    lines.append(tr("reminders.view_log_title", sent=c.get("sent", 0), failed=c.get("failed", 0),
                    expired=c.get("expired", 0), pending=c.get("pending", 0),
                    skipped=c.get("skipped", 0)))
    if c.get("skipped"):
        lines.append(tr("reminders.view_skipped_hint"))
    lines += _outbox_rows(tr, view.failed, "reminders.view_failed_line", names, 10)
    if view.ambiguous:
        lines.append(tr("outbox.view_ambiguous_title", count=len(view.ambiguous)))
        lines += _outbox_rows(tr, view.ambiguous, "reminders.view_unconfirmed_line", names, 10)
    lines += _outbox_rows(tr, view.expired, "reminders.view_expired_line", names, 10)
    text = "\n".join(lines)
    if len(text) > MAX_VIEW:
        text = text[: MAX_VIEW - 2].rsplit("\n", 1)[0] + "\n…"
    return text
