"""Meeting days (만남의 날) before the day: /meeting_day (created by a 새일센터 for its region),
the capacity, and inviting companies and seekers (a waiting list beyond the capacity).

The day itself (checklist, results, closing) is in handlers/meetings_day_sheet.py. Seekers'
details appear only on the host centre's screens, in private chats.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
)

from adapters.context import ItdaContext
from core.errors import DomainError
from core.text import escape
from handlers import forms, meetings_day_sheet
from handlers.common import (
    END,
    Press,
    Refused,
    answer,
    attempt,
    call,
    canceller,
    draft_of,
    drop_draft,
    keyboard,
    requires,
    say,
    typed,
)
from handlers.meetings_common import (
    ScreenText,
    create_from,
    form_when,
    meeting_conversation,
    meeting_flow,
    meeting_id,
    open_draft,
    private,
    refused,
    show_found,
    show_meeting,
    small_form,
    stale,
)
from rendering import meetings as text
from rendering.records import region_name
from services import meetings as svc

T = TypeVar("T")


# --- /meeting_day: creating a meeting day (the form engine asks the fields) ----------------------
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
    meeting = await create_from(
        update, context, draft, svc.create_meeting_day, region_code=values["region"],
        venue=values["venue"], capacity=values["capacity"], contact=values["contact"],
    )
    assert meeting.id is not None
    await say(update, context, context.tr("meetingday.created"), edit=True)
    await show_meeting(update, context, meeting.id)
    return END


DAY_FLOW = meeting_flow(
    "meeting_day", "md", svc.MEETING_DAY_FIELDS, "meetingday.confirm", _save_day, _day_summary,
    {svc.HOST_REGIONS: _region_buttons}, retry={"meetingday.overlap": "date"},
)


@requires("meeting_day")
async def start_day(update: Update, context: ItdaContext) -> int:
    """A 새일센터 starts a meeting day: the region (if it serves several), then the date."""
    regions = await attempt(update, context, svc.host_regions)
    if isinstance(regions, Refused):
        return END
    forms.new_draft(context, DAY_FLOW, regions=[[code, name] for code, name in regions])
    names = ", ".join(name for _, name in regions)
    lead = context.tr("meetingday.new_intro", region=escape(names))
    return await forms.begin(update, context, DAY_FLOW, lead=lead)


def build_day_conversation() -> ConversationHandler:
    return meeting_conversation(DAY_FLOW, start_day)


# --- capacity (a small form) -------------------------------------------------------------------
CAP_TEXT = 0
CAPACITY = "meeting_day_capacity"
cancel_capacity = canceller(CAPACITY)


async def start_capacity(update: Update, context: ItdaContext) -> int:
    await answer(update)
    open_draft(update, context, CAPACITY)
    buttons = [(str(n), f"mc2:cp:{n}") for n in svc.CAPACITY_CHOICES]
    markup = keyboard([buttons, text.cancel_row(context.tr, "mc2")])
    await say(update, context, context.tr("meetingday.ask_capacity"), markup)
    return CAP_TEXT


async def capacity_given(update: Update, context: ItdaContext) -> int:
    """A new capacity: never below the seekers already invited; frees waiting places."""
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
        meeting, promoted = await call(
            update, context, svc.change_capacity, meeting_id=draft["meeting_id"],
            capacity=capacity,
        )
    except DomainError as error:
        retry = ("meetingday.capacity_invalid", "meetingday.capacity_below_invited")
        return await refused(update, context, CAPACITY, error, CAP_TEXT, *retry)
    drop_draft(context, CAPACITY)
    assert meeting.id is not None
    lead = context.tr("meetingday.capacity_saved", capacity=capacity, promoted=promoted)
    await show_meeting(update, context, meeting.id, lead=lead)
    return END


def build_capacity_conversation() -> ConversationHandler:
    states = {
        CAP_TEXT: [
            CallbackQueryHandler(capacity_given, pattern=r"^mc2:cp:\d{1,9}$"),
            typed(capacity_given),
        ],
    }
    return small_form(
        "meeting_day_capacity", start_capacity, r"^mday:cap:\d{1,9}$", states, "mc2",
        cancel_capacity,
    )


# --- inviting companies and seekers ------------------------------------------------------------
async def companies(update: Update, context: ItdaContext) -> None:
    """Openings in the centre's 시군 (approved subsidy workplaces first), tap to invite."""
    await _companies(update, context, meeting_id(update), edit=False)


async def _companies(
    update: Update, context: ItdaContext, meeting_id: int, *, edit: bool, lead: str = ""
) -> None:
    def render(found: tuple[object, list[svc.CompanyChoice]]) -> ScreenText:
        return text.companies_screen(context.tr, meeting_id, found[1], lead)

    await show_found(
        update, context, svc.company_choices, render, edit=edit, meeting_id=meeting_id
    )


async def _toggle(
    update: Update,
    context: ItdaContext,
    service: Callable[..., Awaitable[T]],
    key: str,
    screen: Callable[..., Awaitable[None]],
    said: Callable[[T], str],
) -> None:
    """A tap in a meeting day's list (`...:<day>:<id>`): invite or take back (`service`, the id
    as `key`), then the list again led by what changed (`said`)."""
    day_id, other_id = meeting_id(update, 2), meeting_id(update, 3)
    result = await attempt(update, context, service, meeting_id=day_id, **{key: other_id})
    if not isinstance(result, Refused):
        await screen(update, context, day_id, edit=True, lead=said(result))


async def toggle_company(update: Update, context: ItdaContext) -> None:
    def said(done: tuple[bool, str]) -> str:
        invited, label = done
        key = "meetingday.company_invited" if invited else "meetingday.company_removed"
        return context.tr(key, company=escape(label))

    await _toggle(update, context, svc.toggle_company, "opening_id", _companies, said)


async def seekers(update: Update, context: ItdaContext) -> None:
    """The centre's own seekers (host only), tap to invite; over capacity means waiting list."""
    await _seekers(update, context, meeting_id(update), edit=False)


async def _seekers(
    update: Update, context: ItdaContext, meeting_id: int, *, edit: bool, lead: str = ""
) -> None:
    def render(found: tuple[Any, list[svc.SeekerChoice], int]) -> ScreenText:
        meeting, choices, taken = found
        return text.seekers_screen(context.tr, meeting, choices, taken, lead)

    await show_found(update, context, svc.seeker_choices, render, edit=edit, meeting_id=meeting_id)


async def toggle_seeker(update: Update, context: ItdaContext) -> None:
    def said(result: svc.SeekerToggle) -> str:
        return context.tr(f"meetingday.seeker_state.{result.state}", promoted=result.promoted)

    await _toggle(update, context, svc.toggle_seeker, "seeker_id", _seekers, said)


HANDLERS = [
    Press(private(companies), pattern=r"^mday:co:\d{1,9}$"),
    Press(private(toggle_company), pattern=r"^mday:to:\d{1,9}:\d{1,9}$"),
    Press(private(seekers), pattern=r"^mday:se:\d{1,9}$"),
    Press(private(toggle_seeker), pattern=r"^mday:ts:\d{1,9}:\d{1,9}$"),
    *meetings_day_sheet.HANDLERS,
]
