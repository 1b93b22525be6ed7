"""/reminders for coordinators (the coming week's plan, the last week's outbox) and the buttons
of reminder messages that lead to a feature's command."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters.context import ItdaContext
from adapters.delivery import MAX_MESSAGE as MAX_TEXT
from handlers.common import answer, requires, say
from locales import Translator
from models.tables import ReminderLog
from rendering.reminders import kind_label
from services import reminder_outbox
from services import reminders as planner

MAX_LINES = 25


def _kind(tr: Translator, kind: str) -> str:
    return kind_label(tr, kind)


def _when(moment: datetime | None) -> str:
    return f"{moment:%m/%d %H:%M}" if moment is not None else "-"


def _who(tr: Translator, agency_id: int | None, audience: str, chat_id: int,
         names: dict[int, str]) -> str:
    if agency_id is not None and agency_id in names:
        return html.escape(names[agency_id])
    if audience == planner.AUDIENCE_GROUP or chat_id < 0:
        return tr("reminders.who_group")
    if audience == planner.AUDIENCE_COORDINATORS:
        return tr("reminders.who_coordinators")
    return tr("reminders.who_member")


def _rows(tr: Translator, rows: Sequence[ReminderLog], key: str, names: dict[int, str],
          budget: int) -> list[str]:
    lines = []
    for row in rows[:budget]:
        error = tr("reminders.error_blocked") if row.last_error == reminder_outbox.BLOCKED \
            else tr("reminders.error_other")
        lines.append(tr(key, when=_when(row.due_at), kind=_kind(tr, row.kind),
                        who=_who(tr, row.agency_id, "", row.chat_id, names), error=error))
    if len(rows) > budget:
        lines.append(tr("reminders.view_more", count=len(rows) - budget))
    return lines


@requires("reminders")
async def show_reminders(update: Update, context: ItdaContext) -> None:
    """The coming week's plan and the last week's outbox (sent, failed, expired)."""
    tr = context.tr
    async with context.runtime.session() as session:
        view = await reminder_outbox.overview(session=session, now=context.runtime.clock.now())
    lines = [tr("reminders.view_title"), tr("reminders.view_plan_title", count=len(view.plan))]
    for notice in view.plan[:MAX_LINES]:
        lines.append(tr(
            "reminders.view_plan_line", when=_when(notice.due_at), kind=_kind(tr, notice.kind),
            who=_who(tr, notice.agency_id, notice.audience, 0, view.agency_names),
            recipients=len(set(notice.chat_ids)),
        ))
    if len(view.plan) > MAX_LINES:
        lines.append(tr("reminders.view_more", count=len(view.plan) - MAX_LINES))
    if not view.plan:
        lines.append(tr("reminders.view_plan_empty"))
    c = view.counts
    lines.append(tr("reminders.view_log_title", sent=c.get("sent", 0), failed=c.get("failed", 0),
                    expired=c.get("expired", 0), pending=c.get("pending", 0),
                    skipped=c.get("skipped", 0)))
    if c.get("skipped"):
        lines.append(tr("reminders.view_skipped_hint"))
    lines += _rows(tr, view.failed, "reminders.view_failed_line", view.agency_names, 10)
    lines += _rows(tr, view.unconfirmed, "reminders.view_unconfirmed_line", view.agency_names, 5)
    lines += _rows(tr, view.expired, "reminders.view_expired_line", view.agency_names, 10)
    text = "\n".join(lines)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 2].rsplit("\n", 1)[0] + "\n…"
    await say(update, context, text)


async def open_command(update: Update, context: ItdaContext) -> None:
    """A reminder's button: point at the feature's command (tappable in the message)."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    command = query.data.rsplit(":", 1)[1]
    await say(update, context, context.tr("reminders.open_hint", command=command))


HANDLERS = [
    CommandHandler("reminders", show_reminders),
    CallbackQueryHandler(open_command, pattern=r"^rem:open:(opening|seeker|report)$"),
]
