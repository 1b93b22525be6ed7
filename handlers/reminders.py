"""/reminders for coordinators (the coming week's plan, the last week's outbox) and the buttons
of reminder messages that lead to a feature's command."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters.context import ItdaContext
from handlers.common import answer, requires, say
from rendering.reminders import overview_text
from services import reminder_outbox


@requires("reminders")
async def show_reminders(update: Update, context: ItdaContext) -> None:
    """The coming week's plan and the last week's outbox (sent, failed, ambiguous, expired)."""
    async with context.runtime.session() as session:
        view = await reminder_outbox.overview(session=session, now=context.runtime.clock.now())
    await say(update, context, overview_text(context.tr, view))


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
