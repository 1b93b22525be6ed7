"""/status: the council's progress in one message (group or private), narrowed by 시군 or agency,
and its chart; a staff member's private /status shows their own agency in detail."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters.context import ItdaContext
from core.errors import DomainError
from handlers.common import (
    Refused,
    answer,
    attempt,
    council_chat_only,
    in_rows,
    is_member,
    keyboard,
    requires,
    say,
)
from locales import Translator
from rendering import chart
from rendering.status import render_agency, render_overview
from services import directory, programme, status, targets
from services.membership import Actor
from services.reports import month_of

log = logging.getLogger(__name__)


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def _is_lead(update: Update, context: ItdaContext) -> bool:
    user = update.effective_user
    return user is not None and Actor(user.id, context.member).is_lead


async def earliest_month(context: ItdaContext) -> str:
    """The first month of this year's programme (step 1's start)."""
    today = context.runtime.clock.today()
    async with context.runtime.session() as session:
        steps = await programme.programme_steps(session=session, year=today.year, today=today)
    first = steps[0].starts_on or steps[0].due_on
    return month_of(first)


def _overview_buttons(update: Update, context: ItdaContext) -> list[list[tuple[str, str]]]:
    rows = [[(context.tr("status.btn_chart"), "st:chart")]]
    if _private(update) and _is_lead(update, context):
        rows.append([(context.tr("status.btn_reports"), "rep:table"),
                     (context.tr("status.btn_programme"), "prog:open")])
        rows.append([(context.tr("status.btn_targets"), "tgt:open"),
                     (context.tr("status.btn_export"), "exp:open")])
    return rows


async def _send_overview(
    update: Update, context: ItdaContext, scope: status.Scope | None = None, *, edit: bool = False
) -> None:
    today = context.runtime.clock.today()
    async with context.runtime.session() as session:
        view = await status.build_status(session=session, today=today, scope=scope)
    text = render_overview(view, context.tr)
    await say(update, context, text, keyboard(_overview_buttons(update, context)), edit=edit)


@requires("status")
async def show_status(update: Update, context: ItdaContext) -> None:
    """The overview, a narrowed view, the chart, or (staff in private) their own agency."""
    query = " ".join(context.args or []).strip()
    chart_words = ("chart", Translator("ko")("status.chart_word"), context.tr("status.chart_word"))
    if query.lower() in chart_words:
        await send_chart(update, context)
        return
    if query:
        try:
            async with context.runtime.session() as session:
                scope = await status.resolve_scope(session=session, query=query)
        except DomainError as error:
            await _suggest(update, context, error)
            return
        await _send_overview(update, context, scope)
        return
    if _private(update) and not _is_lead(update, context) and context.agency is not None:
        await _send_own_agency(update, context)
        return
    await _send_overview(update, context)


async def _suggest(update: Update, context: ItdaContext, error: DomainError) -> None:
    """An unknown name: say so, with the closest agencies and 시군 as buttons."""
    names = [n for n in str(error.values.get("suggestions", "")).split(", ") if n and n != "-"]
    buttons = [(name, "st:q:" + name.encode()[:58].decode(errors="ignore")) for name in names]
    markup = keyboard(in_rows(buttons, 2)) if buttons else None
    await say(update, context, context.tr(error.key, **error.shown), markup)


async def _send_own_agency(update: Update, context: ItdaContext) -> None:
    agency = context.agency
    assert agency is not None
    runtime = context.runtime
    earliest = await earliest_month(context)
    async with runtime.session() as session:
        detail = await status.build_agency_detail(
            session=session, agency=agency, today=runtime.clock.today(), earliest=earliest
        )
    text = render_agency(detail, context.tr, runtime.council.region_name)
    rows = [[(context.tr("status.btn_report"), "rep:open"),
             (context.tr("status.btn_council"), "st:all")]]
    await say(update, context, text, keyboard(rows))


async def narrowed(update: Update, context: ItdaContext) -> None:
    """A suggestion button: the view narrowed to that 시군 or agency."""
    await answer(update)
    data = update.callback_query.data if update.callback_query else None
    name = (data or "").split(":", 2)[2] if data and data.count(":") >= 2 else ""
    scope = await attempt(update, context, status.resolve_scope, query=name)
    if not isinstance(scope, Refused):
        await _send_overview(update, context, scope)


async def whole_council(update: Update, context: ItdaContext) -> None:
    """From a staff member's own view: the whole council's overview."""
    await answer(update)
    if await is_member(update, context):
        await _send_overview(update, context)


async def send_chart(update: Update, context: ItdaContext) -> None:
    """The progress chart as a picture (drawn in a worker thread)."""
    await answer(update)
    if not await is_member(update, context):
        return
    today = context.runtime.clock.today()
    async with context.runtime.session() as session:
        rows = await targets.progress(session=session, year=today.year)
    title = context.tr("status.chart_title", year=today.year, today=f"{today.month}/{today.day}")
    png = await asyncio.to_thread(chart.progress_chart, rows, context.tr, title=title)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(
        chat.id, png, caption=title, filename=f"itda-status-{today.isoformat()}.png"
    )


async def agency_by_id(update: Update, context: ItdaContext) -> None:
    """Buttons that name an agency by id (from other screens)."""
    await answer(update)
    data = update.callback_query.data if update.callback_query else ""
    agency_id = int((data or "0").rsplit(":", 1)[1])
    agency = await attempt(update, context, directory.agency, agency_id=agency_id,
                           missing="status.unknown_agency_id")
    if isinstance(agency, Refused):
        return
    await _send_overview(update, context, status.Scope(agency=agency))


HANDLERS = [  # the buttons too work in a group only if it is the council's
    CommandHandler("status", show_status),
    CallbackQueryHandler(council_chat_only(send_chart), pattern=r"^st:chart$"),
    CallbackQueryHandler(council_chat_only(narrowed), pattern=r"^st:q:.+$"),
    CallbackQueryHandler(council_chat_only(whole_council), pattern=r"^st:all$"),
    CallbackQueryHandler(council_chat_only(agency_by_id), pattern=r"^st:ag:\d{1,9}$"),
]
