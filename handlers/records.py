"""/mine: the agency's records — paged, filtered by status and 시군, searched by keyword; open
one to edit a field, change its status, or delete it (after confirming; soft and audited).

Employer associations and coordinators manage openings; 새일센터 manage their seekers.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from adapters.context import ItdaContext
from core.errors import DomainError
from core.statuses import AgencyKind, OpeningStatus, SeekerStatus
from core.text import clean_text, escape
from handlers.common import (
    END,
    REFUSED,
    Button,
    Refused,
    actor,
    answer,
    attempt,
    explain,
    in_rows,
    keyboard,
    pressed,
    pressed_id,
    pressed_value,
    requires,
    say,
    stale,
    typed,
)
from rendering.records import (
    choice_label,
    field_lines,
    opening_line,
    region_name,
    seeker_detail,
    seeker_line,
)
from services import openings, record_views, seekers
from services.forms import REGIONS, FieldSpec, ParseEnv, field_named

BROWSE, SEARCH, EDIT_VALUE = range(3)
STATE = "mine"
PAGE = 5
OPENING, SEEKER = "o", "s"


def _state(context: ItdaContext) -> dict[str, Any]:
    assert context.user_data is not None
    state = context.user_data.get(STATE)
    if state is None:
        kind = SEEKER if context.agency and context.agency.kind == AgencyKind.SAEIL_CENTER \
            else OPENING
        state = {"kind": kind, "status": None, "region": None, "q": None, "page": 0}
        context.user_data[STATE] = state
    return state


def _fields(kind: str) -> tuple[FieldSpec, ...]:
    return seekers.SEEKER_FIELDS if kind == SEEKER else openings.OPENING_FIELDS


def _statuses(kind: str) -> tuple[str, ...]:
    return tuple(SeekerStatus) if kind == SEEKER else tuple(OpeningStatus)


def _status_label(context: ItdaContext, kind: str, status: str) -> str:
    return context.tr(f"{'seeker' if kind == SEEKER else 'opening'}.status.{status}")


@requires("mine")
async def mine(update: Update, context: ItdaContext) -> int:
    """The first page of the agency's records, filters reset."""
    if context.agency is None:
        await explain(update, context, DomainError("records.no_agency"))
        return END
    assert context.user_data is not None
    context.user_data.pop(STATE, None)
    _state(context)
    return await _show_list(update, context, edit=False)


async def _show_list(update: Update, context: ItdaContext, *, edit: bool = True) -> int:
    state = _state(context)
    kind = state["kind"]
    agency_id = context.agency.id if context.agency else None
    assert agency_id is not None
    search = dict(agency_id=agency_id, status=state["status"], region_code=state["region"],
                  keyword=state["q"], offset=state["page"] * PAGE, limit=PAGE)
    if kind == SEEKER:
        cards = await attempt(update, context, record_views.seeker_page, **search)
        if isinstance(cards, Refused):
            return BROWSE
        lines = [seeker_line(context, c) for c in cards[0]]
        ids, total = [c.id for c in cards[0]], cards[1]
    else:
        found = await attempt(update, context, record_views.opening_page, **search)
        if isinstance(found, Refused):
            return BROWSE
        lines = [opening_line(context, o) for o in found[0]]
        ids, total = [o.id or 0 for o in found[0]], found[1]
    filters_text = []
    if state["status"]:
        filters_text.append(_status_label(context, kind, state["status"]))
    if state["region"]:
        filters_text.append(region_name(context, state["region"]))
    if state["q"]:
        filters_text.append(context.tr("mine.keyword", q=escape(state["q"])))
    pages = max(1, -(-total // PAGE))
    head = context.tr("mine.title_seekers" if kind == SEEKER else "mine.title_openings",
                      total=total, page=state["page"] + 1, pages=pages)
    text = [head]
    if filters_text:
        text.append(context.tr("mine.filters", filters=" · ".join(filters_text)))
    text += lines or [context.tr("mine.empty")]
    rows: list[list[tuple[str, str]]] = in_rows(
        [(f"#{i}", f"mine:open:{i}") for i in ids], 5
    )
    nav = []
    if state["page"] > 0:
        nav.append((context.tr("mine.btn_prev"), f"mine:pg:{state['page'] - 1}"))
    if state["page"] + 1 < pages:
        nav.append((context.tr("mine.btn_next"), f"mine:pg:{state['page'] + 1}"))
    if nav:
        rows.append(nav)
    rows.append([(context.tr("mine.btn_status"), "mine:st"),
                 (context.tr("mine.btn_region"), "mine:rg"),
                 (context.tr("mine.btn_search"), "mine:q")])
    if filters_text:
        rows.append([(context.tr("mine.btn_clear"), "mine:clear")])
    await say(update, context, "\n".join(text), keyboard(rows), edit=edit)
    return BROWSE


async def page(update: Update, context: ItdaContext) -> int:
    _state(context)["page"] = max(0, await pressed_id(update))
    return await _show_list(update, context)


async def _ask_filter(
    update: Update, context: ItdaContext, action: str, question: str,
    choices: list[tuple[str, str]], per_row: int,
) -> int:
    """A list filter's choices as buttons (`mine:<action>:<value>`), then 전체."""
    await answer(update)
    buttons = [(label, f"mine:{action}:{value}") for label, value in choices]
    buttons.append((context.tr("mine.all"), f"mine:{action}:all"))
    await say(update, context, context.tr(question), keyboard(in_rows(buttons, per_row)),
              edit=True)
    return BROWSE


async def _set_filter(
    update: Update, context: ItdaContext, key: str, allowed: Container[str]
) -> int:
    """The pressed choice filters the list from its first page (전체 or a stale value: none)."""
    value = await pressed_value(update)
    state = _state(context)
    state[key] = value if value in allowed else None
    state["page"] = 0
    return await _show_list(update, context)


async def choose_status_filter(update: Update, context: ItdaContext) -> int:
    kind = _state(context)["kind"]
    choices = [(_status_label(context, kind, s), s) for s in _statuses(kind)]
    return await _ask_filter(update, context, "stv", "mine.choose_status", choices, 2)


async def status_filter(update: Update, context: ItdaContext) -> int:
    return await _set_filter(update, context, "status", _statuses(_state(context)["kind"]))


async def choose_region_filter(update: Update, context: ItdaContext) -> int:
    choices = [(r.name, r.code) for r in context.runtime.council.regions]
    return await _ask_filter(update, context, "rgv", "mine.choose_region", choices, 3)


async def region_filter(update: Update, context: ItdaContext) -> int:
    codes = {r.code for r in context.runtime.council.regions}
    return await _set_filter(update, context, "region", codes)


async def clear_filters(update: Update, context: ItdaContext) -> int:
    await answer(update)
    state = _state(context)
    state.update(status=None, region=None, q=None, page=0)
    return await _show_list(update, context)


async def ask_keyword(update: Update, context: ItdaContext) -> int:
    await answer(update)
    await say(update, context, context.tr("mine.ask_keyword"),
              keyboard([[(context.tr("records.btn_back"), "mine:list")]]))
    return SEARCH


async def keyword_typed(update: Update, context: ItdaContext) -> int:
    assert update.message is not None
    try:
        keyword = clean_text(update.message.text, max_length=40)
    except DomainError as error:
        await explain(update, context, error)
        return SEARCH
    state = _state(context)
    state["q"], state["page"] = keyword or None, 0
    return await _show_list(update, context, edit=False)


async def back_to_list(update: Update, context: ItdaContext) -> int:
    await answer(update)
    return await _show_list(update, context)


# --- one record ----------------------------------------------------------------------------------
async def _detail(update: Update, context: ItdaContext, record_id: int, *,
                  edit: bool = True, notice: str = "") -> int:
    kind = _state(context)["kind"]
    if kind == SEEKER:
        card = await attempt(update, context, record_views.own_seeker, seeker_id=record_id)
        if isinstance(card, Refused):
            return BROWSE
        body = seeker_detail(context, card)
        match_button = (context.tr("mine.btn_match_seeker"), f"match:s:{record_id}")
    else:
        opening = await attempt(update, context, record_views.own_opening, opening_id=record_id)
        if isinstance(opening, Refused):
            return BROWSE
        body = "\n".join([opening_line(context, opening),
                          *field_lines(context, openings.OPENING_FIELDS,
                                       openings.opening_values(opening)),
                          context.tr("opening.filled_line", filled=opening.positions_filled,
                                     positions=opening.positions)])
        if opening.rule_flags:
            body += "\n" + context.tr("opening.flagged_note")
        match_button = (context.tr("mine.btn_match_opening"), f"match:o:{record_id}")
    markup = keyboard([
        [(context.tr("mine.btn_edit"), f"mine:ed:{record_id}"),
         (context.tr("mine.btn_change_status"), f"mine:ss:{record_id}")],
        [(context.tr("mine.btn_delete"), f"mine:del:{record_id}"), match_button],
        [(context.tr("mine.btn_list"), "mine:list")],
    ])
    text = f"{notice}\n\n{body}" if notice else body
    await say(update, context, text, markup, edit=edit)
    return BROWSE


def _id(update: Update, position: int = 2) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    return int(query.data.split(":")[position])


async def open_record(update: Update, context: ItdaContext) -> int:
    await answer(update)
    return await _detail(update, context, _id(update))


async def _may_edit(update: Update, context: ItdaContext, record_id: int) -> bool:
    """The record is the user's to edit (else the refusal is shown, before any question)."""
    editable = seekers.editable if _state(context)["kind"] == SEEKER else openings.editable
    return await attempt(update, context, editable, record_id=record_id) is not REFUSED


async def choose_field(update: Update, context: ItdaContext) -> int:
    await answer(update)
    record_id = _id(update)
    if not await _may_edit(update, context, record_id):
        return BROWSE
    fields = [s for s in _fields(_state(context)["kind"]) if s.editable]
    buttons = [(context.tr(s.label_key), f"mine:ef:{record_id}:{s.key}") for s in fields]
    return await _record_choices(update, context, record_id, "records.pick_field", buttons)


async def _record_choices(
    update: Update, context: ItdaContext, record_id: int, question: str, buttons: list[Button]
) -> int:
    """Choices for one record, two a row, then the way back to it."""
    rows = in_rows(buttons, 2) + [[(context.tr("records.btn_back"), f"mine:open:{record_id}")]]
    await say(update, context, context.tr(question), keyboard(rows), edit=True)
    return BROWSE


async def field_chosen(update: Update, context: ItdaContext) -> int:
    """A field to edit: its choices as buttons, or a question for text."""
    _, _, record_id, key = (await pressed(update)).split(":")
    spec = field_named(_fields(_state(context)["kind"]), key)
    if spec is None:  # an old or forged button: never silent
        await say(update, context, context.tr("stale.text"))
        return BROWSE
    if not await _may_edit(update, context, int(record_id)):
        return BROWSE
    back = (context.tr("records.btn_back"), f"mine:open:{record_id}")
    if spec.is_choice:
        options = ([r.code for r in context.runtime.council.regions] if spec.choices == REGIONS
                   else [c.value for c in spec.choices])  # type: ignore[union-attr]
        buttons = [(choice_label(context, spec, value), f"mine:ev:{record_id}:{key}:{n}")
                   for n, value in enumerate(options)]
        rows = in_rows(buttons, 3) + [[back]]
        await say(update, context, context.tr(spec.prompt_key), keyboard(rows), edit=True)
        return BROWSE
    _state(context)["edit"] = {"id": int(record_id), "key": key}
    rows = [[back]]
    if spec.optional:
        rows.insert(0, [(context.tr("records.btn_clear_value"), f"mine:ev:{record_id}:{key}:-")])
    await say(update, context, context.tr(spec.prompt_key), keyboard(rows), edit=True)
    return EDIT_VALUE


async def _apply(update: Update, context: ItdaContext, record_id: int, key: str,
                 value: Any) -> int:
    kind = _state(context)["kind"]
    runtime = context.runtime
    try:
        async with runtime.session() as session:
            if kind == SEEKER:
                await seekers.update_seeker_field(
                    session=session, clock=runtime.clock, actor=actor(update, context),
                    cipher=runtime.cipher, seeker_id=record_id, key=key, value=value,
                )
            else:
                await openings.update_opening_field(
                    session=session, clock=runtime.clock, actor=actor(update, context),
                    opening_id=record_id, key=key, value=value,
                    minimum_wage=runtime.council.minimum_wage,
                )
    except DomainError as error:
        editing = _state(context).get("edit")
        if update.callback_query is None and editing:
            # A typed value the rules refused (e.g. a number another centre holds): ask again.
            spec = field_named(_fields(kind), key)
            back = keyboard([[(context.tr("records.btn_back"), f"mine:open:{record_id}")]])
            prompt = context.tr(spec.prompt_key) if spec else ""
            await say(update, context,
                      context.tr(error.key, **error.shown) + "\n\n" + prompt, back)
            return EDIT_VALUE
        await explain(update, context, error)
        return BROWSE
    _state(context).pop("edit", None)
    return await _detail(update, context, record_id, edit=update.callback_query is not None,
                         notice=context.tr("mine.updated"))


async def choice_value(update: Update, context: ItdaContext) -> int:
    _, _, record_id, key, index = (await pressed(update)).split(":")
    spec = field_named(_fields(_state(context)["kind"]), key)
    if spec is None or (index != "-" and not spec.is_choice):  # an old or forged button
        await say(update, context, context.tr("stale.text"))
        return BROWSE
    if index == "-":
        return await _apply(update, context, int(record_id), key, spec.empty)
    options = ([r.code for r in context.runtime.council.regions] if spec.choices == REGIONS
               else [c.value for c in spec.choices])  # type: ignore[union-attr]
    n = int(index)
    if not 0 <= n < len(options):
        await say(update, context, context.tr("stale.text"))
        return BROWSE
    return await _apply(update, context, int(record_id), key, options[n])


async def value_typed(update: Update, context: ItdaContext) -> int:
    """A new value for the field being edited: parsed like in the form."""
    assert update.message is not None
    state = _state(context)
    editing = state.get("edit")
    if not editing:
        return await stale(update, context)
    spec = field_named(_fields(state["kind"]), editing["key"])
    assert spec is not None and spec.parse is not None
    runtime = context.runtime
    async with runtime.session() as session:
        if state["kind"] == OPENING:
            current = await record_views.opening_values(session=session, opening_id=editing["id"])
        else:
            current = await record_views.seeker_values(session=session, seeker_id=editing["id"])
    try:
        value = spec.parse(update.message.text or "",
                           ParseEnv(today=runtime.clock.today(), draft=current))
    except DomainError as error:
        back = keyboard([[(context.tr("records.btn_back"), f"mine:open:{editing['id']}")]])
        await say(update, context, context.tr(error.key, **error.shown) + "\n\n"
                  + context.tr(spec.prompt_key), back)
        return EDIT_VALUE
    return await _apply(update, context, editing["id"], editing["key"], value)


async def choose_status(update: Update, context: ItdaContext) -> int:
    await answer(update)
    record_id = _id(update)
    kind = _state(context)["kind"]
    buttons = [(_status_label(context, kind, s), f"mine:sv:{record_id}:{s}")
               for s in _statuses(kind)]
    return await _record_choices(update, context, record_id, "mine.choose_new_status", buttons)


async def set_status(update: Update, context: ItdaContext) -> int:
    _, _, record_id, status = (await pressed(update)).split(":")
    runtime = context.runtime
    try:
        async with runtime.session() as session:
            if _state(context)["kind"] == SEEKER:
                await seekers.set_seeker_status(session=session, clock=runtime.clock,
                                                actor=actor(update, context),
                                                seeker_id=int(record_id), status=status)
            else:
                await openings.set_opening_status(session=session, clock=runtime.clock,
                                                  actor=actor(update, context),
                                                  opening_id=int(record_id), status=status)
    except DomainError as error:
        await explain(update, context, error)
        return BROWSE
    return await _detail(update, context, int(record_id), notice=context.tr("mine.updated"))


async def confirm_delete(update: Update, context: ItdaContext) -> int:
    await answer(update)
    record_id = _id(update)
    markup = keyboard([[(context.tr("mine.btn_delete_confirm"), f"mine:delok:{record_id}"),
                        (context.tr("records.btn_back"), f"mine:open:{record_id}")]])
    await say(update, context, context.tr("mine.confirm_delete", id=record_id), markup, edit=True)
    return BROWSE


async def delete(update: Update, context: ItdaContext) -> int:
    """Soft delete, audited; a second tap finds the record gone and says so."""
    await answer(update)
    record_id = _id(update)
    runtime = context.runtime
    try:
        async with runtime.session() as session:
            if _state(context)["kind"] == SEEKER:
                await seekers.delete_seeker(session=session, clock=runtime.clock,
                                            actor=actor(update, context), seeker_id=record_id)
            else:
                await openings.delete_opening(session=session, clock=runtime.clock,
                                              actor=actor(update, context), opening_id=record_id)
    except DomainError as error:
        await explain(update, context, error)
        return BROWSE
    await say(update, context, context.tr("mine.deleted", id=record_id), edit=True)
    return await _show_list(update, context, edit=False)


async def leave(update: Update, context: ItdaContext) -> int:
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop(STATE, None)
    await say(update, context, context.tr("mine.closed"))
    return END


def build_conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[CommandHandler("mine", mine)],
        states={
            BROWSE: [
                CallbackQueryHandler(page, pattern=r"^mine:pg:\d{1,9}$"),
                CallbackQueryHandler(choose_status_filter, pattern=r"^mine:st$"),
                CallbackQueryHandler(status_filter, pattern=r"^mine:stv:\w+$"),
                CallbackQueryHandler(choose_region_filter, pattern=r"^mine:rg$"),
                CallbackQueryHandler(region_filter, pattern=r"^mine:rgv:[\w-]+$"),
                CallbackQueryHandler(clear_filters, pattern=r"^mine:clear$"),
                CallbackQueryHandler(ask_keyword, pattern=r"^mine:q$"),
                CallbackQueryHandler(back_to_list, pattern=r"^mine:list$"),
                CallbackQueryHandler(open_record, pattern=r"^mine:open:\d{1,9}$"),
                CallbackQueryHandler(choose_field, pattern=r"^mine:ed:\d{1,9}$"),
                CallbackQueryHandler(field_chosen, pattern=r"^mine:ef:\d{1,9}:\w+$"),
                CallbackQueryHandler(choice_value, pattern=r"^mine:ev:\d{1,9}:\w+:(\d{1,9}|-)$"),
                CallbackQueryHandler(choose_status, pattern=r"^mine:ss:\d{1,9}$"),
                CallbackQueryHandler(set_status, pattern=r"^mine:sv:\d{1,9}:\w+$"),
                CallbackQueryHandler(confirm_delete, pattern=r"^mine:del:\d{1,9}$"),
                CallbackQueryHandler(delete, pattern=r"^mine:delok:\d{1,9}$"),
            ],
            SEARCH: [
                typed(keyword_typed),
                CallbackQueryHandler(back_to_list, pattern=r"^mine:list$"),
            ],
            EDIT_VALUE: [
                typed(value_typed),
                CallbackQueryHandler(open_record, pattern=r"^mine:open:\d{1,9}$"),
                CallbackQueryHandler(choice_value, pattern=r"^mine:ev:\d{1,9}:\w+:-$"),
            ],
        },
        fallbacks=[CommandHandler("cancel", leave)],
        name="mine",
        persistent=True,
        allow_reentry=True,
    )
