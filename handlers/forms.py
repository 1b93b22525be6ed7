"""A small engine for the forms (openings, seekers, council meetings, meeting days): one question
per field, a summary with 저장 / 수정 / 취소, and editing one field before saving.

Fields are asked in order, each once it has no answer yet: a field whose answer also filled a
later one (a date typed with its time) saves that question, one that `resets` others has them
asked again (a new day asks for the time), and a choice with a single option (a 새일센터 serving
one 시군) is taken without asking (and not counted in the step counter).

The draft lives in ``context.user_data[flow.name]`` (persisted after every update), so nothing
typed is lost on a restart; the database is written once, by ``flow.save``, after 저장. Buttons
carry the index of the field they answer, so a double tap on an old question is ignored instead
of answering the next one.

Crashes: the draft and the form's state are written *before* each question goes out
(`checkpoint`), so the bot never holds less than the user has seen; a question that was written
but may not have reached the user (``draft["sent"]`` still False) is asked again when the bot
starts (`resume_open_forms`), so a user who re-sends an answer after a crash answers the right
question. The draft carries a token: the record's 저장 is idempotent (services keep a receipt).
What happens after a fault (a screen Telegram did not take, a crash, a double tap on 저장) is in
`handlers.form_faults`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters
from telegram.ext import ConversationHandler as _CH

from adapters.context import ItdaContext
from adapters.persistence import batched
from core.errors import DomainError
from core.text import hanging
from handlers.common import END, answer, explain, in_rows, keyboard, say
from rendering.records import field_lines
from services.forms import (
    REGIONS,
    Also,
    FieldSpec,
    ParseEnv,
    field_named,
    typed_choice,
    typed_skip,
)

log = logging.getLogger(__name__)

ASK, SUMMARY, PICK = range(3)
SAVED = "form_saved"  # user_data: the last 저장 that saved (prefix, draft token, message id)

Save = Callable[[Update, ItdaContext, dict[str, Any]], Awaitable[int]]
Check = Callable[[Update, ItdaContext, FieldSpec, Any], Awaitable[None]]
Warnings = Callable[[ItdaContext, dict[str, Any]], list[str]]
# (context, draft) → the (label, value) buttons of a field whose `choices` names this source.
Source = Callable[[Any, dict[str, Any]], list[tuple[str, Any]]]
Values = Callable[[Any, dict[str, Any]], dict[str, Any]]  # (context, draft values) → placeholders


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
    sources: Mapping[str, Source] = field(default_factory=dict)  # choices filled in by the form
    # Placeholders of a question (a count of a multi field's choices is added by the engine).
    prompt_values: Callable[[Any, FieldSpec, dict[str, Any]], dict[str, Any]] | None = None
    # The summary as one message `summary_key` with these placeholders (instead of field lines).
    summary_values: Values | None = None
    # A refusal of `save` that another answer can fix: its key → the field asked again.
    retry: Mapping[str, str] = field(default_factory=dict)


FLOWS: dict[str, FormFlow] = {}  # every form built with `conversation`, by name (for resuming)


def draft_of(context: Any, flow: FormFlow) -> dict[str, Any] | None:
    """The open draft (None when there is none, or one in a shape this engine never wrote)."""
    data = context.user_data
    draft = data.get(flow.name) if data is not None else None
    return draft if _is_draft(draft) else None


def _is_draft(draft: Any) -> bool:
    return isinstance(draft, dict) and isinstance(draft.get("v"), dict) and "i" in draft


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
    """Checkpoint, then send a screen of the form; the draft notes that it went out.

    A screen that Telegram refused or lost (403, 400, a dropped connection, a timeout) is no
    error of the form: the answers are kept, so the user is told so and shown the screen again
    at once; if that fails too, a job tries again shortly and the user's next update is met with
    the screen first (`_bind`), never taken as the answer to a question they did not see."""
    draft = draft_of(context, flow)
    if draft is not None:
        draft["sent"] = False
    await checkpoint(update, context, flow.name, state)
    try:
        await say(update, context, text, markup, edit=edit)
    except TelegramError as exc:
        if draft is None:
            raise
        from handlers.form_faults import show_again  # the faults' module builds on this one

        log.warning("form %s: a screen was not delivered (%s)", flow.name, type(exc).__name__)
        await show_again(update, context, flow, draft, text, markup,
                         retry=not isinstance(exc, Forbidden))
        return state
    if draft is not None:
        draft["sent"] = True
    return state


def options(context: Any, flow: FormFlow, spec: FieldSpec,
            draft: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) of a choice field's buttons."""
    if spec.choices == REGIONS:
        return [(r.name, r.code) for r in context.runtime.council.regions]
    if isinstance(spec.choices, str):
        return flow.sources[spec.choices](context, draft)
    return [(context.tr(c.label_key) if c.label_key else c.value, c.value) for c in spec.choices]


def _only_option(context: Any, flow: FormFlow, spec: FieldSpec, draft: dict[str, Any]) -> Any:
    """The value of a choice field that offers one option only (taken without asking), or
    None."""
    if not spec.is_choice or spec.multi or spec.optional or spec.typed:
        return None
    found = options(context, flow, spec, draft)
    return found[0][1] if len(found) == 1 else None


def _asked(context: Any, flow: FormFlow, draft: dict[str, Any]) -> list[int]:
    """The fields this draft's form asks (the step counter and the 수정 menu count these)."""
    return [n for n, spec in enumerate(flow.fields)
            if _only_option(context, flow, spec, draft) is None]


def _next_field(context: Any, flow: FormFlow, draft: dict[str, Any]) -> int | None:
    """The first field without an answer (a field with one option is answered on the way)."""
    values = draft["v"]
    for index, spec in enumerate(flow.fields):
        if spec.key in values:
            continue
        only = _only_option(context, flow, spec, draft)
        if only is None:
            return index
        values[spec.key] = only
    return None


async def begin(update: Update, context: ItdaContext, flow: FormFlow, *, lead: str = "") -> int:
    """The first question of a new draft, with `lead` (an introduction) above it."""
    return await _advance(update, context, flow, lead=lead)


async def _advance(update: Update, context: ItdaContext, flow: FormFlow, *, lead: str = "",
                   edit: bool = False) -> int:
    """Ask the first field without an answer, or show the summary when every field has one."""
    draft = draft_of(context, flow)
    assert draft is not None
    index = _next_field(context, flow, draft)
    if index is None:
        return await summary(update, context, flow)
    draft["i"] = index
    return await ask(update, context, flow, lead=lead, edit=edit)


async def ask(update: Update, context: ItdaContext, flow: FormFlow, *, error: str = "",
              lead: str = "", edit: bool = False) -> int:
    """Ask the draft's current field (with the error of the last answer, if any)."""
    text, markup = question(context, flow, lead="\n\n".join(x for x in (lead, error) if x))
    await show(update, context, flow, ASK, text, markup, edit=edit)
    return ASK


def question(context: Any, flow: FormFlow, *, lead: str = "") -> tuple[str, InlineKeyboardMarkup]:
    """The current field's question and buttons (`context` needs tr, runtime, user_data).

    The draft keeps the values its buttons stand for (`offer`: a button carries their index,
    and the next working days change at midnight) and a multi field's choices so far (`sel`)."""
    draft = draft_of(context, flow)
    assert draft is not None
    index = draft["i"]
    spec = flow.fields[index]
    p, tr = flow.prefix, context.tr
    values = flow.prompt_values(context, spec, draft["v"]) if flow.prompt_values else {}
    rows: list[list[tuple[str, str]]] = []
    last: list[tuple[str, str]] = []
    if spec.is_choice:
        offered = options(context, flow, spec, draft)
        draft["offer"] = [value for _, value in offered]
        per_row = 3 if spec.choices == REGIONS else spec.columns
        if spec.multi:
            if "sel" not in draft:  # all at first, or the answer being changed
                draft["sel"] = list(draft["v"].get(spec.key, draft["offer"]))
            chosen = draft["sel"]
            values["count"] = len(chosen)
            buttons = [(("✅ " if value in chosen else "⬜ ") + label, f"{p}:m:{index}:{n}")
                       for n, (label, value) in enumerate(offered)]
            rows += in_rows(buttons, per_row)
            rows.append([(tr("records.btn_all"), f"{p}:all:{index}"),
                         (tr("records.btn_none"), f"{p}:nil:{index}")])
            last.append((tr("records.btn_done"), f"{p}:ok:{index}"))
        else:
            buttons = [(label, f"{p}:c:{index}:{n}") for n, (label, _) in enumerate(offered)]
            rows += in_rows(buttons, per_row)
    if spec.optional:
        last.append((tr("records.btn_skip"), f"{p}:skip:{index}"))
    if draft["edit"]:
        last.append((tr("records.btn_back"), f"{p}:sum"))
    last.append((tr("common.btn_cancel"), f"{p}:x"))
    rows.append(last)
    asked = _asked(context, flow, draft)
    n = asked.index(index) + 1 if index in asked else index + 1
    step = tr("records.step", n=n, total=len(asked))
    text = f"{step} {tr(spec.prompt_key, **values)}"
    if lead:
        text = f"{lead}\n\n{text}"
    return text, keyboard(rows)


async def _store(update: Update, context: ItdaContext, flow: FormFlow, value: Any) -> int:
    """Keep an answer and move on: the next field without an answer, or the summary."""
    draft = draft_of(context, flow)
    assert draft is not None
    spec = flow.fields[draft["i"]]
    for key in spec.resets:
        draft["v"].pop(key, None)
    if isinstance(value, Also):
        for key, extra in value.items():
            if key != "_value":
                draft["v"][key] = extra
        value = value["_value"]
    if spec.secret and value not in (None, ""):
        value = context.runtime.cipher.encrypt(str(value))
    draft["v"][spec.key] = value
    draft.pop("sel", None)
    return await _advance(update, context, flow, edit=update.callback_query is not None)


async def _accept(update: Update, context: ItdaContext, flow: FormFlow, raw: Any) -> int:
    """An answer to the current field (typed, tapped or a multi field's list): parse and check
    it, then keep it; or explain and ask again."""
    draft = draft_of(context, flow)
    assert draft is not None
    spec = flow.fields[draft["i"]]
    clock = context.runtime.clock
    env = ParseEnv(today=clock.today(), draft=draft["v"], now=clock.now())
    try:
        value = spec.parse(raw, env) if spec.parse is not None else raw
        if flow.check is not None:
            await flow.check(update, context, spec, value)
    except DomainError as error:
        return await ask(update, context, flow, error=context.tr(error.key, **error.shown),
                         edit=update.callback_query is not None)
    return await _store(update, context, flow, value)


async def text_answer(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """Typed text for the current field: parse it, or explain and ask again."""
    draft = draft_of(context, flow)
    if draft is None:
        await say(update, context, context.tr("stale.text"))
        return END
    spec = flow.fields[draft["i"]]
    assert update.message is not None
    text = update.message.text or ""
    if spec.optional and typed_skip(text, context.tr("records.btn_skip")):
        return await _store(update, context, flow, spec.empty)
    if spec.typed:
        return await _accept(update, context, flow, text)
    found = options(context, flow, spec, draft) if not spec.multi else []
    n = typed_choice(text, found)  # a button's label typed ("천안", "네", "시급")
    if n is None:
        return await ask(update, context, flow, error=context.tr("records.use_buttons"))
    return await _store(update, context, flow, found[n][1])


async def other_answer(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """A sticker, photo or file where text was expected: say what is expected."""
    if draft_of(context, flow) is None:
        await say(update, context, context.tr("stale.text"))
        return END
    return await ask(update, context, flow, error=context.tr("records.text_expected"))


async def _pressed(update: Update, context: ItdaContext,
                   flow: FormFlow) -> tuple[dict[str, Any] | None, list[str]]:
    """Answer a question's button; the form's draft (None when the form is over: the user is
    told so) and the parts of the button's data."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = draft_of(context, flow)
    if draft is None:
        await say(update, context, context.tr("stale.text"))
    return draft, query.data.split(":")


async def choice_answer(update: Update, context: ItdaContext, flow: FormFlow) -> int | None:
    """A choice button (or 건너뛰기) of the current field."""
    draft, parts = await _pressed(update, context, flow)
    if draft is None:
        return END
    if int(parts[2]) < draft["i"]:
        return None  # a double tap or an older question's button: stay where we are
    if int(parts[2]) != draft["i"]:  # not a question this form asked: show the current one
        return await ask(update, context, flow)
    spec = flow.fields[draft["i"]]
    if parts[1] == "skip":
        return await _store(update, context, flow, spec.empty)
    offer = _offer(context, flow, spec, draft)
    n = int(parts[3])
    if spec.multi or not 0 <= n < len(offer):  # a button this question never offered
        await say(update, context, context.tr("stale.text"))
        return None
    if spec.parse is not None:  # a shortcut for typing: checked as if typed
        return await _accept(update, context, flow, offer[n])
    return await _store(update, context, flow, offer[n])


def _offer(context: Any, flow: FormFlow, spec: FieldSpec, draft: dict[str, Any]) -> list[Any]:
    """The values the current question's buttons stand for (as shown)."""
    offer = draft.get("offer")
    if isinstance(offer, list):
        return offer
    return [value for _, value in options(context, flow, spec, draft)]


async def multi_answer(update: Update, context: ItdaContext, flow: FormFlow) -> int | None:
    """A multi field's buttons: toggle one, all, none, or 다음 (checked like a typed answer)."""
    draft, parts = await _pressed(update, context, flow)
    if draft is None:
        return END
    if int(parts[2]) < draft["i"]:
        return None  # a double tap or an older question's button: stay where we are
    spec = flow.fields[draft["i"]]
    if int(parts[2]) != draft["i"] or not spec.multi:
        return await ask(update, context, flow)
    offer = _offer(context, flow, spec, draft)
    chosen = [value for value in draft.get("sel", offer) if value in offer]
    action = parts[1]
    if action == "ok":
        return await _accept(update, context, flow, [value for value in offer if value in chosen])
    if action == "all":
        chosen = list(offer)
    elif action == "nil":
        chosen = []
    else:
        n = int(parts[3])
        if not 0 <= n < len(offer):  # a button this question never offered: nothing changes
            await say(update, context, context.tr("stale.text"))
            return None
        value = offer[n]
        chosen = [v for v in chosen if v != value] if value in chosen else chosen + [value]
    draft["sel"] = chosen
    return await ask(update, context, flow, edit=True)


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
    if flow.summary_values is not None:
        lines = [context.tr(flow.summary_key, **flow.summary_values(context, values))]
    else:
        lines = [context.tr(flow.summary_key),
                 *map(hanging, field_lines(context, flow.fields, values))]
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
    """돌아가기: the summary (or first a field an edit left without an answer)."""
    await answer(update)
    draft = draft_of(context, flow)
    if draft is None:
        await say(update, context, context.tr("stale.text"))
        return END
    draft.pop("sel", None)
    return await _advance(update, context, flow, edit=True)


async def pick_field(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """수정: which field to change."""
    await answer(update)
    draft = draft_of(context, flow)
    if draft is None:
        await say(update, context, context.tr("stale.text"))
        return END
    p = flow.prefix
    buttons = [(context.tr(flow.fields[n].label_key), f"{p}:f:{n}")
               for n in _asked(context, flow, draft)]
    rows = in_rows(buttons, 2) + [[(context.tr("records.btn_back"), f"{p}:sum")]]
    await show(update, context, flow, PICK, context.tr("records.pick_field"), keyboard(rows),
               edit=True)
    return PICK


async def field_picked(update: Update, context: ItdaContext, flow: FormFlow) -> int | None:
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = draft_of(context, flow)
    if draft is None:
        await say(update, context, context.tr("stale.text"))
        return END
    index = int(query.data.rsplit(":", 1)[1])
    if index not in _asked(context, flow, draft):  # a button the menu never offered
        await say(update, context, context.tr("stale.text"))
        return None
    draft["i"], draft["edit"], draft["summary"] = index, True, False
    draft.pop("sel", None)
    return await ask(update, context, flow, edit=True)


async def save(update: Update, context: ItdaContext, flow: FormFlow) -> int:
    """저장: the draft is taken out first, so a second tap finds nothing to save. A refusal that
    another answer can fix (`flow.retry`, e.g. a time taken meanwhile) asks that field again,
    the draft kept."""
    await answer(update)
    data = context.user_data
    assert data is not None
    draft = draft_of(context, flow)
    if draft is None:
        data.pop(flow.name, None)
        await say(update, context, context.tr("stale.text"))
        return END
    if _next_field(context, flow, draft) is not None:  # not a summary this engine showed
        return await _advance(update, context, flow)
    del data[flow.name]
    try:
        state = await flow.save(update, context, draft)
    except DomainError as error:
        spec = field_named(flow.fields, flow.retry.get(error.key, ""))
        if spec is None:
            await explain(update, context, error)
            return END
        data[flow.name] = draft
        draft["i"], draft["edit"], draft["summary"] = flow.fields.index(spec), True, False
        draft.pop("sel", None)
        return await ask(update, context, flow, error=context.tr(error.key, **error.shown))
    query = update.callback_query
    if query is not None and query.message is not None:
        data[SAVED] = {"p": flow.prefix, "token": token_of(draft),
                       "msg": query.message.message_id}
    return state


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


def screen_of(context: Any, flow: FormFlow,
            draft: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup, object]:
    """The screen the draft is at (a stage before the questions, the summary or a question)
    and its conversation state (`context` needs tr, runtime, user_data)."""
    if draft.get("stage") and flow.resume is not None:
        return flow.resume(context, draft)
    if draft.get("summary"):
        text, markup = summary_view(context, flow)
        return text, markup, SUMMARY
    draft["edit"] = bool(draft.get("edit"))
    text, markup = question(context, flow)
    return text, markup, ASK


async def _shown_first(update: Update, context: ItdaContext, flow: FormFlow) -> object:
    """The user writes or taps while the screen they should answer never reached them: show it
    (their update answered the screen before, so it is not taken as an answer)."""
    await answer(update)
    draft = draft_of(context, flow)
    assert draft is not None
    text, markup, state = screen_of(context, flow, draft)
    lead = context.tr("records.shown_again")
    return await show(update, context, flow, state, f"{lead}\n\n{text}", markup)


def _bind(func: Callable[..., Awaitable[int | None]],
          flow: FormFlow) -> Callable[[Update, ItdaContext], Coroutine[Any, Any, int | None]]:
    async def bound(update: Update, context: ItdaContext) -> Any:
        draft = draft_of(context, flow)
        if func is not cancel and draft is not None and draft.get("sent") is False:
            return await _shown_first(update, context, flow)
        return await func(update, context, flow)

    bound.__doc__ = func.__doc__
    return bound


def conversation(flow: FormFlow, *, entry_points: list[Any],
                 extra_states: dict[object, list[Any]] | None = None) -> _CH:
    """The ConversationHandler of a form (persistent, named after the flow)."""
    p = flow.prefix
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[Any]] = {
        ASK: [
            MessageHandler(text, _bind(text_answer, flow)),
            CallbackQueryHandler(_bind(choice_answer, flow),
                                 pattern=rf"^{p}:(c:\d+:\d+|skip:\d+)$"),
            CallbackQueryHandler(_bind(multi_answer, flow),
                                 pattern=rf"^{p}:(m:\d+:\d+|all:\d+|nil:\d+|ok:\d+)$"),
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
    fallbacks: list[Any] = [CommandHandler("cancel", _bind(cancel, flow)),
                            CallbackQueryHandler(_bind(cancel, flow), pattern=rf"^{p}:x$")]
    return _CH(entry_points=entry_points, states=states, fallbacks=fallbacks, name=flow.name,
               persistent=True, allow_reentry=True)
