"""/followups and the buttons of follow-up (사후관리): a 새일센터's points to answer with one tap
(근무 중, 퇴사, 연락 안 됨, 나중에), and for coordinators the counts per centre.

퇴사 is a short form (one ConversationHandler): the day it ended (buttons for this month and last
month, or a typed date), then an optional reason; it is stored once, at the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from adapters.context import ItdaContext
from core.errors import DomainError
from core.statuses import AgencyKind, FollowUpState, LeaveReason
from core.text import clean_text
from handlers import common
from handlers.common import END, Press, Refused, form, not_command, requires, say, typed
from rendering import followups as render
from services import followups, validation

T = TypeVar("T")

LEFT_DATE, LEFT_REASON = range(2)
DRAFT = "followup_left"  # user_data: the point being answered 퇴사, its start and the date

ANSWER_STATES = {"emp": FollowUpState.EMPLOYED, "unr": FollowUpState.UNREACHABLE}


def _point_id(update: Update) -> int | None:
    query = update.callback_query
    parts = (query.data or "").split(":") if query else []
    return int(parts[-1]) if parts and parts[-1].isdigit() else None


async def _already(update: Update, context: ItdaContext, error: DomainError) -> bool:
    """A point answered before (a double tap, an old reminder): said quietly in the button's
    answer, with what it holds. True when that was the refusal."""
    if error.key != "followup.already":
        return False
    state = str(error.values.get("state", ""))
    label = render.state_label(context.tr, state)
    await common.answer(update, context.tr("followup.already", state=label))
    return True


async def _run(
    update: Update, context: ItdaContext, service: Callable[..., Awaitable[T]], /, **kwargs: Any
) -> T | Refused:
    """`attempt`, but a point answered already is said quietly in the button's answer."""
    try:
        return await common.call(update, context, service, **kwargs)
    except DomainError as error:
        if not await _already(update, context, error):
            await common.explain(update, context, error)
        return common.REFUSED


@requires("followups")
async def followups_command(update: Update, context: ItdaContext) -> None:
    """A centre's points to answer; a coordinator's counts per centre (no names)."""
    tr, today = context.tr, context.runtime.clock.today()
    agency = context.agency
    if agency is None or agency.kind != AgencyKind.SAEIL_CENTER:
        counts = await common.attempt(update, context, followups.counts_by_centre, today=today)
        if not isinstance(counts, Refused):
            await say(update, context, render.counts_text(tr, counts))
        return
    views = await common.attempt(update, context, followups.due_for_centre, today=today)
    if isinstance(views, Refused):
        return
    text, buttons = render.list_screen(tr, views)
    await say(update, context, text, common.keyboard(buttons) if buttons else None)


async def open_list(update: Update, context: ItdaContext) -> None:
    context.args = []
    await followups_command(update, context)


async def open_point(update: Update, context: ItdaContext) -> None:
    point_id = _point_id(update)
    if point_id is None:
        return
    view = await _run(update, context, followups.point_for_centre, point_id=point_id,
                      today=context.runtime.clock.today())
    if isinstance(view, Refused):
        return
    text, buttons = render.point_screen(context.tr, view)
    await say(update, context, text, common.keyboard(buttons), edit=True)


async def answer_point(update: Update, context: ItdaContext) -> None:
    """근무 중 or 연락 안 됨: stored at once."""
    query = update.callback_query
    point_id = _point_id(update)
    action = (query.data or "").split(":")[1] if query else ""
    if point_id is None or action not in ANSWER_STATES:
        return
    await _record(update, context, point_id, ANSWER_STATES[action])


async def _record(
    update: Update, context: ItdaContext, point_id: int, state: FollowUpState,
    left_on: date | None = None, reason: LeaveReason | None = None,
) -> bool:
    runtime = context.runtime
    view = await _run(update, context, followups.point_for_centre, point_id=point_id,
                      today=runtime.clock.today())
    if isinstance(view, Refused):
        return False
    done = await _run(update, context, followups.answer, clock=runtime.clock,
                      point_id=point_id, state=state, left_on=left_on, reason=reason)
    if isinstance(done, Refused):
        return False
    await common.answer(update)
    await say(update, context, render.saved_text(
        context.tr, view, done.point.state, left_on=left_on, reason=reason, also=len(done.also),
    ), edit=True)
    return True


async def later(update: Update, context: ItdaContext) -> None:
    point_id = _point_id(update)
    if point_id is None:
        return
    point = await _run(update, context, followups.later, clock=context.runtime.clock,
                       point_id=point_id)
    if isinstance(point, Refused) or point.ask_on is None:
        return
    await common.answer(update)
    await say(update, context, context.tr(
        "followup.later_set", date=render.day(point.ask_on), asks=point.asks,
        max=followups.MAX_ASKS,
    ), edit=True)


# --- 퇴사: the date, then the reason ----------------------------------------------------------
def _draft(context: ItdaContext) -> dict[str, object]:
    assert context.user_data is not None
    return context.user_data.setdefault(DRAFT, {})


async def left_start(update: Update, context: ItdaContext) -> int:
    """The point is checked first (another centre's is refused before any question)."""
    point_id = _point_id(update)
    if point_id is None:
        return END
    view = await _run(update, context, followups.point_for_centre, point_id=point_id,
                      today=context.runtime.clock.today())
    if isinstance(view, Refused):
        return END
    await common.answer(update)
    assert context.user_data is not None
    context.user_data[DRAFT] = {"point": point_id, "start": view.hired_on.isoformat()}
    await _ask_date(update, context)
    return LEFT_DATE


async def _ask_date(update: Update, context: ItdaContext, error: str | None = None) -> None:
    tr = context.tr
    text = tr("followup.left_ask_date")
    if error:
        text = f"{error}\n\n{text}"
    await say(update, context, text, common.keyboard([
        [(tr("followup.btn_this_month"), "fu:ld:this"),
         (tr("followup.btn_last_month"), "fu:ld:last")],
        [(tr("followup.btn_cancel"), "fu:x")],
    ]))


def month_start(today: date, back: int, start: date) -> date:
    """The first day of this month (`back` 0) or the last (1), never before the hire's start."""
    year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
    return max(date(year, month + 1, 1), start)


async def left_month(update: Update, context: ItdaContext) -> int:
    await common.answer(update)
    draft = _draft(context)
    if "point" not in draft:
        await say(update, context, context.tr("stale.text"))
        return END
    query = update.callback_query
    back = 1 if query is not None and query.data == "fu:ld:last" else 0
    start = date.fromisoformat(str(draft["start"]))
    draft["left_on"] = month_start(context.runtime.clock.today(), back, start).isoformat()
    return await _ask_reason(update, context)


async def left_typed(update: Update, context: ItdaContext) -> int:
    draft = _draft(context)
    message = update.effective_message
    if "point" not in draft or message is None:
        return END
    text = message.text or ""
    tr = context.tr
    compact = clean_text(text, max_length=40).replace(" ", "")
    if compact in (tr("followup.btn_this_month").replace(" ", ""),
                   tr("followup.btn_last_month").replace(" ", "")):
        back = 0 if compact == tr("followup.btn_this_month").replace(" ", "") else 1
        start = date.fromisoformat(str(draft["start"]))
        draft["left_on"] = month_start(context.runtime.clock.today(), back, start).isoformat()
        return await _ask_reason(update, context)
    try:
        left_on = validation.parse_date(text, today=context.runtime.clock.today(),
                                        allow_future=False)
    except DomainError as error:
        await _ask_date(update, context, tr(error.key, **error.shown))
        return LEFT_DATE
    start = date.fromisoformat(str(draft["start"]))
    if left_on < start:
        await _ask_date(update, context,
                        tr("followup.left_before_start", start=render.day(start)))
        return LEFT_DATE
    draft["left_on"] = left_on.isoformat()
    return await _ask_reason(update, context)


async def _ask_reason(update: Update, context: ItdaContext) -> int:
    tr = context.tr
    rows = [[(render.reason_label(tr, r), f"fu:lr:{r}") for r in render.REASONS[i:i + 2]]
            for i in range(0, len(render.REASONS), 2)]
    rows.append([(tr("followup.btn_skip"), "fu:lr:skip")])
    await say(update, context, tr("followup.left_ask_reason"), common.keyboard(rows))
    return LEFT_REASON


def reason_of(text: str, context: ItdaContext) -> LeaveReason | None | str:
    """A typed reason: a label ('계약 만료', '계약만료'), 건너뛰기, or '' when it is neither."""
    compact = clean_text(text, max_length=40).replace(" ", "")
    for reason in render.REASONS:
        if compact == render.reason_label(context.tr, reason).replace(" ", ""):
            return reason
    if compact in (context.tr("followup.btn_skip").replace(" ", ""), "skip"):
        return None
    return ""


async def left_reason(update: Update, context: ItdaContext) -> int:
    draft = _draft(context)
    if "left_on" not in draft:
        await common.answer(update)
        await say(update, context, context.tr("stale.text"))
        return END
    query = update.callback_query
    if query is not None:
        code = (query.data or "").split(":")[-1]
        reason: LeaveReason | None | str = None if code == "skip" else (
            LeaveReason(code) if code in set(LeaveReason) else "")
    else:
        message = update.effective_message
        reason = reason_of(message.text or "" if message else "", context)
    if reason == "":
        await say(update, context, context.tr("followup.use_buttons"))
        return LEFT_REASON
    assert reason is None or isinstance(reason, LeaveReason)
    saved = await _record(update, context, int(str(draft["point"])), FollowUpState.LEFT,
                          left_on=date.fromisoformat(str(draft["left_on"])), reason=reason)
    if not saved:
        await common.answer(update)
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    return END


async def left_cancel(update: Update, context: ItdaContext) -> int:
    await common.answer(update)
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    await say(update, context, context.tr("followup.cancelled"))
    return END


async def use_buttons(update: Update, context: ItdaContext) -> int:
    await say(update, context, context.tr("followup.use_buttons"))
    return LEFT_DATE


def build_conversation() -> ConversationHandler:
    return form(
        "followup_left",
        [CallbackQueryHandler(left_start, pattern=r"^fu:left:\d{1,9}$")],
        {
            LEFT_DATE: [CallbackQueryHandler(left_month, pattern=r"^fu:ld:(this|last)$"),
                        typed(left_typed), not_command(use_buttons)],
            LEFT_REASON: [CallbackQueryHandler(left_reason, pattern=r"^fu:lr:\w+$"),
                          typed(left_reason)],
        },
        left_cancel, r"^fu:x$",
    )


# Screens are answered at once (Press); an answer's button is answered after the service ran,
# so a point answered already is said in the button's answer.
HANDLERS = [
    CommandHandler("followups", followups_command),
    *(Press(screen, pattern) for screen, pattern in (
        (open_list, r"^fu:list$"), (open_point, r"^fu:open:\d{1,9}$"))),
    *(CallbackQueryHandler(step, pattern=pattern) for step, pattern in (
        (answer_point, r"^fu:(emp|unr):\d{1,9}$"), (later, r"^fu:later:\d{1,9}$"))),
]
