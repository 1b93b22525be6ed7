"""What the forms do when something went wrong (the engine is `handlers.forms`).

* A screen Telegram refused or lost (403, 400, a dropped connection, a timeout) after the answer
  was kept: the user is told their answers are saved and shown it again at once; while Telegram
  is away a job tries again (`RESEND_AFTER`), and the user's next update meets the screen first.
* A crash between writing a screen and sending it: `resume_open_forms` shows it again at start.
* A double tap on 저장 after it saved: answered quietly with the record's number.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from adapters.context import ItdaContext
from adapters.persistence import batched
from adapters.updates import PerChatUpdateProcessor
from core.errors import DomainError
from handlers.common import answer, attempt, say
from handlers.forms import FLOWS, SAVED, FormFlow, screen_of
from locales import Translator
from services import membership
from services.forms import saved_record

log = logging.getLogger(__name__)

# Seconds after which a form screen Telegram did not take is sent again (one try each).
RESEND_AFTER: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)


async def show_again(update: Update, context: ItdaContext, flow: FormFlow,
                     draft: dict[str, Any], text: str, markup: InlineKeyboardMarkup | None,
                     *, retry: bool) -> None:
    """The screen that did not go out, once more under "your answers are kept"; on failure a
    job tries later (a blocked bot is only shown again when the user writes)."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    lead = context.tr("records.shown_again")
    if retry:
        try:
            await context.bot.send_message(
                chat.id, text if text.startswith(lead) else f"{lead}\n\n{text}",
                reply_markup=markup)
        except TelegramError as exc:
            log.warning("form %s: shown again in vain (%s)", flow.name, type(exc).__name__)
        else:
            draft["sent"] = True
            return
    queue = context.application.job_queue
    if queue is not None and retry:
        queue.run_once(show_later, RESEND_AFTER[0], data=(flow.name, chat.id, user.id, 0),
                       name=f"form-resend-{flow.name}-{user.id}")


async def show_later(context: Any) -> None:
    """A job: send the screen Telegram did not take again, unless the user has seen one since.

    It takes the chat's turn, as an update does, and reads the draft from the database inside
    it: the chat's next update (here or in another process) then waits until the screen is
    sent and noted as sent, instead of reading "not sent" and showing it a second time."""
    job = context.job
    name, chat_id, user_id, tries = job.data
    app = context.application
    flow = FLOWS.get(name)
    if flow is None:
        return
    processor = app.update_processor
    turn = (processor.turn(chat_id, user_id) if isinstance(processor, PerChatUpdateProcessor)
            else contextlib.nullcontext())
    try:
        async with turn:
            data = app.user_data[user_id]
            if app.persistence is not None:
                await app.persistence.refresh_user_data(user_id, data)
            draft = data.get(name)
            if not isinstance(draft, dict) or draft.get("sent") is not False:
                return
            await _resume_one(app, app.runtime, flow, chat_id, user_id, data,
                              lead="records.shown_again")
    except (TelegramError, DomainError, KeyError, ValueError) as exc:
        log.warning("form %s of user %s not shown again: %s", name, user_id, type(exc).__name__)
        if tries + 1 < len(RESEND_AFTER) and not isinstance(exc, Forbidden):
            app.job_queue.run_once(show_later, RESEND_AFTER[tries + 1],
                                   data=(name, chat_id, user_id, tries + 1), name=job.name)


async def repeated_save(update: Update, context: ItdaContext) -> None:
    """저장 tapped again on a summary that was saved (a double tap): say so quietly, in the
    button's answer; any other 저장 whose form is over is a stale button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    data = context.user_data or {}
    note = data.get(SAVED)
    record_id = None
    if (isinstance(note, dict) and note.get("p") == query.data.split(":", 1)[0]
            and query.message is not None and note.get("msg") == query.message.message_id
            and isinstance(note.get("token"), str)):
        found = await attempt(update, context, saved_record, token=note["token"])
        record_id = found if isinstance(found, int) else None
    if record_id is None:
        await answer(update, context.tr("stale.toast"))
        await say(update, context, context.tr("stale.text"))
        return
    await answer(update, context.tr("records.already_saved", id=record_id))


# --- after a crash ---------------------------------------------------------------------------
@dataclass
class _Screen:
    """What `question`/`summary_view` need from a context, outside any update."""

    runtime: Any
    lang: str
    user_data: dict[str, Any]

    @property
    def tr(self) -> Translator:
        return Translator(self.lang)


async def resume_open_forms(app: Application) -> int:
    """Show again every form screen that was written but may not have been sent (the bot died
    in between), so the user's next answer goes to the question they see. Returns how many."""
    persistence = app.persistence
    runtime = app.runtime  # type: ignore[attr-defined]
    if persistence is None:
        return 0
    user_data = await persistence.get_user_data()
    shown = 0
    for name, flow in FLOWS.items():
        for key in await persistence.get_conversations(name):
            chat_id, user_id = key[0], key[-1]
            if not isinstance(chat_id, int) or not isinstance(user_id, int):
                continue  # form conversations are keyed on (chat id, user id)
            data = user_data.get(user_id) or {}
            draft = data.get(name)
            if not isinstance(draft, dict) or draft.get("sent") is not False:
                continue
            try:
                shown += await _resume_one(app, runtime, flow, chat_id, user_id, data)
            except (TelegramError, DomainError, KeyError, ValueError) as exc:
                log.warning("form %s of user %s not resumed: %s", name, user_id,
                            type(exc).__name__)
    if shown:
        log.info("resumed %d open form(s) after a restart", shown)
    return shown


async def _resume_one(app: Application, runtime: Any, flow: FormFlow, chat_id: int,
                      user_id: int, data: dict[str, Any], *, lead: str = "records.resumed") -> int:
    async with runtime.session() as session:
        lang = await membership.language_of(session=session, telegram_id=user_id)
    lang = lang or runtime.settings.default_language
    screen = _Screen(runtime=runtime, lang=lang, user_data=data)
    text, markup, state = screen_of(screen, flow, data[flow.name])
    text = f"{screen.tr(lead)}\n\n{text}"
    await app.bot.send_message(chat_id, text, reply_markup=markup)
    data[flow.name]["sent"] = True
    assert app.persistence is not None
    async with batched(app.persistence):
        await app.persistence.update_user_data(user_id, data)
        await app.persistence.update_conversation(flow.name, (chat_id, user_id), state)
    return 1
