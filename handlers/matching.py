"""/match (the best candidates for a seeker or an opening, each with its reasons) and /hire
(record a seeker hired into an opening)."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from adapters.context import ItdaContext
from core.errors import DomainError, NotAllowed
from core.statuses import AgencyKind, OpeningStatus
from core.text import escape, shorten
from handlers.common import (
    END,
    Button,
    Refused,
    answer,
    attempt,
    canceller,
    chat_kind,
    explain,
    in_rows,
    keep_pressed,
    keyboard,
    not_command,
    pressed_id,
    requires,
    role_of,
    say,
    stale,
    typed,
)
from rendering.records import opening_line, reasons_text, seeker_line
from services import commands as command_table
from services import match_views
from services import validation as v

LIST_LIMIT = 10


def _may(context: ItdaContext, update: Update, name: str) -> bool:
    spec = command_table.command(name)
    assert spec is not None
    kind = context.agency.kind if context.agency else None
    return command_table.may_use(spec, role=role_of(context), agency_kind=kind,
                                 chat=chat_kind(update))


def _is_saeil(context: ItdaContext) -> bool:
    return context.agency is not None and context.agency.kind == AgencyKind.SAEIL_CENTER


@requires("match")
async def match_command(update: Update, context: ItdaContext) -> None:
    """/match o12 or /match s7 directly; without a number, a list to choose from."""
    arg = (context.args[0] if context.args else "").lower().lstrip("#")
    if arg[:1] in ("o", "s") and arg[1:].isdigit():
        await (_for_opening if arg[0] == "o" else _for_seeker)(update, context, int(arg[1:]))
        return
    if _is_saeil(context):
        cards = await attempt(update, context, match_views.seekers_to_match, limit=LIST_LIMIT)
        if isinstance(cards, Refused):
            return
        buttons = [(f"#{c.id} {c.name}", f"match:s:{c.id}") for c in cards]
        key = "match.choose_seeker"
    else:
        openings = await attempt(update, context, match_views.openings_to_match,
                                 limit=LIST_LIMIT)
        if isinstance(openings, Refused):
            return
        buttons = [(f"#{o.id} {shorten(o.company_name, 20)}", f"match:o:{o.id}")
                   for o in openings]
        key = "match.choose_opening"
    if not buttons:
        await say(update, context, context.tr("match.nothing_to_match"))
        return
    await say(update, context, context.tr(key), keyboard(in_rows(buttons, 1)))


async def match_button(update: Update, context: ItdaContext) -> None:
    """match:o:<id> (from a notification or /mine) and match:s:<id>."""
    await answer(update)
    if not _may(context, update, "match"):
        await explain(update, context, NotAllowed("auth.not_allowed", command="match"))
        return
    query = update.callback_query
    assert query is not None and query.data is not None
    _, kind, number = query.data.split(":")
    await (_for_opening if kind == "o" else _for_seeker)(update, context, int(number))


async def _send_matches(
    update: Update, context: ItdaContext, lines: list[str], buttons: list[Button], found: bool
) -> None:
    """The ranked list (`lines`, title first; none `found`: say so), hire buttons two a row."""
    if not found:
        lines.append(context.tr("match.none"))
    markup = keyboard(in_rows(buttons, 2)) if buttons else None
    await say(update, context, "\n".join(lines), markup)


async def _for_opening(update: Update, context: ItdaContext, opening_id: int) -> None:
    """Seekers for an opening: masked outside their own centre (contacts to employer
    associations only with the 제17조 consent); unmasked views are audited."""
    found = await attempt(update, context, match_views.matches_for_opening,
                          council=context.runtime.council,
                          opening_id=opening_id)
    if isinstance(found, Refused):
        return
    opening, ranked = found.opening, found.ranked
    lines = [context.tr("match.for_opening", line=opening_line(context, opening))]
    buttons = []
    for n, (candidate, card) in enumerate(ranked, 1):
        lines.append(context.tr("match.rank", n=n, line=seeker_line(context, card)))
        if card.unmasked:
            lines.append(context.tr("match.contact", phone=escape(card.phone)))
        lines.append(context.tr("match.why", reasons=reasons_text(context, candidate.reasons)))
        if card.owner and opening.status == OpeningStatus.OPEN:
            buttons.append((context.tr("match.btn_hire", id=card.id),
                            f"hire:so:{card.id}:{opening.id}"))
    await _send_matches(update, context, lines, buttons, bool(ranked))


async def _for_seeker(update: Update, context: ItdaContext, seeker_id: int) -> None:
    """Open openings for one of the centre's seekers (coordinators see the seeker masked)."""
    found = await attempt(update, context, match_views.matches_for_seeker,
                          council=context.runtime.council,
                          seeker_id=seeker_id)
    if isinstance(found, Refused):
        return
    card, own, ranked = found.card, found.own, found.ranked
    lines = [context.tr("match.for_seeker", line=seeker_line(context, card))]
    buttons = []
    for n, (candidate, opening) in enumerate(ranked, 1):
        lines.append(context.tr("match.rank", n=n, line=opening_line(context, opening)))
        lines.append(context.tr("match.why", reasons=reasons_text(context, candidate.reasons)))
        if own:
            buttons.append((context.tr("match.btn_hire_opening", id=opening.id),
                            f"hire:so:{seeker_id}:{opening.id}"))
    await _send_matches(update, context, lines, buttons, bool(ranked))


# --- /hire ---------------------------------------------------------------------------------------
PICK_SEEKER, PICK_OPENING, HIRE_DATE, HIRE_CONFIRM = range(4)
HIRE = "hire"


@requires("hire")
async def hire_command(update: Update, context: ItdaContext) -> int:
    """Which seeker was hired (the centre's seekers still looking)."""
    agency_id = context.agency.id if context.agency and _is_saeil(context) else None
    cards = await attempt(update, context, match_views.hire_candidates,
                          agency_id=agency_id, limit=LIST_LIMIT)
    if isinstance(cards, Refused):
        return END
    if not cards:
        await say(update, context, context.tr("hire.no_seekers"))
        return END
    buttons = [(f"#{c.id} {c.name}", f"hr:s:{c.id}") for c in cards]
    rows_ = in_rows(buttons, 2) + [[(context.tr("common.btn_cancel"), "hr:x")]]
    await say(update, context, context.tr("hire.choose_seeker"), keyboard(rows_))
    return PICK_SEEKER


async def seeker_picked(update: Update, context: ItdaContext) -> int:
    """The seeker: now the opening, from the best matches."""
    seeker_id = await pressed_id(update)
    assert context.user_data is not None
    ranked = await attempt(update, context, match_views.hire_openings,
                           council=context.runtime.council, seeker_id=seeker_id, limit=8)
    if isinstance(ranked, Refused):
        return END
    if not ranked:
        await say(update, context, context.tr("hire.no_openings"), edit=True)
        return END
    context.user_data[HIRE] = {"seeker": seeker_id}
    buttons = [(f"#{o.id} {shorten(f'{o.company_name} {o.job_title}', 31)}", f"hr:o:{o.id}")
               for o in ranked]
    rows = in_rows(buttons, 1) + [[(context.tr("common.btn_cancel"), "hr:x")]]
    await say(update, context, context.tr("hire.choose_opening"), keyboard(rows), edit=True)
    return PICK_OPENING


async def opening_picked(update: Update, context: ItdaContext) -> int:
    if await keep_pressed(update, context, HIRE, "opening", number=True) is None:
        return END
    return await _ask_date(update, context)


async def from_match(update: Update, context: ItdaContext) -> int:
    """hire:so:<seeker>:<opening> from a /match result: straight to the date."""
    await answer(update)
    if not _may(context, update, "hire"):
        await explain(update, context, NotAllowed("auth.not_allowed", command="hire"))
        return END
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    _, _, seeker_id, opening_id = query.data.split(":")
    found = await attempt(update, context, match_views.hireable_seeker, seeker_id=int(seeker_id))
    if isinstance(found, Refused):
        return END
    context.user_data[HIRE] = {"seeker": int(seeker_id), "opening": int(opening_id)}
    return await _ask_date(update, context, edit=False)


async def _ask_date(update: Update, context: ItdaContext, *, error: str = "",
                    edit: bool = True) -> int:
    markup = keyboard([[(context.tr("hire.btn_today"), "hr:today"),
                        (context.tr("common.btn_cancel"), "hr:x")]])
    text = context.tr("hire.ask_date")
    await say(update, context, f"{error}\n\n{text}" if error else text, markup, edit=edit)
    return HIRE_DATE


async def date_typed(update: Update, context: ItdaContext) -> int:
    assert update.message is not None and context.user_data is not None
    draft = context.user_data.get(HIRE)
    if not draft:
        return await stale(update, context)
    try:
        hired_on = v.parse_date(update.message.text, today=context.runtime.clock.today(),
                                allow_future=False)
    except DomainError as error:
        return await _ask_date(update, context, error=context.tr(error.key, **error.shown),
                               edit=False)
    draft["date"] = hired_on.isoformat()
    return await _confirm(update, context)


async def date_today(update: Update, context: ItdaContext) -> int:
    await answer(update)
    assert context.user_data is not None
    draft = context.user_data.get(HIRE)
    if not draft:
        return await stale(update, context)
    draft["date"] = context.runtime.clock.today().isoformat()
    return await _confirm(update, context)


async def _confirm(update: Update, context: ItdaContext) -> int:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data[HIRE]
    found = await attempt(update, context, match_views.hire_summary,
                          seeker_id=draft["seeker"],
                          opening_id=draft["opening"])
    if isinstance(found, Refused):
        context.user_data.pop(HIRE, None)
        return END
    card, opening = found
    text = context.tr("hire.confirm", seeker=seeker_line(context, card),
                      opening=opening_line(context, opening), date=draft["date"])
    markup = keyboard([[(context.tr("records.btn_save"), "hr:save"),
                        (context.tr("common.btn_cancel"), "hr:x")]])
    await say(update, context, text, markup, edit=update.callback_query is not None)
    return HIRE_CONFIRM


async def hire_save(update: Update, context: ItdaContext) -> int:
    """저장: the draft is taken out first (a double tap finds nothing)."""
    await answer(update)
    draft = context.user_data.pop(HIRE, None) if context.user_data is not None else None
    if not draft or "date" not in draft:
        return await stale(update, context)
    saved = await attempt(update, context, match_views.record_hire,
                          seeker_id=draft["seeker"], opening_id=draft["opening"],
                          hired_on=date.fromisoformat(draft["date"]),
                          followup=context.runtime.council.followup)
    if isinstance(saved, Refused):
        return END
    hire, opening = saved
    left = opening.positions - opening.positions_filled
    key = "hire.saved_filled" if opening.status == OpeningStatus.FILLED else "hire.saved"
    await say(update, context, context.tr(key, id=hire.id, left=left,
                                          company=escape(opening.company_name)), edit=True)
    return END


hire_cancel = canceller(HIRE, said="records.cancelled")


async def use_buttons(update: Update, context: ItdaContext) -> None:
    await say(update, context, context.tr("records.use_buttons"))


def build_hire_conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[
            CommandHandler("hire", hire_command),
            CallbackQueryHandler(from_match, pattern=r"^hire:so:\d{1,9}:\d{1,9}$"),
        ],
        states={
            PICK_SEEKER: [CallbackQueryHandler(seeker_picked, pattern=r"^hr:s:\d{1,9}$"),
                          not_command(use_buttons)],
            PICK_OPENING: [CallbackQueryHandler(opening_picked, pattern=r"^hr:o:\d{1,9}$"),
                           not_command(use_buttons)],
            HIRE_DATE: [typed(date_typed),
                        CallbackQueryHandler(date_today, pattern=r"^hr:today$")],
            HIRE_CONFIRM: [CallbackQueryHandler(hire_save, pattern=r"^hr:save$"),
                           not_command(use_buttons)],
        },
        fallbacks=[
            CommandHandler("cancel", hire_cancel),
            CallbackQueryHandler(hire_cancel, pattern=r"^hr:x$"),
        ],
        name="hire",
        persistent=True,
        allow_reentry=True,
    )


HANDLERS = [
    CommandHandler("match", match_command),
    CallbackQueryHandler(match_button, pattern=r"^match:[os]:\d{1,9}$"),
]
