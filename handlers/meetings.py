"""Council meetings (실무자협의회) and what every meeting shares: /meetings, a meeting's screen,
RSVP, check-in, the coordinator's answer sheet and checklist, .ics, cancelling.

The forms (creating a council meeting, moving, notes) are in handlers/meetings_forms.py;
meeting days (만남의 날) in handlers/meeting_days.py and handlers/meetings_day_sheet.py.
"""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters.context import ItdaContext
from core.text import escape
from handlers.common import Press, Refused, answer, attempt, keyboard, requires, say
from handlers.meetings_common import (
    ScreenText,
    confirm,
    meeting_id,
    send_notice,
    show_found,
    show_meeting,
)
from handlers.meetings_forms import (
    build_council_conversation,
    build_move_conversation,
    build_notes_conversation,
)
from rendering import meetings as text
from services import ics
from services import meetings as svc

__all__ = [
    "HANDLERS",
    "build_council_conversation",
    "build_move_conversation",
    "build_notes_conversation",
]


# --- /meetings ---------------------------------------------------------------------------------
@requires("meetings")
async def list_meetings(update: Update, context: ItdaContext) -> None:
    """Upcoming meetings of the member's agency and region, with their own answer."""
    await _list(update, context, past=False)


async def list_past(update: Update, context: ItdaContext) -> None:
    """Recently held meetings (their notes and results)."""
    await _list(update, context, past=True)


async def _list(update: Update, context: ItdaContext, *, past: bool) -> None:
    def render(views: list[svc.MeetingView]) -> ScreenText:
        return text.list_screen(context.tr, views, past=past)

    await show_found(update, context, svc.my_meetings, render, past=past)


async def open_meeting(update: Update, context: ItdaContext) -> None:
    """One meeting's screen, with the buttons this member may use."""
    await show_meeting(update, context, meeting_id(update))


# --- RSVP and check-in -------------------------------------------------------------------------
async def rsvp(update: Update, context: ItdaContext) -> None:
    """참석 / 불참 / 미정: stored, and the invitation shows the answer (changeable)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, _, raw_id, choice = query.data.split(":")
    done = await attempt(update, context, svc.set_rsvp, meeting_id=int(raw_id), answer=choice)
    if isinstance(done, Refused):
        return
    shown = text.rsvp_text(context.tr, choice)
    await answer(update, context.tr("meetings.rsvp_saved_toast", rsvp=shown))
    lead = context.tr("meetings.rsvp_saved", rsvp=shown)
    await show_meeting(update, context, int(raw_id), edit=True, lead=lead)


async def checkin(update: Update, context: ItdaContext) -> None:
    """A member checks in during the meeting."""
    done = await attempt(update, context, svc.check_in, meeting_id=meeting_id(update))
    if isinstance(done, Refused):
        return
    _, already = done
    key = "meetings.checked_in_already" if already else "meetings.checked_in"
    await say(update, context, context.tr(key))


# --- the coordinator's answer sheet and checklist ----------------------------------------------
async def answers(update: Update, context: ItdaContext) -> None:
    """Who answered what, per agency, and who has not answered yet."""
    sheet = await attempt(update, context, svc.answer_sheet, meeting_id=meeting_id(update))
    if isinstance(sheet, Refused):
        return
    tr = context.tr
    back = text.back_row(tr, f"mtg:v:{sheet.meeting.id}")
    await say(update, context, text.answers_text(tr, sheet), keyboard([back]))


async def attendance(update: Update, context: ItdaContext) -> None:
    """The attendance checklist: one button per invited member."""
    await _attendance(update, context, meeting_id(update), edit=False)


async def _attendance(
    update: Update, context: ItdaContext, meeting_id: int, *, edit: bool
) -> None:
    def render(sheet: svc.AnswerSheet) -> ScreenText:
        return text.attendance_screen(context.tr, sheet, meeting_id)

    await show_found(update, context, svc.answer_sheet, render, edit=edit, meeting_id=meeting_id)


async def toggle_attendance(update: Update, context: ItdaContext) -> None:
    """Tick or untick one member on the checklist."""
    done = await attempt(
        update, context, svc.toggle_member_present, attendance_id=meeting_id(update)
    )
    if isinstance(done, Refused):
        return
    row, _name = done
    await _attendance(update, context, row.meeting_id, edit=True)


# --- .ics --------------------------------------------------------------------------------------
async def send_ics(update: Update, context: ItdaContext) -> None:
    """The meeting as an iCalendar file for the phone's calendar."""
    tr = context.tr
    view = await attempt(update, context, svc.meeting_view, meeting_id=meeting_id(update))
    if isinstance(view, Refused):
        return
    m = view.meeting
    assert m.starts_at is not None and m.ends_at is not None and m.id is not None
    title = text.meeting_title(tr, m, view.region)
    data = ics.meeting_ics(
        uid=f"meeting-{m.id}@itda",
        title=title,
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        stamp=context.runtime.clock.now(),
        location=m.place,
        url=m.online_link,
        description=text.ics_description(tr, view),
        sequence=int(m.updated_at.timestamp()) // 60 % 100000 if m.updated_at else 0,
    )
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        InputFile(data, filename=f"itda-meeting-{m.id}.ics"),
        caption=tr("meetings.ics_caption", title=escape(title)),
    )


# --- cancelling --------------------------------------------------------------------------------
async def confirm_cancel(update: Update, context: ItdaContext) -> None:
    """Ask once more before cancelling a meeting."""
    await confirm(
        update, context, "meetings.cancel_confirm", "meetings.btn_cancel_confirm", "mtg:cxok"
    )


async def do_cancel(update: Update, context: ItdaContext) -> None:
    """Cancel the meeting and tell everyone invited."""
    notice = await attempt(update, context, svc.cancel_meeting, meeting_id=meeting_id(update))
    if isinstance(notice, Refused):
        return
    await send_notice(update, context, notice, text.CANCELLED)


HANDLERS = [
    CommandHandler("meetings", list_meetings),
    Press(list_past, pattern=r"^mtg:past$"),
    Press(open_meeting, pattern=r"^mtg:v:\d{1,9}$"),
    CallbackQueryHandler(rsvp, pattern=r"^mtg:r:\d{1,9}:(yes|no|maybe)$"),  # answers with a toast
    Press(checkin, pattern=r"^mtg:ci:\d{1,9}$"),
    Press(answers, pattern=r"^mtg:ans:\d{1,9}$"),
    Press(attendance, pattern=r"^mtg:att:\d{1,9}$"),
    Press(toggle_attendance, pattern=r"^mtg:ap:\d{1,9}$"),
    Press(send_ics, pattern=r"^mtg:ics:\d{1,9}$"),
    Press(confirm_cancel, pattern=r"^mtg:cx:\d{1,9}$"),
    Press(do_cancel, pattern=r"^mtg:cxok:\d{1,9}$"),
]
