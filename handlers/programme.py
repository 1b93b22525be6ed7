"""/programme and /targets: coordinators change step dates and agency targets (audited)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from adapters.context import ItdaContext
from core.errors import DomainError
from core.text import escape
from handlers.common import (
    END,
    Callback,
    Refused,
    actor,
    answer,
    ask_agency,
    attempt,
    cancel_row,
    canceller,
    draft_of,
    from_button,
    in_rows,
    keep_pressed,
    keyboard,
    pressed_id,
    requires,
    say,
    stale,
    typed,
)
from services import programme, targets
from services.targets import METRICS

PICK_STEP, PICK_FIELD, TYPE_DATE = range(3)
PICK_AGENCY, PICK_METRIC, TYPE_VALUE = range(3, 6)
STEP_DRAFT, TARGET_DRAFT = "programme_draft", "target_draft"


def _day(value: object) -> str:
    return f"{value.month}/{value.day}" if value is not None else "-"  # type: ignore[attr-defined]


@requires("programme")
async def start_programme(update: Update, context: ItdaContext) -> int:
    """The six steps with their dates, one button each."""
    await answer(update)
    today = context.runtime.clock.today()
    async with context.runtime.session() as session:
        steps = await programme.programme_steps(session=session, year=today.year, today=today)
    lines = [context.tr("programme.title", year=today.year)]
    buttons = []
    for step in steps:
        lines.append(context.tr("programme.line", number=step.number, title=context.tr(
            step.title_key), starts=_day(step.starts_on), due=_day(step.due_on),
            done=_day(step.completed_on), owner=escape(step.owner or "-")))
        label = f"{step.number}. {context.tr(step.title_key)}"
        buttons.append((label, f"prog:step:{step.number}"))
    rows = in_rows(buttons, 1) + [cancel_row(context, "prog")]
    await say(update, context, "\n".join(lines), keyboard(rows))
    return PICK_STEP


async def pick_field(update: Update, context: ItdaContext) -> int:
    number = await pressed_id(update)
    assert context.user_data is not None
    context.user_data[STEP_DRAFT] = {"number": number}
    rows = [
        [(context.tr("programme.btn_starts"), "prog:f:starts_on"),
         (context.tr("programme.btn_due"), "prog:f:due_on")],
        [(context.tr("programme.btn_done"), "prog:f:completed_on"),
         (context.tr("programme.btn_undone"), "prog:undone")],
        cancel_row(context, "prog"),
    ]
    text = context.tr("programme.pick_field", number=number,
                      title=context.tr(programme.STEP_TITLE_KEYS[number - 1]))
    await say(update, context, text, keyboard(rows), edit=True)
    return PICK_FIELD


async def ask_date(update: Update, context: ItdaContext) -> int:
    if await keep_pressed(update, context, STEP_DRAFT, "field") is None:
        return END
    await say(update, context, context.tr("programme.ask_date"), edit=True)
    return TYPE_DATE


async def _save_step(update: Update, context: ItdaContext, value: object) -> int:
    assert context.user_data is not None
    draft = context.user_data.get(STEP_DRAFT) or {}
    if "number" not in draft:  # the draft went with another form
        return await stale(update, context)
    runtime = context.runtime
    try:
        async with runtime.session() as session:
            step = await programme.change_step(
                session=session, clock=runtime.clock, actor=actor(update, context),
                year=runtime.clock.today().year, number=draft["number"],
                field=draft.get("field", "completed_on"), value=value,  # type: ignore[arg-type]
            )
    except DomainError as error:
        await say(update, context, context.tr(error.key, **error.shown))
        return TYPE_DATE if update.message else END
    context.user_data.pop(STEP_DRAFT, None)
    title = context.tr(programme.STEP_TITLE_KEYS[step.number - 1])
    await say(update, context, context.tr(
        "programme.saved", number=step.number, title=title,
        starts=_day(step.starts_on), due=_day(step.due_on), done=_day(step.completed_on)))
    return END


async def got_date(update: Update, context: ItdaContext) -> int:
    assert update.message is not None
    try:
        value = programme.parse_day(update.message.text or "",
                                    year=context.runtime.clock.today().year)
    except DomainError as error:
        await say(update, context, context.tr(error.key, **error.shown))
        return TYPE_DATE
    return await _save_step(update, context, value)


async def undone(update: Update, context: ItdaContext) -> int:
    await answer(update)
    draft = draft_of(context, STEP_DRAFT)
    if not draft:
        return await stale(update, context)
    draft["field"] = "completed_on"
    return await _save_step(update, context, None)


cancel = canceller(STEP_DRAFT, TARGET_DRAFT)


def _conversation(
    command: str, prefix: str, entry: Callback, states: dict[object, list[Any]]
) -> ConversationHandler:
    """The /programme and /targets forms: the command or its button (`<prefix>:open`) opens it,
    /cancel or the cancel button (`<prefix>:cancel`) ends it."""
    return ConversationHandler(
        entry_points=[CommandHandler(command, entry),
                      CallbackQueryHandler(from_button(entry), pattern=rf"^{prefix}:open$")],
        states=states,
        fallbacks=[CommandHandler("cancel", cancel),
                   CallbackQueryHandler(cancel, pattern=rf"^{prefix}:cancel$")],
        name=command,
        persistent=True,
        allow_reentry=True,
    )


def build_programme_conversation() -> ConversationHandler:
    return _conversation("programme", "prog", start_programme, {
        PICK_STEP: [CallbackQueryHandler(pick_field, pattern=r"^prog:step:[1-6]$")],
        PICK_FIELD: [CallbackQueryHandler(ask_date, pattern=r"^prog:f:\w+$"),
                     CallbackQueryHandler(undone, pattern=r"^prog:undone$")],
        TYPE_DATE: [typed(got_date, private=True)],
    })


# --- targets -----------------------------------------------------------------------------------
@requires("targets")
async def start_targets(update: Update, context: ItdaContext) -> int:
    """Agencies as buttons."""
    await answer(update)
    asked = await ask_agency(update, context, "tgt", "target.choose_agency")
    return PICK_AGENCY if asked else END


async def pick_metric(update: Update, context: ItdaContext) -> int:
    agency_id = await pressed_id(update)
    assert context.user_data is not None
    year = context.runtime.clock.today().year
    found = await attempt(update, context, targets.agency_targets, agency_id=agency_id, year=year)
    if isinstance(found, Refused):
        return END
    agency, current = found
    context.user_data[TARGET_DRAFT] = {"agency_id": agency_id}
    buttons = [(f"{context.tr(f'status.metric.{m}')} ({current.get(m, '-')})", f"tgt:m:{m}")
               for m in METRICS]
    rows = in_rows(buttons, 2) + [cancel_row(context, "tgt")]
    await say(update, context, context.tr("target.choose_metric", agency=escape(agency.name),
                                          year=year), keyboard(rows), edit=True)
    return PICK_METRIC


async def ask_value(update: Update, context: ItdaContext) -> int:
    draft = await keep_pressed(update, context, TARGET_DRAFT, "metric")
    if draft is None:
        return END
    await say(update, context, context.tr(
        "target.ask_value", metric=context.tr(f"status.metric.{draft['metric']}"),
        limit=targets.MAX_TARGET), edit=True)
    return TYPE_VALUE


async def got_value(update: Update, context: ItdaContext) -> int:
    assert update.message is not None and context.user_data is not None
    draft = context.user_data.get(TARGET_DRAFT) or {}
    if "agency_id" not in draft or "metric" not in draft:  # the draft went with another form
        return await stale(update, context)
    runtime = context.runtime
    try:
        value = targets.parse_target_value(update.message.text or "")
        async with runtime.session() as session:
            await targets.set_target(
                session=session, clock=runtime.clock, actor=actor(update, context),
                agency_id=draft["agency_id"], year=runtime.clock.today().year,
                metric=draft["metric"], value=value,
            )
    except DomainError as error:
        await say(update, context, context.tr(error.key, **error.shown))
        return TYPE_VALUE
    context.user_data.pop(TARGET_DRAFT, None)
    await say(update, context, context.tr(
        "target.saved", metric=context.tr(f"status.metric.{draft['metric']}"), value=value))
    return END


def build_targets_conversation() -> ConversationHandler:
    return _conversation("targets", "tgt", start_targets, {
        PICK_AGENCY: [CallbackQueryHandler(pick_metric, pattern=r"^tgt:ag:\d{1,9}$")],
        PICK_METRIC: [CallbackQueryHandler(ask_value, pattern=r"^tgt:m:\w+$")],
        TYPE_VALUE: [typed(got_value, private=True)],
    })
