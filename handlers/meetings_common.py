"""What the meeting handlers share: a meeting's screen, telling members, the dates and times
asked by buttons or typed (checked by services.meetings), and the small forms' plumbing."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from adapters.context import ItdaContext
from core.errors import DomainError, NotAllowed
from core.statuses import MeetingKind
from handlers import forms
from handlers.common import (
    END,
    Refused,
    actor,
    answer,
    attempt,
    chat_kind,
    drop_draft,
    explain,
    keyboard,
    say,
    typed,
)
from locales import Translator
from rendering import meetings as text
from services import meetings as svc
from services.commands import PRIVATE
from services.forms import Also, FieldSpec, ParseEnv

log = logging.getLogger(__name__)

Screen = Callable[[Update, ItdaContext], Coroutine[Any, Any, Any]]
ScreenText = tuple[str, Sequence[Sequence[tuple[str, str]]]]  # a rendered screen: text, buttons
T = TypeVar("T")


def meeting_id(update: Update, position: int = -1) -> int:
    """The id in the pressed button's data (`feature:action:id`, or another part of it)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    return int(query.data.split(":")[position])


def action_of(update: Update) -> str:
    """The pressed button's action (its data's second part)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    return query.data.split(":")[1]


def private(func: Screen) -> Callable[[Update, ItdaContext], Coroutine[Any, Any, None]]:
    """A meeting day's screens name the host centre's seekers: never in a group chat."""

    @functools.wraps(func)
    async def screen(update: Update, context: ItdaContext) -> None:
        if chat_kind(update) != PRIVATE:
            await explain(update, context, NotAllowed("auth.private_only", command="meetings"))
            return
        await func(update, context)

    return screen


async def show_meeting(
    update: Update, context: ItdaContext, meeting_id: int, *, edit: bool = False, lead: str = ""
) -> None:
    """One meeting's screen, with the buttons the viewer's rights allow."""
    view = await attempt(update, context, svc.meeting_view, meeting_id=meeting_id)
    if isinstance(view, Refused):
        return
    assert view.meeting.id is not None
    rights = view.rights(context.runtime.clock.now())
    body = text.with_lead(lead, text.render_view(context.tr, view), "\n\n")
    markup = keyboard(text.view_rows(context.tr, view.meeting.id, rights))
    await say(update, context, body, markup, edit=edit)


async def show(
    update: Update, context: ItdaContext, screen: ScreenText, *, edit: bool = False
) -> None:
    """Send a rendered screen: its text and its buttons."""
    body, rows = screen
    await say(update, context, body, keyboard(rows), edit=edit)


async def show_found(
    update: Update,
    context: ItdaContext,
    service: Callable[..., Awaitable[T]],
    render: Callable[[T], ScreenText],
    /,
    *,
    edit: bool = False,
    **kwargs: Any,
) -> None:
    """Run one service call (`attempt`: a refusal is explained) and show what `render` makes of
    its answer."""
    found = await attempt(update, context, service, **kwargs)
    if not isinstance(found, Refused):
        await show(update, context, render(found), edit=edit)


async def confirm(
    update: Update, context: ItdaContext, question: str, button: str, action: str
) -> None:
    """Ask once more: `button` sends `action:<meeting id>`, or back to the meeting."""
    i = meeting_id(update)
    rows = text.confirm_rows(context.tr, button, f"{action}:{i}", i)
    await show(update, context, (context.tr(question), rows), edit=True)


class Reader(Protocol):
    """A member to tell something (services return them)."""

    @property
    def id(self) -> int | None: ...
    @property
    def telegram_id(self) -> int: ...
    @property
    def language(self) -> str: ...


async def notify(
    context: ItdaContext,
    members: Sequence[Reader],
    key: str,
    markup_for: Callable[[Translator], InlineKeyboardMarkup] | None = None,
    **values: object,
) -> int:
    """Send one message to each member in their own language; returns how many got it.

    A callable value is filled in with the member's translator."""
    sent = 0
    for member in members:
        tr = Translator(member.language)
        filled = {k: (v(tr) if callable(v) else v) for k, v in values.items()}
        try:
            await context.bot.send_message(
                member.telegram_id,
                tr(key, **filled),
                reply_markup=markup_for(tr) if markup_for else None,
            )
            sent += 1
        except TelegramError as exc:
            log.info("could not notify member %s: %s", member.id, type(exc).__name__)
    return sent


def others(context: ItdaContext, members: Sequence[Reader]) -> list[Reader]:
    """Everyone but the acting member (who reads the result on their own screen)."""
    me = context.member.id if context.member else None
    return [m for m in members if m.id != me]


def invitation_markup(meeting_id: int) -> Callable[[Translator], InlineKeyboardMarkup]:
    return lambda tr: keyboard(text.invitation_rows(tr, meeting_id))


async def send_notice(
    update: Update, context: ItdaContext, notice: svc.Notice, what: str
) -> None:
    """Tell the invited (and a meeting day's host centre) that the meeting was `what`."""
    m = notice.meeting
    assert m.id is not None
    council = m.kind == MeetingKind.COUNCIL
    values = text.notice_values(notice)
    markup = invitation_markup(m.id) if (what == text.MOVED and council) else None
    key = f"meetings.notice.{what}" if council else f"meetingday.notice.{what}"
    sent = await notify(context, notice.members, key, markup, **values)
    sent += await notify(
        context, notice.hosts, f"meetingday.host_notice.{what}", None,
        seekers=notice.seekers, **values,
    )
    body = text.notice_done(context.tr, notice, what, sent)
    await say(update, context, body, edit=update.callback_query is not None)


# --- dates and times: for the creation forms (handlers/forms.py) and the move form ------------
DATE_AGAIN, NEED_TIME, HAVE_START = range(3)

# A refusal at 저장 that another date fixes: the date is asked again, the rest kept.
DATE_RETRY = {"meetings.when_past": "date", "meetings.when_too_far": "date"}


def day_buttons(context: Any, draft: dict[str, Any]) -> list[tuple[str, str]]:
    """The next working days, for the forms' date question (typing '9/15 14:00' works too)."""
    today = context.runtime.clock.today()
    return [(text.day_text(context.tr, d), d.isoformat()) for d in svc.date_choices(today)]


def day_prompt(context: Any, spec: FieldSpec, values: dict[str, Any]) -> dict[str, Any]:
    """The forms' time question names the day chosen."""
    if spec.key != "time":
        return {}
    day = values.get("date")
    return {"day": text.day_text(context.tr, date.fromisoformat(day)) if day else "-"}


def meeting_flow(
    name: str,
    prefix: str,
    fields: tuple[FieldSpec, ...],
    summary_key: str,
    save: forms.Save,
    summary: forms.Values,
    sources: Mapping[str, forms.Source],
    retry: Mapping[str, str] | None = None,
) -> forms.FormFlow:
    """A meeting's creation form (a council meeting, a meeting day): the date offered as the
    next working days, the time question naming the day, a past or too distant time asking the
    date again (plus `retry`); `name` is also its command."""
    return forms.FormFlow(
        name=name, prefix=prefix, fields=fields, summary_key=summary_key, save=save,
        sources={svc.DAYS: day_buttons, **sources}, prompt_values=day_prompt,
        summary_values=summary, retry={**DATE_RETRY, **(retry or {})},
    )


def meeting_conversation(flow: forms.FormFlow, start: Screen) -> ConversationHandler:
    """The creation form's conversation, opened by its command."""
    return forms.conversation(flow, entry_points=[CommandHandler(flow.name, start)])


async def create_from(
    update: Update,
    context: ItdaContext,
    draft: dict[str, Any],
    create: Callable[..., Awaitable[T]],
    **fields: Any,
) -> T:
    """Run the form's create service once: a repeated 저장 finds what its draft made (its token);
    a refusal goes back to the form engine (forms.save, the flow's retry)."""
    async with context.runtime.session() as session:
        return await create(
            session=session, clock=context.runtime.clock, actor=actor(update, context),
            starts_at=svc.starts_at(draft["v"], context.runtime.clock.tz),
            token=forms.token_of(draft), **fields,
        )


def form_when(context: Any, values: dict[str, Any]) -> str:
    """A form's date and time as a summary shows them."""
    return text.when_text(context.tr, svc.starts_at(values, context.runtime.clock.tz))


async def ask_date(
    update: Update, context: ItdaContext, prefix: str, *, edit: bool = False, lead: str = ""
) -> None:
    """The next working days as buttons; typing '9/15 14:00' works as well."""
    days = svc.date_choices(context.runtime.clock.today())
    body = text.with_lead(lead, context.tr("meetings.ask_date"), "\n\n")
    await show(update, context, (body, text.date_rows(context.tr, prefix, days)), edit=edit)


async def ask_time(update: Update, context: ItdaContext, prefix: str, day: date) -> None:
    body = context.tr("meetings.ask_time", day=text.day_text(context.tr, day))
    rows = text.time_rows(context.tr, prefix)
    await show(update, context, (body, rows), edit=update.callback_query is not None)


async def _answer_text(update: Update) -> str:
    """The typed text, or the tapped button's value (its data's last part)."""
    query = update.callback_query
    if query is not None:
        await answer(update)
        assert query.data is not None
        return query.data.rsplit(":", 1)[1]
    assert update.message is not None
    return update.message.text or ""


async def take_date(update: Update, context: ItdaContext, draft: dict, prefix: str) -> int:
    """A date button or typed date (with or without a time), checked as the forms' date field
    is (services.meetings.date_answer); stores it in the draft."""
    clock = context.runtime.clock
    raw = await _answer_text(update)
    if update.callback_query is not None:  # a button: YYYYMMDD
        raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    try:
        day = svc.date_answer(raw, ParseEnv(today=clock.today(), now=clock.now()))
    except DomainError as error:
        await ask_date(update, context, prefix, lead=context.tr(error.key, **error.shown))
        return DATE_AGAIN
    if isinstance(day, Also):
        draft["starts_at"] = svc.starts_at({"date": day["_value"], **day}, clock.tz).isoformat()
        return HAVE_START
    draft["day"] = day
    await ask_time(update, context, prefix, date.fromisoformat(day))
    return NEED_TIME


async def take_time(update: Update, context: ItdaContext, draft: dict, prefix: str) -> bool:
    """A time button or typed time for the chosen day; False (and asked again) when invalid."""
    clock = context.runtime.clock
    raw = await _answer_text(update)
    if update.callback_query is not None:  # a button: HHMM
        raw = f"{raw[:2]}:{raw[2:]}"
    values = {"date": draft["day"]}
    try:
        values["time"] = svc.time_answer(raw, ParseEnv(today=clock.today(), draft=values,
                                                       now=clock.now()))
    except DomainError as error:
        await say(update, context, context.tr(error.key, **error.shown))
        await ask_time(update, context, prefix, date.fromisoformat(draft["day"]))
        return False
    draft["starts_at"] = svc.starts_at(values, clock.tz).isoformat()
    return True


def date_handlers(prefix: str, on_date: Screen, on_text: Screen) -> list[BaseHandler]:
    return [
        CallbackQueryHandler(on_date, pattern=rf"^{prefix}:d:\d{{8}}$"),
        typed(on_text),
    ]


def time_handlers(prefix: str, on_time: Screen) -> list[BaseHandler]:
    return [
        CallbackQueryHandler(on_time, pattern=rf"^{prefix}:t:\d{{4}}$"),
        typed(on_time),
    ]


# --- the small forms (move, notes, capacity): a draft of one meeting, /cancel ------------------
def open_draft(update: Update, context: ItdaContext, key: str) -> None:
    """A small form's draft, for the meeting of the pressed button."""
    assert context.user_data is not None
    context.user_data[key] = {"meeting_id": meeting_id(update)}


async def stale(update: Update, context: ItdaContext) -> int:
    await answer(update)
    await say(update, context, context.tr("stale.text"))
    return END


async def refused(
    update: Update, context: ItdaContext, key: str, error: DomainError, again: int, *retry: str
) -> int:
    """Explain a refusal: asked again (`again`) when another answer fixes it (`retry`), else
    the form ends."""
    if error.key not in retry:
        drop_draft(context, key)
    await explain(update, context, error)
    return again if error.key in retry else END


def small_form(
    name: str,
    entry: Screen,
    pattern: str,
    states: Mapping[int, Sequence[BaseHandler]],
    prefix: str,
    cancel: Screen,
) -> ConversationHandler:
    """A form about one meeting, opened by a button; /cancel or its 취소 button leaves it."""
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(entry, pattern=pattern)],
        states={state: list(handlers) for state, handlers in states.items()},
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=rf"^{prefix}:cancel$"),
        ],
        name=name,
        persistent=True,
        allow_reentry=True,
    )
