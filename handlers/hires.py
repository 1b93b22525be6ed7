"""/hires: correct a recorded hire's start date, or take back a hire recorded by mistake (the
opening gets its position back, the seeker is looking again, her follow-ups still to answer move
or are cancelled: `services.hires`). One ConversationHandler; buttons throughout, a typed date
taken too."""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from adapters.context import ItdaContext
from core.errors import DomainError
from core.text import escape, shorten
from handlers.common import (
    END,
    Refused,
    answer,
    attempt,
    canceller,
    draft_of,
    drop_draft,
    form,
    in_rows,
    keyboard,
    not_command,
    pressed_id,
    requires,
    say,
    stale,
    typed,
)
from rendering.records import opening_line, seeker_line
from services import hires, match_views
from services import validation as v

PICK, DETAIL, NEW_DATE, TAKE_BACK = range(4)
DRAFT = "hires"  # user_data: {"hire": id} of the hire on screen
LIST_LIMIT = 10


@requires("hires")
async def hires_command(update: Update, context: ItdaContext) -> int:
    """The hires this member may correct, the latest first, one button each."""
    views = await attempt(update, context, match_views.recorded_hires, limit=LIST_LIMIT)
    if isinstance(views, Refused):
        return END
    if not views:
        await say(update, context, context.tr("hires.none"))
        return END
    buttons = [
        (context.tr("hires.button", id=view.id, name=view.seeker.name,
                    company=shorten(view.opening.company_name, 14),
                    date=f"{view.hired_on.month}/{view.hired_on.day}"),
         f"hs:h:{view.id}")
        for view in views
    ]
    rows = in_rows(buttons, 1) + [[(context.tr("hires.btn_close"), "hs:x")]]
    await say(update, context, context.tr("hires.choose", count=LIST_LIMIT), keyboard(rows))
    return PICK


async def _view(update: Update, context: ItdaContext, hire_id: int,
                ) -> match_views.HireView | Refused:
    return await attempt(update, context, match_views.hire_view, hire_id=hire_id)


def _lines(context: ItdaContext, view: match_views.HireView) -> dict[str, object]:
    return {"id": view.id, "seeker": seeker_line(context, view.seeker),
            "opening": opening_line(context, view.opening)}


async def hire_picked(update: Update, context: ItdaContext) -> int:
    """One hire: what it holds, and what can be done with it."""
    hire_id = await pressed_id(update)
    view = await _view(update, context, hire_id)
    if isinstance(view, Refused):
        drop_draft(context, DRAFT)
        return END
    assert context.user_data is not None
    context.user_data[DRAFT] = {"hire": hire_id}
    markup = keyboard([
        [(context.tr("hires.btn_date"), "hs:d"), (context.tr("hires.btn_take_back"), "hs:del")],
        [(context.tr("hires.btn_close"), "hs:x")],
    ])
    text = context.tr("hires.detail", **_lines(context, view), date=view.hired_on.isoformat())
    await say(update, context, text, markup, edit=True)
    return DETAIL


async def _ask_date(update: Update, context: ItdaContext, *, error: str = "",
                    edit: bool = True) -> int:
    markup = keyboard([[(context.tr("hire.btn_today"), "hs:today"),
                        (context.tr("common.btn_cancel"), "hs:x")]])
    text = context.tr("hires.ask_date")
    await say(update, context, f"{error}\n\n{text}" if error else text, markup, edit=edit)
    return NEW_DATE


async def ask_date(update: Update, context: ItdaContext) -> int:
    await answer(update)
    if draft_of(context, DRAFT) is None:
        return await stale(update, context)
    return await _ask_date(update, context)


async def _change(update: Update, context: ItdaContext, hired_on: date) -> int:
    draft = draft_of(context, DRAFT)
    if draft is None:
        return await stale(update, context)
    changed = await attempt(update, context, hires.change_start, hire_id=draft["hire"],
                            hired_on=hired_on)
    drop_draft(context, DRAFT)
    if isinstance(changed, Refused):
        return END
    await say(update, context, context.tr("hires.date_changed", id=changed.id,
                                          date=changed.hired_on.isoformat()),
              edit=update.callback_query is not None)
    return END


async def date_typed(update: Update, context: ItdaContext) -> int:
    assert update.message is not None
    if draft_of(context, DRAFT) is None:
        return await stale(update, context)
    try:
        hired_on = v.parse_date(update.message.text, today=context.runtime.clock.today(),
                                allow_future=False)
    except DomainError as error:
        return await _ask_date(update, context, error=context.tr(error.key, **error.shown),
                               edit=False)
    return await _change(update, context, hired_on)


async def date_today(update: Update, context: ItdaContext) -> int:
    await answer(update)
    return await _change(update, context, context.runtime.clock.today())


async def ask_take_back(update: Update, context: ItdaContext) -> int:
    """Taking a hire back changes the opening, the seeker and her follow-ups: confirm first."""
    await answer(update)
    draft = draft_of(context, DRAFT)
    if draft is None:
        return await stale(update, context)
    view = await _view(update, context, draft["hire"])
    if isinstance(view, Refused):
        drop_draft(context, DRAFT)
        return END
    markup = keyboard([[(context.tr("hires.btn_take_back_yes"), "hs:delok"),
                        (context.tr("hires.btn_keep"), "hs:x")]])
    await say(update, context, context.tr("hires.confirm_take_back", **_lines(context, view)),
              markup, edit=True)
    return TAKE_BACK


async def take_back(update: Update, context: ItdaContext) -> int:
    """네, 취소합니다: the draft is taken out first (a double tap finds nothing)."""
    await answer(update)
    draft = context.user_data.pop(DRAFT, None) if context.user_data is not None else None
    if not isinstance(draft, dict):
        return await stale(update, context)
    view = await _view(update, context, draft["hire"])
    if isinstance(view, Refused):
        return END
    done = await attempt(update, context, hires.delete_hire, hire_id=draft["hire"])
    if isinstance(done, Refused):
        return END
    await say(update, context, context.tr("hires.taken_back", id=done.id,
                                          company=escape(view.opening.company_name)), edit=True)
    return END


hires_close = canceller(DRAFT, said="hires.kept")


async def use_buttons(update: Update, context: ItdaContext) -> None:
    await say(update, context, context.tr("records.use_buttons"))


def build_conversation() -> ConversationHandler:
    return form(
        "hires",
        entry_points=[CommandHandler("hires", hires_command)],
        states={
            PICK: [CallbackQueryHandler(hire_picked, pattern=r"^hs:h:\d{1,9}$"),
                   not_command(use_buttons)],
            DETAIL: [CallbackQueryHandler(ask_date, pattern=r"^hs:d$"),
                     CallbackQueryHandler(ask_take_back, pattern=r"^hs:del$"),
                     not_command(use_buttons)],
            NEW_DATE: [typed(date_typed),
                       CallbackQueryHandler(date_today, pattern=r"^hs:today$")],
            TAKE_BACK: [CallbackQueryHandler(take_back, pattern=r"^hs:delok$"),
                        not_command(use_buttons)],
        },
        cancel=hires_close,
        cancel_pattern=r"^hs:x$",
    )
