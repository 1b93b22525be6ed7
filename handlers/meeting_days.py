"""Meeting days (만남의 날): created by a 새일센터 for its region; inviting companies and seekers;
the checklist on the day; results per seeker and company; closing the day.

Seekers' details appear only on the host centre's screens (services.meetings.day_sheet).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from adapters.context import ItdaContext
from core.errors import DomainError, NotAllowed
from core.text import escape, shorten
from handlers import forms
from handlers.common import (
    END,
    Button,
    actor,
    answer,
    chat_kind,
    explain,
    in_rows,
    keyboard,
    requires,
    say,
)
from handlers.meetings import (
    DATE_RETRY,
    _id,
    counts_text,
    day_buttons,
    day_prompt,
    draft_of,
    form_when,
    show_meeting,
    stale,
)
from rendering.records import region_name
from services import meetings as svc
from services.commands import PRIVATE

Screen = Callable[[Update, ItdaContext], Awaitable[None]]


def _private(func: Screen) -> Callable[[Update, ItdaContext], Coroutine[Any, Any, None]]:
    """The day's screens name the host centre's seekers: never in a group chat."""

    @functools.wraps(func)
    async def screen(update: Update, context: ItdaContext) -> None:
        if chat_kind(update) != PRIVATE:
            await explain(update, context, NotAllowed("auth.private_only", command="meetings"))
            return
        await func(update, context)

    return screen


# --- /meeting_day: creating a meeting day (the form engine asks the fields) ----------------------
def _cancel_row(context: ItdaContext, prefix: str) -> list[Button]:
    return [(context.tr("common.btn_cancel"), f"{prefix}:cancel")]


def _region_buttons(context: Any, draft: dict[str, Any]) -> list[tuple[str, str]]:
    """The 시군 the centre serves (one only: taken without asking)."""
    return [(name, code) for code, name in draft["meta"]["regions"]]


def _day_summary(context: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "region": escape(region_name(context, values["region"])),
        "when": form_when(context, values),
        "venue": escape(values["venue"]),
        "capacity": values["capacity"],
        "contact": escape(values["contact"]),
    }


async def _save_day(update: Update, context: ItdaContext, draft: dict[str, Any]) -> int:
    """Save once (a repeated 저장 finds the day its draft made); an overlap or a past time asks
    the date again (forms.save, DAY_FLOW.retry)."""
    values = draft["v"]
    async with context.runtime.session() as session:
        meeting = await svc.create_meeting_day(
            session=session,
            clock=context.runtime.clock,
            actor=actor(update, context),
            region_code=values["region"],
            starts_at=svc.starts_at(values, context.runtime.clock.tz),
            venue=values["venue"],
            capacity=values["capacity"],
            contact=values["contact"],
            token=forms.token_of(draft),
        )
    assert meeting.id is not None
    await say(update, context, context.tr("meetingday.created"), edit=True)
    await show_meeting(update, context, meeting.id)
    return END


DAY_FLOW = forms.FormFlow(
    name="meeting_day",
    prefix="md",
    fields=svc.MEETING_DAY_FIELDS,
    summary_key="meetingday.confirm",
    save=_save_day,
    sources={svc.DAYS: day_buttons, svc.HOST_REGIONS: _region_buttons},
    prompt_values=day_prompt,
    summary_values=_day_summary,
    retry={**DATE_RETRY, "meetingday.overlap": "date"},
)


@requires("meeting_day")
async def start_day(update: Update, context: ItdaContext) -> int:
    """A 새일센터 starts a meeting day: the region (if it serves several), then the date."""
    try:
        async with context.runtime.session() as session:
            regions = await svc.host_regions(session=session, actor=actor(update, context))
    except DomainError as error:
        await explain(update, context, error)
        return END
    forms.new_draft(context, DAY_FLOW, regions=[[code, name] for code, name in regions])
    names = ", ".join(name for _, name in regions)
    lead = context.tr("meetingday.new_intro", region=escape(names))
    return await forms.begin(update, context, DAY_FLOW, lead=lead)


def build_day_conversation() -> ConversationHandler:
    return forms.conversation(DAY_FLOW, entry_points=[CommandHandler("meeting_day", start_day)])


# --- capacity (a small form) -------------------------------------------------------------------
CAP_TEXT = 0
CAPACITY = "meeting_day_capacity"


async def start_capacity(update: Update, context: ItdaContext) -> int:
    await answer(update)
    assert context.user_data is not None
    context.user_data[CAPACITY] = {"meeting_id": _id(update)}
    buttons = [(str(n), f"mc2:cp:{n}") for n in svc.CAPACITY_CHOICES]
    await say(
        update,
        context,
        context.tr("meetingday.ask_capacity"),
        keyboard([buttons, _cancel_row(context, "mc2")]),
    )
    return CAP_TEXT


async def capacity_given(update: Update, context: ItdaContext) -> int:
    """A new capacity: never below the seekers already invited; frees waiting places."""
    assert context.user_data is not None
    draft = draft_of(context, CAPACITY)
    if draft is None:
        return await stale(update, context)
    query = update.callback_query
    try:
        if query is not None:
            await answer(update)
            assert query.data is not None
            capacity = svc.parse_capacity(query.data.split(":")[2])
        else:
            assert update.message is not None
            capacity = svc.parse_capacity(update.message.text)
        async with context.runtime.session() as session:
            meeting, promoted = await svc.change_capacity(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                meeting_id=draft["meeting_id"],
                capacity=capacity,
            )
    except DomainError as error:
        if error.key in ("meetingday.capacity_invalid", "meetingday.capacity_below_invited"):
            await explain(update, context, error)
            return CAP_TEXT
        context.user_data.pop(CAPACITY, None)
        await explain(update, context, error)
        return END
    context.user_data.pop(CAPACITY, None)
    assert meeting.id is not None
    await show_meeting(
        update,
        context,
        meeting.id,
        lead=context.tr("meetingday.capacity_saved", capacity=capacity, promoted=promoted),
    )
    return END


async def cancel_capacity(update: Update, context: ItdaContext) -> int:
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop(CAPACITY, None)
    await say(
        update, context, context.tr("common.cancelled"), edit=update.callback_query is not None
    )
    return END


def build_capacity_conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(start_capacity, pattern=r"^mday:cap:\d{1,9}$")],
        states={
            CAP_TEXT: [
                CallbackQueryHandler(capacity_given, pattern=r"^mc2:cp:\d{1,9}$"),
                MessageHandler(filters.TEXT & ~filters.COMMAND, capacity_given),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel_capacity),
            CallbackQueryHandler(cancel_capacity, pattern=r"^mc2:cancel$"),
        ],
        name="meeting_day_capacity",
        persistent=True,
        allow_reentry=True,
    )


# --- inviting companies and seekers ------------------------------------------------------------
async def companies(update: Update, context: ItdaContext) -> None:
    """Openings in the centre's 시군 (approved subsidy workplaces first), tap to invite."""
    await answer(update)
    await _companies(update, context, _id(update), edit=False)


async def _companies(
    update: Update, context: ItdaContext, meeting_id: int, *, edit: bool, lead: str = ""
) -> None:
    tr = context.tr
    try:
        async with context.runtime.session() as session:
            _, choices = await svc.company_choices(
                session=session, actor=actor(update, context), meeting_id=meeting_id
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    buttons = [
        (
            ("✅ " if c.invited else "⬜ ") + ("★ " if c.subsidy else "") + shorten(c.label, 40),
            f"mday:to:{meeting_id}:{c.opening_id}",
        )
        for c in choices[:60]
    ]
    rows = in_rows(buttons, 1) + [[(tr("meetings.btn_back"), f"mtg:v:{meeting_id}")]]
    key = "meetingday.companies_title" if choices else "meetingday.companies_none"
    invited = sum(1 for c in choices if c.invited)
    text = (lead + "\n" if lead else "") + tr(key, invited=invited, total=len(choices))
    await say(update, context, text, keyboard(rows), edit=edit)


async def toggle_company(update: Update, context: ItdaContext) -> None:
    await answer(update)
    meeting_id, opening_id = _id(update, 2), _id(update, 3)
    try:
        async with context.runtime.session() as session:
            invited, label = await svc.toggle_company(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                meeting_id=meeting_id,
                opening_id=opening_id,
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    key = "meetingday.company_invited" if invited else "meetingday.company_removed"
    await _companies(
        update, context, meeting_id, edit=True, lead=context.tr(key, company=escape(label))
    )


async def seekers(update: Update, context: ItdaContext) -> None:
    """The centre's own seekers (host only), tap to invite; over capacity means waiting list."""
    await answer(update)
    await _seekers(update, context, _id(update), edit=False)


async def _seekers(
    update: Update, context: ItdaContext, meeting_id: int, *, edit: bool, lead: str = ""
) -> None:
    tr = context.tr
    try:
        async with context.runtime.session() as session:
            meeting, choices, taken = await svc.seeker_choices(
                session=session, actor=actor(update, context), meeting_id=meeting_id
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    marks = {None: "⬜ ", "invited": "✅ ", "waitlisted": "⏳ "}
    buttons = [
        (marks[c.state] + shorten(c.label, 40), f"mday:ts:{meeting_id}:{c.seeker_id}")
        for c in choices[:80]
    ]
    rows = in_rows(buttons, 1) + [[(tr("meetings.btn_back"), f"mtg:v:{meeting_id}")]]
    waiting = sum(1 for c in choices if c.state == "waitlisted")
    key = "meetingday.seekers_title" if choices else "meetingday.seekers_none"
    text = (lead + "\n" if lead else "") + tr(
        key, taken=taken, capacity=meeting.capacity or 0, waitlisted=waiting
    )
    await say(update, context, text, keyboard(rows), edit=edit)


async def toggle_seeker(update: Update, context: ItdaContext) -> None:
    await answer(update)
    meeting_id, seeker_id = _id(update, 2), _id(update, 3)
    try:
        async with context.runtime.session() as session:
            result = await svc.toggle_seeker(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                meeting_id=meeting_id,
                seeker_id=seeker_id,
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    lead = context.tr(f"meetingday.seeker_state.{result.state}", promoted=result.promoted)
    await _seekers(update, context, meeting_id, edit=True, lead=lead)


# --- the checklist on the day ------------------------------------------------------------------
def _presence_mark(p: svc.Participant) -> str:
    if not p.present:
        return "⬜"
    if p.kind == "company" and p.mode == svc.MODE_WRITTEN:
        return "📝"
    return "✅"


async def checklist(update: Update, context: ItdaContext) -> None:
    """Tap seekers and companies present; a company taps through on site, in writing, absent."""
    await answer(update)
    await _checklist(update, context, _id(update), edit=False)


async def _checklist(update: Update, context: ItdaContext, meeting_id: int, *, edit: bool) -> None:
    tr = context.tr
    try:
        async with context.runtime.session() as session:
            sheet = await svc.day_sheet(
                session=session, actor=actor(update, context), meeting_id=meeting_id
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    buttons: list[Button] = []
    for p in sheet.seekers:
        wait = "⏳" if p.waitlisted and not p.present else ""
        buttons.append((f"{_presence_mark(p)}{wait} {shorten(p.label, 36)}",
                        f"mday:ap:{p.attendance_id}"))
    for p in sheet.companies:
        buttons.append((f"{_presence_mark(p)} 🏢 {shorten(p.label, 34)}",
                        f"mday:ap:{p.attendance_id}"))
    rows = in_rows(buttons, 1) + [[(tr("meetings.btn_back"), f"mtg:v:{meeting_id}")]]
    text = tr(
        "meetingday.checklist_title",
        seekers=sum(1 for p in sheet.seekers if p.present),
        seekers_total=len(sheet.seekers),
        companies=sum(1 for p in sheet.companies if p.present),
        companies_total=len(sheet.companies),
    )
    await say(update, context, text, keyboard(rows), edit=edit)


async def toggle_presence(update: Update, context: ItdaContext) -> None:
    await answer(update)
    try:
        async with context.runtime.session() as session:
            row = await svc.toggle_day_presence(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                attendance_id=_id(update),
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    await _checklist(update, context, row.meeting_id, edit=True)


# --- results -----------------------------------------------------------------------------------
def _result_text(context: ItdaContext, p: svc.Participant) -> str:
    result = context.tr(f"meetingday.result.{p.result or 'none'}")
    return context.tr(
        "meetingday.result_line", label=escape(p.label), interviews=p.interviews, result=result
    )


async def results(update: Update, context: ItdaContext) -> None:
    """Present seekers: pick one to record interviews, a hire on the spot or a hire in progress."""
    await answer(update)
    await _results(update, context, _id(update), edit=False)


async def _results(
    update: Update, context: ItdaContext, meeting_id: int, *, edit: bool, lead: str = ""
) -> None:
    tr = context.tr
    try:
        async with context.runtime.session() as session:
            sheet = await svc.day_sheet(
                session=session, actor=actor(update, context), meeting_id=meeting_id
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    present = [p for p in sheet.seekers if p.present]
    lines = [lead] if lead else []
    lines.append(tr("meetingday.results_title" if present else "meetingday.results_none"))
    lines += [_result_text(context, p) for p in present]
    companies = [p for p in sheet.companies if p.present]
    if companies:
        lines.append(tr("meetingday.results_companies"))
        lines += [_result_text(context, p) for p in companies]
    buttons = [(shorten(p.label, 40), f"mday:sk:{p.attendance_id}") for p in present]
    rows = in_rows(buttons, 1) + [[(tr("meetings.btn_back"), f"mtg:v:{meeting_id}")]]
    await say(update, context, "\n".join(lines), keyboard(rows), edit=edit)


async def seeker_result(update: Update, context: ItdaContext) -> None:
    """One seeker's result buttons."""
    await answer(update)
    await _seeker_result(update, context, _id(update))


async def _seeker_result(
    update: Update, context: ItdaContext, row_id: int, lead: str = ""
) -> None:
    tr = context.tr
    try:
        async with context.runtime.session() as session:
            meeting_id, me, _ = await svc.seeker_result_view(
                session=session, actor=actor(update, context), attendance_id=row_id
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    rows = [
        [
            (tr("meetingday.btn_interview"), f"mday:ri:{row_id}"),
            (tr("meetingday.btn_hired"), f"mday:rh:{row_id}"),
        ],
        [
            (tr("meetingday.btn_in_progress"), f"mday:rp:{row_id}"),
            (tr("meetingday.btn_not_hired"), f"mday:rn:{row_id}"),
        ],
        [(tr("meetings.btn_back"), f"mday:rs:{meeting_id}")],
    ]
    text = (lead + "\n" if lead else "") + _result_text(context, me)
    await say(update, context, text, keyboard(rows), edit=True)


async def pick_company(update: Update, context: ItdaContext) -> None:
    """Which company: for an interview, a hire on the spot or a hire in progress."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    action, row_id = query.data.split(":")[1], _id(update)
    tr = context.tr
    try:
        async with context.runtime.session() as session:
            _, me, present = await svc.seeker_result_view(
                session=session, actor=actor(update, context), attendance_id=row_id
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    if not present:
        await _seeker_result(update, context, row_id, tr("meetingday.no_companies_present"))
        return
    buttons = [(shorten(c.label, 40), f"mday:{action}c:{row_id}:{c.attendance_id}")
               for c in present]
    rows = in_rows(buttons, 1) + [[(tr("meetings.btn_back"), f"mday:sk:{row_id}")]]
    await say(
        update,
        context,
        tr(f"meetingday.pick_company.{action}", seeker=escape(me.label)),
        keyboard(rows),
        edit=True,
    )


async def company_result(update: Update, context: ItdaContext) -> None:
    """Record the interview / hire / hire in progress with the chosen company."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    action = query.data.split(":")[1]
    row_id, company_id = _id(update, 2), _id(update, 3)
    recorders = {
        "ric": (svc.record_interview, "meetingday.interview_saved"),
        "rhc": (svc.record_spot_hire, "meetingday.hire_saved"),
        "rpc": (svc.record_in_progress, "meetingday.in_progress_saved"),
    }
    recorder, key = recorders[action]
    try:
        async with context.runtime.session() as session:
            await recorder(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                seeker_row_id=row_id,
                company_row_id=company_id,
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    await _seeker_result(update, context, row_id, context.tr(key))


async def not_hired(update: Update, context: ItdaContext) -> None:
    await answer(update)
    row_id = _id(update)
    try:
        async with context.runtime.session() as session:
            await svc.record_not_hired(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                seeker_row_id=row_id,
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    await _seeker_result(update, context, row_id, context.tr("meetingday.not_hired_saved"))


# --- closing the day ---------------------------------------------------------------------------
async def confirm_close(update: Update, context: ItdaContext) -> None:
    await answer(update)
    meeting_id = _id(update)
    markup = keyboard(
        [
            [
                (context.tr("meetingday.btn_close_confirm"), f"mday:closeok:{meeting_id}"),
                (context.tr("meetings.btn_back"), f"mtg:v:{meeting_id}"),
            ]
        ]
    )
    await say(update, context, context.tr("meetingday.close_confirm"), markup, edit=True)


async def close_day(update: Update, context: ItdaContext) -> None:
    """The day is over: results are final; seekers not hired go to follow-up."""
    await answer(update)
    try:
        async with context.runtime.session() as session:
            counts, followup = await svc.close_meeting_day(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                meeting_id=_id(update),
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    await say(
        update,
        context,
        context.tr("meetingday.closed", followup=followup)
        + "\n"
        + counts_text(context.tr, counts),
        edit=True,
    )


HANDLERS = [
    CallbackQueryHandler(_private(companies), pattern=r"^mday:co:\d{1,9}$"),
    CallbackQueryHandler(_private(toggle_company), pattern=r"^mday:to:\d{1,9}:\d{1,9}$"),
    CallbackQueryHandler(_private(seekers), pattern=r"^mday:se:\d{1,9}$"),
    CallbackQueryHandler(_private(toggle_seeker), pattern=r"^mday:ts:\d{1,9}:\d{1,9}$"),
    CallbackQueryHandler(_private(checklist), pattern=r"^mday:ck:\d{1,9}$"),
    CallbackQueryHandler(_private(toggle_presence), pattern=r"^mday:ap:\d{1,9}$"),
    CallbackQueryHandler(_private(results), pattern=r"^mday:rs:\d{1,9}$"),
    CallbackQueryHandler(_private(seeker_result), pattern=r"^mday:sk:\d{1,9}$"),
    CallbackQueryHandler(_private(pick_company), pattern=r"^mday:r[ihp]:\d{1,9}$"),
    CallbackQueryHandler(_private(company_result), pattern=r"^mday:r[ihp]c:\d{1,9}:\d{1,9}$"),
    CallbackQueryHandler(_private(not_hired), pattern=r"^mday:rn:\d{1,9}$"),
    CallbackQueryHandler(_private(confirm_close), pattern=r"^mday:close:\d{1,9}$"),
    CallbackQueryHandler(_private(close_day), pattern=r"^mday:closeok:\d{1,9}$"),
]
