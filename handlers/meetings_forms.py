"""The meeting forms: /council_meeting (creating a council meeting: the form engine asks its
fields), moving a meeting to another date and time, and the notes after a council meeting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from adapters.context import ItdaContext
from core.errors import DomainError
from core.text import escape
from handlers import forms
from handlers.common import (
    END,
    actor,
    answer,
    call,
    canceller,
    draft_of,
    drop_draft,
    keyboard,
    not_command,
    requires,
    say,
    typed,
)
from handlers.meetings_common import (
    DATE_RETRY,
    HAVE_START,
    NEED_TIME,
    ask_date,
    create_from,
    date_handlers,
    form_when,
    invitation_markup,
    meeting_conversation,
    meeting_flow,
    notify,
    open_draft,
    others,
    refused,
    send_notice,
    show_meeting,
    small_form,
    stale,
    take_date,
    take_time,
    time_handlers,
)
from rendering import meetings as text
from services import meetings as svc

MOVE = "meeting_move"
NOTES = "meeting_notes"
cancel_form = canceller(MOVE, NOTES)  # leave any meeting form; nothing is saved


# --- /council_meeting: creating a council meeting (the form engine asks the fields) --------------
def _agency_buttons(context: Any, draft: dict[str, Any]) -> list[tuple[str, int]]:
    return [(name, agency_id) for agency_id, name in draft["meta"]["agencies"]]


def _council_summary(context: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "when": form_when(context, values),
        "place": text.place_or_link(context.tr, values["place"], values.get("link")),
        "agenda": escape(values["agenda"]),
        "agencies": len(values["agencies"]),
    }


async def _save_council(update: Update, context: ItdaContext, draft: dict[str, Any]) -> int:
    """Save once (a repeated 저장 finds the meeting its draft made), then invite."""
    values = draft["v"]
    meeting, invitees = await create_from(
        update, context, draft, svc.create_council_meeting, place=values["place"],
        online_link=values["link"], agenda=values["agenda"], agency_ids=values["agencies"],
    )
    assert meeting.id is not None and meeting.starts_at is not None
    starts_at = meeting.starts_at
    sent = await notify(
        context,
        others(context, invitees),
        "meetings.invitation",
        invitation_markup(meeting.id),
        when=lambda tr: text.when_text(tr, starts_at),
        place=lambda tr: text.place_text(tr, meeting),
        agenda=escape(meeting.agenda),
    )
    body = context.tr("meetings.created", invited=len(invitees), sent=sent)
    await say(update, context, body, edit=True)
    await show_meeting(update, context, meeting.id)
    return END


COUNCIL_FLOW = meeting_flow(
    "council_meeting", "mc", svc.COUNCIL_FIELDS, "meetings.confirm", _save_council,
    _council_summary, {svc.AGENCIES: _agency_buttons},
)


@requires("council_meeting")
async def start_council(update: Update, context: ItdaContext) -> int:
    """Start the form (every agency invited at first): the date first."""
    async with context.runtime.session() as session:
        agencies = await svc.invitable_agencies(session=session)
    forms.new_draft(context, COUNCIL_FLOW, agencies=[[i, name] for i, name in agencies])
    return await forms.begin(update, context, COUNCIL_FLOW, lead=context.tr("meetings.new_intro"))


def build_council_conversation() -> ConversationHandler:
    return meeting_conversation(COUNCIL_FLOW, start_council)


# --- moving (a small form) ---------------------------------------------------------------------
MOVE_DATE, MOVE_TIME = range(2)


async def start_move(update: Update, context: ItdaContext) -> int:
    """Ask for the new date."""
    await answer(update)
    open_draft(update, context, MOVE)
    await ask_date(update, context, "mm", lead=context.tr("meetings.move_intro"))
    return MOVE_DATE


async def move_date(update: Update, context: ItdaContext) -> int:
    draft = draft_of(context, MOVE)
    if draft is None:
        return await stale(update, context)
    step = await take_date(update, context, draft, "mm")
    if step == HAVE_START:
        return await _do_move(update, context, draft)
    return MOVE_TIME if step == NEED_TIME else MOVE_DATE


async def move_time(update: Update, context: ItdaContext) -> int:
    draft = draft_of(context, MOVE)
    if draft is None:
        return await stale(update, context)
    if not await take_time(update, context, draft, "mm"):
        return MOVE_TIME
    return await _do_move(update, context, draft)


async def _do_move(update: Update, context: ItdaContext, draft: dict) -> int:
    try:
        async with context.runtime.session() as session:
            notice = await svc.move_meeting(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                meeting_id=draft["meeting_id"],
                starts_at=datetime.fromisoformat(draft["starts_at"]),
            )
    except DomainError as error:
        if error.key in ("meetingday.overlap", *DATE_RETRY):
            await ask_date(update, context, "mm", lead=context.tr(error.key, **error.shown))
            return MOVE_DATE
        return await refused(update, context, MOVE, error, END)
    drop_draft(context, MOVE)
    await send_notice(update, context, notice, text.MOVED)
    return END


def build_move_conversation() -> ConversationHandler:
    states = {
        MOVE_DATE: date_handlers("mm", move_date, move_date),
        MOVE_TIME: time_handlers("mm", move_time),
    }
    return small_form("meeting_move", start_move, r"^mtg:move:\d{1,9}$", states, "mm", cancel_form)


# --- notes (after the meeting) -----------------------------------------------------------------
NOTES_TEXT = 0


async def start_notes(update: Update, context: ItdaContext) -> int:
    """Ask for the decisions and the division of roles."""
    await answer(update)
    open_draft(update, context, NOTES)
    markup = keyboard([text.cancel_row(context.tr, "mn")])
    await say(update, context, context.tr("meetings.ask_notes"), markup)
    return NOTES_TEXT


async def notes_typed(update: Update, context: ItdaContext) -> int:
    """Save the notes (the meeting counts as held) and share them with the members."""
    assert update.message is not None
    draft = draft_of(context, NOTES)
    if draft is None:
        return await stale(update, context)
    try:
        meeting, readers = await call(
            update, context, svc.record_notes, meeting_id=draft["meeting_id"],
            notes=update.message.text or "",
        )
    except DomainError as error:
        retry = ("meetings.notes_required", "input.too_long")
        return await refused(update, context, NOTES, error, NOTES_TEXT, *retry)
    drop_draft(context, NOTES)
    assert meeting.starts_at is not None
    starts_at = meeting.starts_at
    sent = await notify(
        context,
        others(context, readers),
        "meetings.notes_shared",
        when=lambda tr: text.when_text(tr, starts_at),
        notes=escape(meeting.notes),
    )
    await say(update, context, context.tr("meetings.notes_saved", notified=sent))
    return END


async def notes_not_text(update: Update, context: ItdaContext) -> int:
    await say(update, context, context.tr("meetings.ask_notes"))
    return NOTES_TEXT


def build_notes_conversation() -> ConversationHandler:
    states = {
        NOTES_TEXT: [
            typed(notes_typed),
            not_command(notes_not_text),
        ],
    }
    return small_form(
        "meeting_notes", start_notes, r"^mtg:notes:\d{1,9}$", states, "mn", cancel_form
    )
