"""A meeting day (만남의 날) on the day, for the host centre in private chats: the checklist of who
is present, results per seeker and company (interviews, hires), and closing the day."""

from __future__ import annotations

from telegram import Update

from adapters.context import ItdaContext
from handlers.common import Press, Refused, attempt, say
from handlers.meetings_common import (
    ScreenText,
    action_of,
    confirm,
    meeting_id,
    private,
    show,
    show_found,
)
from rendering import meetings as text
from services import meetings as svc


# --- the checklist on the day ------------------------------------------------------------------
async def checklist(update: Update, context: ItdaContext) -> None:
    """Tap seekers and companies present; a company taps through on site, in writing, absent."""
    await _checklist(update, context, meeting_id(update), edit=False)


async def _checklist(update: Update, context: ItdaContext, meeting_id: int, *, edit: bool) -> None:
    def render(sheet: svc.DaySheet) -> ScreenText:
        return text.checklist_screen(context.tr, sheet, meeting_id)

    await show_found(update, context, svc.day_sheet, render, edit=edit, meeting_id=meeting_id)


async def toggle_presence(update: Update, context: ItdaContext) -> None:
    row = await attempt(update, context, svc.toggle_day_presence, attendance_id=meeting_id(update))
    if isinstance(row, Refused):
        return
    await _checklist(update, context, row.meeting_id, edit=True)


# --- results -----------------------------------------------------------------------------------
async def results(update: Update, context: ItdaContext) -> None:
    """Present seekers: pick one to record interviews, a hire on the spot or a hire in progress."""
    day_id = meeting_id(update)

    def render(sheet: svc.DaySheet) -> ScreenText:
        return text.results_screen(context.tr, sheet, day_id)

    await show_found(update, context, svc.day_sheet, render, meeting_id=day_id)


async def seeker_result(update: Update, context: ItdaContext) -> None:
    """One seeker's result buttons."""
    await _seeker_result(update, context, meeting_id(update))


async def _seeker_result(
    update: Update, context: ItdaContext, row_id: int, lead: str = ""
) -> None:
    found = await attempt(update, context, svc.seeker_result_view, attendance_id=row_id)
    if isinstance(found, Refused):
        return
    day_id, me, _ = found
    screen = text.seeker_result_screen(context.tr, day_id, me, lead)
    await show(update, context, screen, edit=True)


async def pick_company(update: Update, context: ItdaContext) -> None:
    """Which company: for an interview, a hire on the spot or a hire in progress."""
    action, row_id = action_of(update), meeting_id(update)
    found = await attempt(update, context, svc.seeker_result_view, attendance_id=row_id)
    if isinstance(found, Refused):
        return
    _, me, present = found
    if not present:
        lead = context.tr("meetingday.no_companies_present")
        await _seeker_result(update, context, row_id, lead)
        return
    await show(update, context, text.pick_company_screen(context.tr, action, me, present),
               edit=True)


RECORDERS = {
    "ric": (svc.record_interview, "meetingday.interview_saved"),
    "rhc": (svc.record_spot_hire, "meetingday.hire_saved"),
    "rpc": (svc.record_in_progress, "meetingday.in_progress_saved"),
}


async def company_result(update: Update, context: ItdaContext) -> None:
    """Record the interview / hire / hire in progress with the chosen company."""
    recorder, key = RECORDERS[action_of(update)]
    row_id, company_id = meeting_id(update, 2), meeting_id(update, 3)
    # A hire on the spot gets its follow-up points at the council's months.
    extra = {"followup": context.runtime.council.followup} \
        if recorder is svc.record_spot_hire else {}
    done = await attempt(
        update, context, recorder, seeker_row_id=row_id, company_row_id=company_id, **extra
    )
    if isinstance(done, Refused):
        return
    await _seeker_result(update, context, row_id, context.tr(key))


async def not_hired(update: Update, context: ItdaContext) -> None:
    row_id = meeting_id(update)
    done = await attempt(update, context, svc.record_not_hired, seeker_row_id=row_id)
    if isinstance(done, Refused):
        return
    await _seeker_result(update, context, row_id, context.tr("meetingday.not_hired_saved"))


# --- closing the day ---------------------------------------------------------------------------
async def confirm_close(update: Update, context: ItdaContext) -> None:
    await confirm(
        update, context, "meetingday.close_confirm", "meetingday.btn_close_confirm",
        "mday:closeok",
    )


async def close_day(update: Update, context: ItdaContext) -> None:
    """The day is over: results are final; seekers not hired go to follow-up."""
    done = await attempt(update, context, svc.close_meeting_day, meeting_id=meeting_id(update))
    if isinstance(done, Refused):
        return
    counts, followup = done
    body = context.tr("meetingday.closed", followup=followup)
    await say(update, context, body + "\n" + text.counts_text(context.tr, counts), edit=True)


HANDLERS = [
    Press(private(checklist), pattern=r"^mday:ck:\d{1,9}$"),
    Press(private(toggle_presence), pattern=r"^mday:ap:\d{1,9}$"),
    Press(private(results), pattern=r"^mday:rs:\d{1,9}$"),
    Press(private(seeker_result), pattern=r"^mday:sk:\d{1,9}$"),
    Press(private(pick_company), pattern=r"^mday:r[ihp]:\d{1,9}$"),
    Press(private(company_result), pattern=r"^mday:r[ihp]c:\d{1,9}:\d{1,9}$"),
    Press(private(not_hired), pattern=r"^mday:rn:\d{1,9}$"),
    Press(private(confirm_close), pattern=r"^mday:close:\d{1,9}$"),
    Press(private(close_day), pattern=r"^mday:closeok:\d{1,9}$"),
]
