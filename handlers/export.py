"""/export (coordinators): the November analysis workbook (성과 요약 first), or CSV files.

`/export` offers this month, last month, the programme year to date, the whole year including
late entries, and a typed range (`/export 2026-07-01 2026-12-31`). The workbook is in the
requester's language and goes to the private chat only: seekers' data (even masked) never goes
to a group.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import date

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters.context import ItdaContext
from core.errors import DomainError
from handlers.common import (
    Refused,
    answer,
    attempt,
    chat_kind,
    explain,
    keyboard,
    private_chat_button,
    requires,
    say,
)
from rendering import workbook
from services import export
from services.commands import PRIVATE
from services.membership import Actor


@requires("export")
async def start_export(update: Update, context: ItdaContext) -> None:
    """`/export FROM TO` sends the workbook; `/export` alone offers the periods as buttons."""
    args = context.args or []
    if args:
        if len(args) != 2:
            await explain(update, context, DomainError("analysis.typed_hint"))
            return
        try:
            start, end = export.parse_period(args[0], args[1])
        except DomainError as error:
            await explain(update, context, error)
            return
        await _send(update, context, start, end, csv=False)
        return
    choices = await attempt(update, context, export.period_choices,
                            today=context.runtime.clock.today())
    if isinstance(choices, Refused):
        return
    rows = [[(context.tr(f"analysis.period.{c.key}", start=f"{c.start.month}/{c.start.day}",
                         end=f"{c.end.month}/{c.end.day}"),
              f"exp:x:{c.start:%Y%m%d}:{c.end:%Y%m%d}")] for c in choices]
    rows.append([(context.tr("analysis.period.typed"), "exp:typed")])
    await say(update, context, context.tr("analysis.choose"), keyboard(rows))


async def button(update: Update, context: ItdaContext) -> None:
    """exp:x:<from>:<to> sends the workbook, exp:c:<from>:<to> the CSV files (zipped)."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    if not Actor(query.from_user.id, context.member).is_lead:
        await explain(update, context, DomainError("auth.leads_only"))
        return
    if chat_kind(update) != PRIVATE:  # seekers' data (even masked) never goes to a group
        await say(update, context, context.tr("auth.private_only", command="export"),
                  private_chat_button(context, "export"))
        return
    if query.data == "exp:open":
        context.args = []
        await start_export(update, context)
        return
    if query.data == "exp:typed":
        await say(update, context, context.tr("analysis.typed_hint"))
        return
    _, kind, start, end = query.data.split(":")
    try:
        first = date(int(start[:4]), int(start[4:6]), int(start[6:]))
        last = date(int(end[:4]), int(end[4:6]), int(end[6:]))
        export.check_period(first, last)
    except ValueError:  # an old or forged button naming no real day
        await explain(update, context, DomainError("analysis.no_such_day", text=start))
        return
    except DomainError as error:
        await explain(update, context, error)
        return
    await _send(update, context, first, last, csv=kind == "c")


async def _send(
    update: Update, context: ItdaContext, start: date, end: date, *, csv: bool
) -> None:
    member = context.member
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    data = await attempt(
        update, context, export.build_export, start=start, end=end,
        requester_agency_id=member.agency_id if member else None,
        actor_telegram_id=user.id if user else None,
        actor_member_id=member.id if member else None,
    )
    if isinstance(data, Refused):
        return
    name = f"itda-{start:%Y%m%d}-{end:%Y%m%d}"
    caption = context.tr("analysis.caption", start=start.isoformat(), end=end.isoformat())
    if csv:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for filename, content in workbook.to_csv(data, context.tr).items():
                archive.writestr(filename, content)
        await context.bot.send_document(chat.id, buffer.getvalue(), filename=f"{name}-csv.zip",
                                        caption=caption)
        return
    book = await asyncio.to_thread(workbook.to_xlsx, data, context.tr)
    markup = keyboard([[(context.tr("export.btn_csv"), f"exp:c:{start:%Y%m%d}:{end:%Y%m%d}")]])
    await context.bot.send_document(chat.id, book, filename=f"{name}.xlsx", caption=caption,
                                    reply_markup=markup)


HANDLERS = [
    CommandHandler("export", start_export),
    CallbackQueryHandler(button, pattern=r"^exp:(open|typed|[xc]:\d{8}:\d{8})$"),
]
