"""The text and buttons of follow-up (사후관리): a centre's list, one point, what was recorded,
the coordinators' counts, and the follow-up reminders (rendered from the outbox payload)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from core.statuses import FollowUpState, LeaveReason
from core.text import escape
from locales import Translator
from services.followups import MAX_ASKS, CentreCounts, PointView

Button = tuple[str, str]
MAX_LISTED = 20  # points with a button in /followups (the oldest first)
REASONS = tuple(LeaveReason)


def day(value: date) -> str:
    return f"{value.year}.{value.month}.{value.day}"


def state_label(tr: Translator, state: str) -> str:
    return tr(f"followup.state.{state}")


def reason_label(tr: Translator, reason: str) -> str:
    return tr(f"followup.reason.{reason}")


def answer_buttons(tr: Translator, point_id: int, *, later: bool = True) -> list[list[Button]]:
    rows = [
        [(tr("followup.btn_employed"), f"fu:emp:{point_id}"),
         (tr("followup.btn_left"), f"fu:left:{point_id}")],
        [(tr("followup.btn_unreachable"), f"fu:unr:{point_id}")],
    ]
    if later:
        rows[1].append((tr("followup.btn_later"), f"fu:later:{point_id}"))
    return rows


def point_text(tr: Translator, view: PointView) -> str:
    return tr(
        "followup.point", months=view.months, seeker=escape(view.seeker),
        company=escape(view.company), title=escape(view.title), start=day(view.hired_on),
        due=day(view.due_on),
        overdue=tr("followup.overdue_line") if view.overdue else "",
    )


def point_screen(tr: Translator, view: PointView) -> tuple[str, list[list[Button]]]:
    return point_text(tr, view), answer_buttons(tr, view.point_id, later=view.asks < MAX_ASKS)


def list_screen(tr: Translator, views: Sequence[PointView]) -> tuple[str, list[list[Button]]]:
    if not views:
        return tr("followup.list_empty"), []
    overdue = sum(v.overdue for v in views)
    lines = [tr("followup.list_title", count=len(views), overdue=overdue)]
    buttons: list[list[Button]] = []
    for view in views[:MAX_LISTED]:
        label = tr("followup.list_button", seeker=view.seeker, months=view.months,
                   due=day(view.due_on), mark="⏰ " if view.overdue else "")
        buttons.append([(label, f"fu:open:{view.point_id}")])
    if len(views) > MAX_LISTED:
        lines.append(tr("followup.list_more", count=len(views) - MAX_LISTED))
    return "\n".join(lines), buttons


def saved_text(
    tr: Translator, view: PointView, state: str, *, left_on: date | None = None,
    reason: str | None = None, also: int = 0,
) -> str:
    if state == FollowUpState.LEFT and left_on is not None:
        outcome = tr("followup.outcome_left", date=day(left_on),
                     reason=tr("followup.reason_part", reason=reason_label(tr, reason))
                     if reason else "")
    else:
        outcome = state_label(tr, state)
    text = tr("followup.saved", seeker=escape(view.seeker), months=view.months, outcome=outcome)
    if also:
        text += "\n" + tr("followup.saved_also", count=also)
    return text


def counts_text(tr: Translator, counts: Mapping[int, CentreCounts]) -> str:
    if not counts:
        return tr("followup.counts_empty")
    lines = [tr("followup.counts_title")]
    for c in sorted(counts.values(), key=lambda c: c.agency):
        lines.append(tr("followup.counts_line", agency=escape(c.agency or "-"), due=c.due,
                        overdue=c.overdue))
    return "\n".join(lines)


# --- reminders ------------------------------------------------------------------------------
def reminder(tr: Translator, p: dict[str, Any]) -> tuple[str, list[Button]]:
    """A point asked of its centre: the payload plus the seeker's name, added at send time
    (a reminder's buttons stand one a row)."""
    text = tr(
        "followup.reminder", months=p["months"], seeker=escape(p.get("seeker") or "-"),
        company=escape(p["company"]), title=escape(p["title"]),
        start=day(date.fromisoformat(p["hired_on"])),
        last=tr("followup.reminder_last") if p.get("last") else "",
    )
    rows = answer_buttons(tr, int(p["point"]), later=not p.get("last"))
    return text, [button for row in rows for button in row]


def overdue_reminder(tr: Translator, p: dict[str, Any]) -> tuple[str, list[Button]]:
    return (tr("followup.overdue_reminder", count=p["count"]),
            [(tr("followup.btn_open_list"), "fu:list")])


def summary_reminder(tr: Translator, p: dict[str, Any]) -> str:
    rows = p.get("rows", [])
    lines = [tr("followup.summary_line", agency=escape(r["agency"]), count=r["count"])
             for r in rows]
    return tr("followup.summary", count=sum(r["count"] for r in rows), lines="\n".join(lines))
