"""/export (coordinators): the season's workbook for the November analysis, or CSV files."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters.context import ItdaContext
from core.errors import DomainError, NotAllowed
from handlers.common import answer, chat_kind, explain, keyboard, requires, say
from services import export, programme, reports
from services.commands import PRIVATE
from services.membership import Actor


async def season(context: ItdaContext) -> tuple[date, date]:
    """This year's programme: the first day of step 1's month to step 6's due date."""
    today = context.runtime.clock.today()
    async with context.runtime.session() as session:
        steps = await programme.programme_steps(session=session, year=today.year, today=today)
    first = steps[0].starts_on or steps[0].due_on
    return date(first.year, first.month, 1), steps[-1].due_on


@requires("export")
async def start_export(update: Update, context: ItdaContext) -> None:
    """`/export 2026-07-01 2026-11-30`, or buttons for the season and the last two months."""
    args = context.args or []
    if len(args) == 2:
        try:
            start, end = export.parse_period(args[0], args[1])
        except DomainError as error:
            await explain(update, context, error)
            return
        await _send(update, context, start, end, csv=False)
        return
    if args:
        await explain(update, context, DomainError("export.bad_period"))
        return
    first, last = await season(context)
    today = context.runtime.clock.today()
    this_month = date(today.year, today.month, 1)
    previous = (this_month - timedelta(days=1)).replace(day=1)
    rows = [
        [(context.tr("export.btn_season", start=first.isoformat(), end=last.isoformat()),
          f"exp:x:{first:%Y%m%d}:{last:%Y%m%d}")],
        [(context.tr("export.btn_month", month=reports.month_of(this_month)),
          f"exp:x:{this_month:%Y%m%d}:{today:%Y%m%d}"),
         (context.tr("export.btn_month", month=reports.month_of(previous)),
          f"exp:x:{previous:%Y%m%d}:{this_month - timedelta(days=1):%Y%m%d}")],
    ]
    await say(update, context, context.tr("export.choose"), keyboard(rows))


async def button(update: Update, context: ItdaContext) -> None:
    """exp:x:<from>:<to> sends the workbook, exp:c:<from>:<to> the CSV files (zipped)."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    if not Actor(query.from_user.id, context.member).is_lead:
        await explain(update, context, DomainError("auth.leads_only"))
        return
    if chat_kind(update) != PRIVATE:  # seekers' data (even masked) never goes to a group
        await explain(update, context, NotAllowed("auth.private_only", command="export"))
        return
    if query.data == "exp:open":
        context.args = []
        await start_export(update, context)
        return
    _, kind, start, end = query.data.split(":")
    try:
        first = date(int(start[:4]), int(start[4:6]), int(start[6:]))
        last = date(int(end[:4]), int(end[4:6]), int(end[6:]))
    except ValueError:  # an old or forged button naming no real day
        await explain(update, context, DomainError("export.bad_period"))
        return
    await _send(update, context, first, last, csv=kind == "c")


async def _send(
    update: Update, context: ItdaContext, start: date, end: date, *, csv: bool
) -> None:
    runtime = context.runtime
    member = context.member
    chat = update.effective_chat
    assert chat is not None
    try:
        async with runtime.session() as session:
            data = await export.build_export(
                session=session, clock=runtime.clock, start=start, end=end, tr=context.tr,
                requester_agency_id=member.agency_id if member else None,
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    name = f"itda-{start:%Y%m%d}-{end:%Y%m%d}"
    caption = context.tr("export.caption", start=start.isoformat(), end=end.isoformat())
    if csv:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for filename, content in export.to_csv(data, context.tr).items():
                archive.writestr(filename, content)
        await context.bot.send_document(chat.id, buffer.getvalue(), filename=f"{name}-csv.zip",
                                        caption=caption)
        return
    workbook = export.to_xlsx(data, context.tr)
    markup = keyboard([[(context.tr("export.btn_csv"), f"exp:c:{start:%Y%m%d}:{end:%Y%m%d}")]])
    await context.bot.send_document(chat.id, workbook, filename=f"{name}.xlsx", caption=caption,
                                    reply_markup=markup)


HANDLERS = [
    CommandHandler("export", start_export),
    CallbackQueryHandler(button, pattern=r"^exp:(open|[xc]:\d{8}:\d{8})$"),
]
