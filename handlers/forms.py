"""A small engine for the record forms (openings, seekers): one question per field, a summary
with 저장 / 수정 / 취소, and editing one field before saving.

The draft lives in ``context.user_data[flow.name]`` (persisted after every update), so nothing
typed is lost on a restart; the database is written once, by ``flow.save``, after 저장. Buttons
carry the index of the field they answer, so a double tap on an old question is ignored instead
of answering the next one.

Crashes: the draft and the form's state are written *before* each question goes out
(`checkpoint`), so the bot never holds less than the user has seen; a question that was written
but may not have reached the user (``draft["sent"]`` still False) is asked again when the bot
starts (`resume_open_forms`), so a user who re-sends an answer after a crash answers the right
question. The draft carries a token: the record's 저장 is idempotent (services keep a receipt).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters
from telegram.ext import ConversationHandler as _CH

from bot.context import ItdaContext
from bot.persistence import batched
from handlers.common import END, answer, explain, in_rows, keyboard, say
from handlers.render import field_lines
from locales import Translator
from models import members as members_db
from services.errors import DomainError
from services.forms import REGIONS, Also, FieldSpec, ParseEnv

log = logging.getLogger(__name__)

ASK, SUMMARY, PICK = range(3)

Save = Callable[[Update, ItdaContext, dict[str, Any]], Awaitable[int]]
Check = Callable[[Update, ItdaContext, FieldSpec, Any], Awaitable[None]]
Warnings = Callable[[ItdaContext, dict[str, Any]], list[str]]


@dataclass(frozen=True)
class FormFlow:
    name: str  # conversation name and user_data key
    prefix: str  # callback data prefix
    fields: tuple[FieldSpec, ...]
    summary_key: str
    save: Save
    check: Check | None = None  # extra async check of a parsed value (e.g. duplicates)
    warnings: Warnings | None = None  # rule findings shown on the summary
    # A screen before the first question (e.g. the seekers' consent): draft["stage"] names it,
    # and `resume` shows it again after a crash; (text, markup, state).
    resume: Callable[[Any, dict[str, Any]], tuple[str, InlineKeyboardMarkup, object]] | None = None


FLOWS: dict[str, FormFlow] = {}  # every form built with `conversation`, by name (for resuming)


def draft_of(context: ItdaContext, flow: FormFlow) -> dict[str, Any] | None:
    data = context.user_data
    return data.get(flow.name) if data is not None else None


def new_draft(context: ItdaContext, flow: FormFlow, **meta: Any) -> dict[str, Any]:
    """A fresh draft; its token makes the final 저장 idempotent."""
    assert context.user_data is not None
    draft = {"v": {}, "i": 0, "edit": False, "meta": {"token": uuid.uuid4().hex, **meta}}
    context.user_data[flow.name] = draft
    return draft


def token_of(draft: dict[str, Any]) -> str | None:
    token = draft.get("meta", {}).get("token")
    return token if isinstance(token, str) else None


async def checkpoint(update: Update, context: ItdaContext, name: str, state: object) -> None:
    """Write the user's data and the conversation's next state now, before the reply goes out
    (after the update the persistence writes them too; unchanged data is not written twice)."""
    persistence = context.application.persistence
    user, chat = update.effective_user, update.effective_chat
    if persistence is None or user is None or chat is None:
        return
    async with batched(persistence):
        if context.user_data is not None:
            await persistence.update_user_data(user.id, context.user_data)
        await persistence.update_conversation(name, (chat.id, user.id), state)


async def show(update: Update, context: ItdaContext, flow: FormFlow, state: object, text: str,
               markup: InlineKeyboardMarkup | None, *, edit: bool = False) -> object:
    """Checkpoint, then send a screen of the form; the draft notes that it went out."""
    draft = draft_of(context, flow)
    if draft is not None:
        draft["sent"] = False
    await checkpoint(update, context, flow.name, state)
    await say(update, context, text, markup, edit=edit)
    if draft is not None:
        draft["sent"] = True
    return state


def _choices(context: ItdaContext, spec: FieldSpec) -> list[tuple[str, str]]:
    """(label, value) of a choice field's buttons."""
    if spec.choices == REGIONS:
        return [(r.name, r.code) for r in context.runtime.council.regions]
    assert not isinstance(spec.choices, str)
    return [(context.tr(c.label_key), c.value) for c in spec.choices]


async def ask(update: Update, context: ItdaContext, flow: FormFlow, *, error: str = "",
              edit: bool = False) -> int:
    """Ask the draft's current field (with the error of the last answer, if any)."""
    text, markup = question(context, flow, error=error)
    await show(update, context, flow, ASK, text, markup, edit=edit)
    return ASK


def question(context: Any, flow: FormFlow, *, error: str = "") -> tuple[str, InlineKeyboardMarkup]:
    """The current field's question and buttons (`context` needs tr, runtime, user_data)."""
    draft = draft_of(context, flow)
    assert draft is not None
    index = draft["i"]
    spec = flow.fields[index]
    p = flow.prefix
    rows: list[list[tuple[str, str]]] = []
    if spec.is_choice:
        buttons = [(label, f"{p}:c:{index}:{n}")
                   for n, (label, _) in enumerate(_choices(context, spec))]
        rows += in_rows(buttons, 3 if spec.choices == REGIONS else 2)
    last: list[tuple[str, str]] = []
    if spec.optional:
        last.append((context.tr("records.btn_skip"), f"{p}:skip:{index}"))
    if draft["edit"]:
        last.append((context.tr("records.btn_back"), f"{p}:sum"))
    last.append((context.tr("common.btn_cancel"), f"{p}:x"))
    rows.append(last)
    step = context.tr("records.step", n=index + 1, total=len(flow.fields))
    text = f"{step} {context.tr(spec.prompt_key)}"
    if error:
        text = f"{error}\n\n{text}"
    return text, keyboard(rows)


async def _store(update: Update, context: ItdaContext, flow: FormFlow, value: Any) -> int:
    """Keep an answer and move on: the next field, or back to the summary."""
    draft = draft_of(context, flow)
    assert draft is not None
    spec = flow.fields[draft["i"]]
    if isinstance(value, Also):
        for key, extra in value.items():
            if key != "_value":
                draft["v"][key] = extra
        value = value["_value"]
    if spec.secret and value not in (None, ""):
        value = context.runtime.cipher.encrypt(str(value))
    draft["v"][spec.key] = value
    if draft["edit"] or draft["i"] + 1 >= len(flow.fields):
        return await summary(update, context, flow)
    draft["i"] += 1
    return await ask(update, context, flow, edit=update.callback_query is not None)


async def text_answer(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """Typed text for the current field: parse it, or explain and ask again."""
    draft = draft_of(context, flow)
    if draft is None:
        await say(update, context, context.tr("stale.text"))
        return END
    spec = flow.fields[draft["i"]]
    assert update.message is not None
    if spec.is_choice or spec.parse is None:
        return await ask(update, context, flow, error=context.tr("records.use_buttons"))
    env = ParseEnv(today=context.runtime.clock.today(), draft=draft["v"])
    try:
        value = spec.parse(update.message.text or "", env)
        if flow.check is not None:
            await flow.check(update, context, spec, value)
    except DomainError as error:
        return await ask(update, context, flow, error=context.tr(error.key, **error.shown))
    return await _store(update, context, flow, value)


async def other_answer(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """A sticker, photo or file where text was expected: say what is expected."""
    if draft_of(context, flow) is None:
        await say(update, context, context.tr("stale.text"))
        return END
    return await ask(update, context, flow, error=context.tr("records.text_expected"))


async def choice_answer(update: Update, context: ItdaContext, flow: FormFlow) -> int | None:
    """A choice button (or 건너뛰기) of the current field."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = draft_of(context, flow)
    parts = query.data.split(":")
    if draft is None:
        await say(update, context, context.tr("stale.text"))
        return END
    if int(parts[2]) < draft["i"]:
        return None  # a double tap or an older question's button: stay where we are
    if int(parts[2]) != draft["i"]:  # not a question this form asked: show the current one
        return await ask(update, context, flow)
    spec = flow.fields[draft["i"]]
    if parts[1] == "skip":
        return await _store(update, context, flow, spec.empty)
    options = _choices(context, spec)
    n = int(parts[3])
    if not 0 <= n < len(options):
        return await ask(update, context, flow, edit=True)
    return await _store(update, context, flow, options[n][1])


async def summary(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """Everything entered, with the rule findings, and 저장 / 수정 / 취소."""
    draft = draft_of(context, flow)
    assert draft is not None
    draft["edit"], draft["summary"] = False, True
    text, markup = summary_view(context, flow)
    await show(update, context, flow, SUMMARY, text, markup,
               edit=update.callback_query is not None)
    return SUMMARY


def summary_view(context: Any, flow: FormFlow) -> tuple[str, InlineKeyboardMarkup]:
    draft = draft_of(context, flow)
    assert draft is not None
    values = draft["v"]
    lines = [context.tr(flow.summary_key), *field_lines(context, flow.fields, values)]
    findings = flow.warnings(context, values) if flow.warnings else []
    if findings:
        lines += ["", context.tr("records.rules_title"), *findings,
                  context.tr("records.rules_hint")]
    save_label = "records.btn_save_flagged" if findings else "records.btn_save"
    p = flow.prefix
    markup = keyboard([
        [(context.tr(save_label), f"{p}:save"), (context.tr("records.btn_edit"), f"{p}:edit")],
        [(context.tr("common.btn_cancel"), f"{p}:x")],
    ])
    return "\n".join(lines), markup


async def back_to_summary(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    await answer(update)
    if draft_of(context, flow) is None:
        await say(update, context, context.tr("stale.text"))
        return END
    return await summary(update, context, flow)


async def pick_field(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """수정: which field to change."""
    await answer(update)
    if draft_of(context, flow) is None:
        await say(update, context, context.tr("stale.text"))
        return END
    p = flow.prefix
    buttons = [(context.tr(s.label_key), f"{p}:f:{n}") for n, s in enumerate(flow.fields)]
    rows = in_rows(buttons, 2) + [[(context.tr("records.btn_back"), f"{p}:sum")]]
    await show(update, context, flow, PICK, context.tr("records.pick_field"), keyboard(rows),
               edit=True)
    return PICK


async def field_picked(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = draft_of(context, flow)
    if draft is None:
        await say(update, context, context.tr("stale.text"))
        return END
    index = int(query.data.rsplit(":", 1)[1])
    if not 0 <= index < len(flow.fields):  # an old or forged button: show the menu again
        return await pick_field(update, context, flow)
    draft["i"], draft["edit"], draft["summary"] = index, True, False
    return await ask(update, context, flow, edit=True)


async def save(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """저장: the draft is taken out first, so a second tap finds nothing to save."""
    await answer(update)
    draft = context.user_data.pop(flow.name, None) if context.user_data is not None else None
    if not draft:
        await say(update, context, context.tr("stale.text"))
        return END
    try:
        return await flow.save(update, context, draft)
    except DomainError as error:
        await explain(update, context, error)
        return END


async def cancel(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """취소 or /cancel at any step: the draft is dropped, nothing was stored."""
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop(flow.name, None)
    await say(update, context, context.tr("records.cancelled"),
              edit=update.callback_query is not None)
    return END


async def use_buttons(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """Text while the summary or the field menu is shown: point at the buttons."""
    draft = draft_of(context, flow)
    if draft is None:
        await say(update, context, context.tr("stale.text"))
        return END
    await say(update, context, context.tr("records.use_buttons"))
    return await summary(update, context, flow)


def _bind(
    func: Callable[..., Awaitable[int | None]], flow: FormFlow
) -> Callable[[Update, ItdaContext], Coroutine[Any, Any, int | None]]:
    async def bound(update: Update, context: ItdaContext) -> int | None:
        return await func(update, context, flow)

    bound.__doc__ = func.__doc__
    return bound


def conversation(
    flow: FormFlow,
    *,
    entry_points: list[Any],
    extra_states: dict[object, list[Any]] | None = None,
) -> _CH:  # type: ignore[type-arg]
    """The ConversationHandler of a form (persistent, named after the flow)."""
    p = flow.prefix
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[Any]] = {
        ASK: [
            MessageHandler(text, _bind(text_answer, flow)),
            CallbackQueryHandler(
                _bind(choice_answer, flow), pattern=rf"^{p}:(c:\d+:\d+|skip:\d+)$"
            ),
            CallbackQueryHandler(_bind(back_to_summary, flow), pattern=rf"^{p}:sum$"),
            MessageHandler(~filters.COMMAND, _bind(other_answer, flow)),
        ],
        SUMMARY: [
            CallbackQueryHandler(_bind(save, flow), pattern=rf"^{p}:save$"),
            CallbackQueryHandler(_bind(pick_field, flow), pattern=rf"^{p}:edit$"),
            MessageHandler(~filters.COMMAND, _bind(use_buttons, flow)),
        ],
        PICK: [
            CallbackQueryHandler(_bind(field_picked, flow), pattern=rf"^{p}:f:\d+$"),
            CallbackQueryHandler(_bind(back_to_summary, flow), pattern=rf"^{p}:sum$"),
            MessageHandler(~filters.COMMAND, _bind(use_buttons, flow)),
        ],
    }
    states.update(extra_states or {})
    FLOWS[flow.name] = flow
    return _CH(
        entry_points=entry_points,
        states=states,
        fallbacks=[
            CommandHandler("cancel", _bind(cancel, flow)),
            CallbackQueryHandler(_bind(cancel, flow), pattern=rf"^{p}:x$"),
        ],
        name=flow.name,
        persistent=True,
        allow_reentry=True,
    )


# --- after a crash -------------------------------------------------------------------------------
@dataclass
class _Screen:
    """What `question`/`summary_view` need from a context, outside any update."""

    runtime: Any
    lang: str
    user_data: dict[str, Any]

    @property
    def tr(self) -> Translator:
        return Translator(self.lang)


async def resume_open_forms(app: Application) -> int:  # type: ignore[type-arg]
    """Show again every form screen that was written but may not have been sent (the bot died
    in between), so the user's next answer goes to the question they see. Returns how many."""
    persistence = app.persistence
    runtime = app.runtime  # type: ignore[attr-defined]
    if persistence is None:
        return 0
    user_data = await persistence.get_user_data()
    shown = 0
    for name, flow in FLOWS.items():
        for key, state in (await persistence.get_conversations(name)).items():
            chat_id, user_id = key[0], key[-1]
            data = user_data.get(user_id) or {}
            draft = data.get(name)
            if not isinstance(draft, dict) or draft.get("sent") is not False:
                continue
            try:
                shown += await _resume_one(app, runtime, flow, chat_id, user_id, data, state)
            except (TelegramError, DomainError, KeyError, ValueError) as exc:
                log.warning("form %s of user %s not resumed: %s", name, user_id,
                            type(exc).__name__)
    if shown:
        log.info("resumed %d open form(s) after a restart", shown)
    return shown


async def _resume_one(app: Application, runtime: Any, flow: FormFlow, chat_id: int,  # type: ignore[type-arg]
                      user_id: int, data: dict[str, Any], state: object) -> int:
    async with runtime.session() as session:
        member = await members_db.get_member_by_telegram_id(session=session, telegram_id=user_id)
    lang = member.language if member and member.language else runtime.settings.default_language
    screen = _Screen(runtime=runtime, lang=lang, user_data=data)
    draft = data[flow.name]
    if draft.get("stage") and flow.resume is not None:
        text, markup, state = flow.resume(screen, draft)
    elif draft.get("summary"):
        (text, markup), state = summary_view(screen, flow), SUMMARY
    else:
        draft["edit"] = bool(draft.get("edit"))
        (text, markup), state = question(screen, flow), ASK
    text = f"{screen.tr('records.resumed')}\n\n{text}"
    await app.bot.send_message(chat_id, text, reply_markup=markup)
    draft["sent"] = True
    assert app.persistence is not None
    async with batched(app.persistence):
        await app.persistence.update_user_data(user_id, data)
        await app.persistence.update_conversation(flow.name, (chat_id, user_id), state)
    return 1
