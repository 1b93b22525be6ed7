"""Council meetings (실무자협의회) and what every meeting shares: /meetings, a meeting's screen,
RSVP, check-in, the coordinator's answer sheet and checklist, notes, .ics, cancelling and moving.

Meeting days (만남의 날) have their own screens in handlers/meeting_days.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from adapters.context import ItdaContext
from core.errors import DomainError
from core.statuses import MeetingKind, MeetingStatus
from core.text import escape
from handlers import forms
from handlers.common import END, Button, actor, answer, explain, in_rows, keyboard, requires, say
from locales import Translator
from models import council as council_db
from models.tables import Meeting, Member
from services import ics
from services import meetings as svc
from services.forms import Also, FieldSpec, ParseEnv

log = logging.getLogger(__name__)

# --- dates and times: buttons, or typed text checked by services.meetings ----------------------
# The creation forms (council meetings, meeting days) ask them through handlers/forms.py with
# the helpers below; moving a meeting asks them in a small form of its own (ask_date, take_date).
DATE_AGAIN, NEED_TIME, HAVE_START = range(3)


def when_text(tr: Translator, at: datetime) -> str:
    return tr(
        "meetings.when",
        md=f"{at.month}/{at.day}",
        wd=tr(f"meetings.weekday.{at.weekday()}"),
        hm=at.strftime("%H:%M"),
    )


def day_text(tr: Translator, day: date) -> str:
    return tr(
        "meetings.day", md=f"{day.month}/{day.day}", wd=tr(f"meetings.weekday.{day.weekday()}")
    )


def day_buttons(context: Any, draft: dict[str, Any]) -> list[tuple[str, str]]:
    """The next working days, for the forms' date question (typing '9/15 14:00' works too)."""
    today = context.runtime.clock.today()
    return [(day_text(context.tr, d), d.isoformat()) for d in svc.date_choices(today)]


def day_prompt(context: Any, spec: FieldSpec, values: dict[str, Any]) -> dict[str, Any]:
    """The forms' time question names the day chosen."""
    if spec.key != "time":
        return {}
    day = values.get("date")
    return {"day": day_text(context.tr, date.fromisoformat(day)) if day else "-"}


def form_when(context: Any, values: dict[str, Any]) -> str:
    """A form's date and time as a summary shows them."""
    return when_text(context.tr, svc.starts_at(values, context.runtime.clock.tz))


# A refusal at 저장 that another date fixes: the date is asked again, the rest kept.
DATE_RETRY = {"meetings.when_past": "date", "meetings.when_too_far": "date"}


async def ask_date(
    update: Update, context: ItdaContext, prefix: str, *, edit: bool = False, lead: str = ""
) -> None:
    """The next working days as buttons; typing '9/15 14:00' works as well."""
    days = day_buttons(context, {})
    buttons = [(label, f"{prefix}:d:{day.replace('-', '')}") for label, day in days]
    rows = in_rows(buttons, 4) + [[(context.tr("common.btn_cancel"), f"{prefix}:cancel")]]
    text = (lead + "\n\n" if lead else "") + context.tr("meetings.ask_date")
    await say(update, context, text, keyboard(rows), edit=edit)


async def ask_time(update: Update, context: ItdaContext, prefix: str, day: date) -> None:
    buttons = [(t, f"{prefix}:t:{t.replace(':', '')}") for t in svc.TIME_CHOICES]
    rows = in_rows(buttons, 3) + [[(context.tr("common.btn_cancel"), f"{prefix}:cancel")]]
    await say(
        update,
        context,
        context.tr("meetings.ask_time", day=day_text(context.tr, day)),
        keyboard(rows),
        edit=update.callback_query is not None,
    )


async def _answer_text(update: Update) -> str:
    """The typed text, or the tapped button's value (its data's last part)."""
    query = update.callback_query
    if query is not None:
        await answer(update)
        assert query.data is not None
        return query.data.rsplit(":", 1)[1]
    assert update.message is not None
    return update.message.text or ""


async def take_date(update: Update, context: ItdaContext, draft: dict, prefix: str) -> int:
    """A date button or typed date (with or without a time), checked as the forms' date field
    is (services.meetings.date_answer); stores it in the draft."""
    clock = context.runtime.clock
    raw = await _answer_text(update)
    if update.callback_query is not None:  # a button: YYYYMMDD
        raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    try:
        day = svc.date_answer(raw, ParseEnv(today=clock.today(), now=clock.now()))
    except DomainError as error:
        await ask_date(update, context, prefix, lead=context.tr(error.key, **error.shown))
        return DATE_AGAIN
    if isinstance(day, Also):
        draft["starts_at"] = svc.starts_at({"date": day["_value"], **day}, clock.tz).isoformat()
        return HAVE_START
    draft["day"] = day
    await ask_time(update, context, prefix, date.fromisoformat(day))
    return NEED_TIME


async def take_time(update: Update, context: ItdaContext, draft: dict, prefix: str) -> bool:
    """A time button or typed time for the chosen day; False (and asked again) when invalid."""
    clock = context.runtime.clock
    raw = await _answer_text(update)
    if update.callback_query is not None:  # a button: HHMM
        raw = f"{raw[:2]}:{raw[2:]}"
    values = {"date": draft["day"]}
    try:
        values["time"] = svc.time_answer(raw, ParseEnv(today=clock.today(), draft=values,
                                                       now=clock.now()))
    except DomainError as error:
        await say(update, context, context.tr(error.key, **error.shown))
        await ask_time(update, context, prefix, date.fromisoformat(draft["day"]))
        return False
    draft["starts_at"] = svc.starts_at(values, clock.tz).isoformat()
    return True


def date_handlers(prefix: str, on_date, on_text) -> list:
    return [
        CallbackQueryHandler(on_date, pattern=rf"^{prefix}:d:\d{{8}}$"),
        MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
    ]


def time_handlers(prefix: str, on_time) -> list:
    return [
        CallbackQueryHandler(on_time, pattern=rf"^{prefix}:t:\d{{4}}$"),
        MessageHandler(filters.TEXT & ~filters.COMMAND, on_time),
    ]


def draft_of(context: ItdaContext, key: str) -> dict | None:
    assert context.user_data is not None
    value = context.user_data.get(key)
    return value if isinstance(value, dict) else None


async def stale(update: Update, context: ItdaContext) -> int:
    await answer(update)
    await say(update, context, context.tr("stale.text"))
    return END


# --- rendering ---------------------------------------------------------------------------------
def meeting_title(tr: Translator, meeting: Meeting, region: str = "") -> str:
    if meeting.kind == MeetingKind.COUNCIL:
        return tr("meetings.council_title")
    return tr("meetingday.title", region=region or "-")


def rsvp_text(tr: Translator, rsvp: str | None) -> str:
    return tr(f"meetings.rsvp.{rsvp or 'none'}")


def rsvp_buttons(tr: Translator, meeting_id: int) -> list[Button]:
    return [(tr(f"meetings.rsvp_btn.{a}"), f"mtg:r:{meeting_id}:{a}") for a in svc.RSVP_ANSWERS]


def place_text(tr: Translator, meeting: Meeting) -> str:
    if meeting.online_link:
        return tr("meetings.online", link=escape(meeting.online_link))
    return escape(meeting.place)


def render_view(tr: Translator, view: svc.MeetingView) -> str:
    m = view.meeting
    assert m.starts_at is not None and m.ends_at is not None
    lines = [f"<b>{escape(meeting_title(tr, m, view.region))}</b> · {escape(view.host)}"]
    if m.status != MeetingStatus.SCHEDULED:
        lines.append(tr(f"meetings.status.{m.status}"))
    lines.append(
        tr(
            "meetings.line_when",
            when=when_text(tr, m.starts_at),
            until=m.ends_at.strftime("%H:%M"),
        )
    )
    lines.append(tr("meetings.line_place", place=place_text(tr, m)))
    if m.kind == MeetingKind.COUNCIL:
        lines.append(tr("meetings.line_agenda", agenda=escape(m.agenda)))
        if view.invited:
            lines.append(tr("meetings.line_my_rsvp", rsvp=rsvp_text(tr, view.my_rsvp)))
        if m.notes:
            lines.append(tr("meetings.line_notes", notes=escape(m.notes)))
    elif view.counts is not None:
        lines.append(tr("meetingday.line_contact", contact=escape(m.contact)))
        lines.append(counts_text(tr, view.counts))
    return "\n".join(lines)


def counts_text(tr: Translator, c: svc.DayCounts) -> str:
    return tr(
        "meetingday.counts",
        seekers=c.seekers,
        capacity=c.capacity,
        waitlisted=c.waitlisted,
        companies=c.companies,
        written=c.written,
        seekers_present=c.seekers_present,
        companies_present=c.companies_present,
        interviews=c.interviews,
        hires=c.hires,
        in_progress=c.in_progress,
    )


def view_markup(tr: Translator, view: svc.MeetingView, now: datetime) -> InlineKeyboardMarkup:
    m = view.meeting
    assert m.id is not None and m.starts_at is not None
    rows: list[list[Button]] = []
    scheduled = m.status == MeetingStatus.SCHEDULED
    if m.kind == MeetingKind.COUNCIL and view.invited and scheduled and now < m.starts_at:
        rows.append(rsvp_buttons(tr, m.id))
    council = m.kind == MeetingKind.COUNCIL
    if council and view.invited and not view.present and svc.in_checkin_window(m, now):
        rows.append([(tr("meetings.btn_checkin"), f"mtg:ci:{m.id}")])
    if view.can_manage and m.kind == MeetingKind.COUNCIL and m.status != "cancelled":
        rows.append(
            [
                (tr("meetings.btn_answers"), f"mtg:ans:{m.id}"),
                (tr("meetings.btn_attendance"), f"mtg:att:{m.id}"),
            ]
        )
        rows.append([(tr("meetings.btn_notes"), f"mtg:notes:{m.id}")])
    if view.can_manage and m.kind == MeetingKind.MEETING_DAY and scheduled:
        rows.append(
            [
                (tr("meetingday.btn_companies"), f"mday:co:{m.id}"),
                (tr("meetingday.btn_seekers"), f"mday:se:{m.id}"),
            ]
        )
        rows.append(
            [
                (tr("meetingday.btn_checklist"), f"mday:ck:{m.id}"),
                (tr("meetingday.btn_results"), f"mday:rs:{m.id}"),
            ]
        )
        rows.append(
            [
                (tr("meetingday.btn_capacity"), f"mday:cap:{m.id}"),
                (tr("meetingday.btn_close"), f"mday:close:{m.id}"),
            ]
        )
    if view.can_manage and scheduled:
        rows.append(
            [
                (tr("meetings.btn_move"), f"mtg:move:{m.id}"),
                (tr("meetings.btn_cancel_meeting"), f"mtg:cx:{m.id}"),
            ]
        )
    if m.status != "cancelled":
        rows.append([(tr("meetings.btn_ics"), f"mtg:ics:{m.id}")])
    return keyboard(rows)


async def show_meeting(
    update: Update,
    context: ItdaContext,
    meeting_id: int,
    *,
    edit: bool = False,
    lead: str = "",
) -> None:
    try:
        async with context.runtime.session() as session:
            view = await svc.meeting_view(
                session=session, actor=actor(update, context), meeting_id=meeting_id
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    text = (lead + "\n\n" if lead else "") + render_view(context.tr, view)
    await say(
        update,
        context,
        text,
        view_markup(context.tr, view, context.runtime.clock.now()),
        edit=edit,
    )


def _id(update: Update, position: int = -1) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    return int(query.data.split(":")[position])


async def notify(
    context: ItdaContext, members: Sequence[Member], key: str, markup_for=None, **values: object
) -> int:
    """Send one message to each member in their own language; returns how many got it."""
    sent = 0
    for member in members:
        tr = Translator(member.language)
        filled = {k: (v(tr) if callable(v) else v) for k, v in values.items()}
        try:
            await context.bot.send_message(
                member.telegram_id,
                tr(key, **filled),
                reply_markup=markup_for(tr) if markup_for else None,
            )
            sent += 1
        except TelegramError as exc:
            log.info("could not notify member %s: %s", member.id, type(exc).__name__)
    return sent


# --- /meetings ---------------------------------------------------------------------------------
@requires("meetings")
async def list_meetings(update: Update, context: ItdaContext) -> None:
    """Upcoming meetings of the member's agency and region, with their own answer."""
    await _list(update, context, past=False)


async def list_past(update: Update, context: ItdaContext) -> None:
    """Recently held meetings (their notes and results)."""
    await answer(update)
    await _list(update, context, past=True)


async def _list(update: Update, context: ItdaContext, *, past: bool) -> None:
    tr = context.tr
    try:
        async with context.runtime.session() as session:
            views = await svc.my_meetings(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                past=past,
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    title = tr("meetings.list_past_title" if past else "meetings.list_title", count=len(views))
    lines = [title] if views else [tr("meetings.list_past_none" if past else "meetings.list_none")]
    buttons: list[Button] = []
    for index, view in enumerate(views, 1):
        m = view.meeting
        assert m.starts_at is not None and m.id is not None
        extra = ""
        if m.kind == MeetingKind.COUNCIL and view.invited:
            extra = tr("meetings.list_rsvp", rsvp=rsvp_text(tr, view.my_rsvp))
        elif view.counts is not None:
            extra = tr(
                "meetingday.list_counts",
                seekers=view.counts.seekers,
                companies=view.counts.companies,
            )
        lines.append(
            tr(
                "meetings.list_line",
                n=index,
                when=when_text(tr, m.starts_at),
                title=escape(meeting_title(tr, m, view.region)),
                host=escape(view.host),
                extra=extra,
            )
        )
        buttons.append((tr("meetings.btn_open", n=index), f"mtg:v:{m.id}"))
    rows = in_rows(buttons, 3)
    if not past:
        rows.append([(tr("meetings.btn_past"), "mtg:past")])
    await say(update, context, "\n".join(lines), keyboard(rows))


async def open_meeting(update: Update, context: ItdaContext) -> None:
    """One meeting's screen, with the buttons this member may use."""
    await answer(update)
    await show_meeting(update, context, _id(update))


# --- RSVP and check-in -------------------------------------------------------------------------
async def rsvp(update: Update, context: ItdaContext) -> None:
    """참석 / 불참 / 미정: stored, and the invitation shows the answer (changeable)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, _, raw_id, choice = query.data.split(":")
    try:
        async with context.runtime.session() as session:
            meeting, _row = await svc.set_rsvp(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                meeting_id=int(raw_id),
                answer=choice,
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    await answer(
        update, context.tr("meetings.rsvp_saved_toast", rsvp=rsvp_text(context.tr, choice))
    )
    await show_meeting(
        update,
        context,
        int(raw_id),
        edit=True,
        lead=context.tr("meetings.rsvp_saved", rsvp=rsvp_text(context.tr, choice)),
    )


async def checkin(update: Update, context: ItdaContext) -> None:
    """A member checks in during the meeting."""
    await answer(update)
    try:
        async with context.runtime.session() as session:
            _, already = await svc.check_in(
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
        context.tr("meetings.checked_in_already" if already else "meetings.checked_in"),
    )


# --- the coordinator's answer sheet and checklist ----------------------------------------------
async def answers(update: Update, context: ItdaContext) -> None:
    """Who answered what, per agency, and who has not answered yet."""
    await answer(update)
    tr = context.tr
    try:
        async with context.runtime.session() as session:
            sheet = await svc.answer_sheet(
                session=session, actor=actor(update, context), meeting_id=_id(update)
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    m = sheet.meeting
    assert m.starts_at is not None and m.id is not None
    lines = [
        tr(
            "meetings.answers_title",
            when=when_text(tr, m.starts_at),
            yes=sheet.count("yes"),
            no=sheet.count("no"),
            maybe=sheet.count("maybe"),
            none=sheet.count(None),
        )
    ]
    for group in sheet.agencies:
        parts = []
        for line in group.lines:
            state = tr("meetings.left") if line.left else rsvp_text(tr, line.rsvp)
            parts.append(tr("meetings.answer_person", name=escape(line.name), rsvp=state))
        lines.append(
            tr("meetings.answers_agency", agency=escape(group.agency), people=", ".join(parts))
        )
    await say(
        update, context, "\n".join(lines), keyboard([[(tr("meetings.btn_back"), f"mtg:v:{m.id}")]])
    )


async def attendance(update: Update, context: ItdaContext) -> None:
    """The attendance checklist: one button per invited member."""
    await answer(update)
    await _attendance(update, context, _id(update), edit=False)


async def _attendance(
    update: Update, context: ItdaContext, meeting_id: int, *, edit: bool, lead: str = ""
) -> None:
    tr = context.tr
    try:
        async with context.runtime.session() as session:
            sheet = await svc.answer_sheet(
                session=session, actor=actor(update, context), meeting_id=meeting_id
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    buttons: list[Button] = []
    for group in sheet.agencies:
        for line in group.lines:
            if line.left and not line.present:
                continue
            mark = "✅" if line.present else "⬜"
            label = f"{mark} {line.name[:16]} · {group.agency[:10]}"
            buttons.append((label, f"mtg:ap:{line.attendance_id}"))
    rows = in_rows(buttons, 1) + [[(tr("meetings.btn_back"), f"mtg:v:{meeting_id}")]]
    text = (lead + "\n" if lead else "") + tr("meetings.attendance_title", present=sheet.present)
    await say(update, context, text, keyboard(rows), edit=edit)


async def toggle_attendance(update: Update, context: ItdaContext) -> None:
    """Tick or untick one member on the checklist."""
    await answer(update)
    try:
        async with context.runtime.session() as session:
            row, _name = await svc.toggle_member_present(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                attendance_id=_id(update),
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    await _attendance(update, context, row.meeting_id, edit=True)


# --- .ics --------------------------------------------------------------------------------------
async def send_ics(update: Update, context: ItdaContext) -> None:
    """The meeting as an iCalendar file for the phone's calendar."""
    await answer(update)
    tr = context.tr
    try:
        async with context.runtime.session() as session:
            view = await svc.meeting_view(
                session=session, actor=actor(update, context), meeting_id=_id(update)
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    m = view.meeting
    assert m.starts_at is not None and m.ends_at is not None and m.id is not None
    if m.kind == MeetingKind.COUNCIL:
        description = m.agenda
    else:
        description = tr("meetingday.ics_description", host=view.host, contact=m.contact)
    data = ics.meeting_ics(
        uid=f"meeting-{m.id}@itda",
        title=meeting_title(tr, m, view.region),
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        stamp=context.runtime.clock.now(),
        location=m.place,
        url=m.online_link,
        description=description,
        sequence=int(m.updated_at.timestamp()) // 60 % 100000 if m.updated_at else 0,
    )
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        InputFile(data, filename=f"itda-meeting-{m.id}.ics"),
        caption=tr("meetings.ics_caption", title=escape(meeting_title(tr, m, view.region))),
    )


# --- cancelling --------------------------------------------------------------------------------
async def confirm_cancel(update: Update, context: ItdaContext) -> None:
    """Ask once more before cancelling a meeting."""
    await answer(update)
    meeting_id = _id(update)
    markup = keyboard(
        [
            [
                (context.tr("meetings.btn_cancel_confirm"), f"mtg:cxok:{meeting_id}"),
                (context.tr("meetings.btn_back"), f"mtg:v:{meeting_id}"),
            ]
        ]
    )
    await say(update, context, context.tr("meetings.cancel_confirm"), markup, edit=True)


async def do_cancel(update: Update, context: ItdaContext) -> None:
    """Cancel the meeting and tell everyone invited."""
    await answer(update)
    try:
        async with context.runtime.session() as session:
            notice = await svc.cancel_meeting(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                meeting_id=_id(update),
            )
            region = await _region_name(session, notice.meeting)
    except DomainError as error:
        await explain(update, context, error)
        return
    await _send_notice(update, context, notice, region, "cancelled")


async def _region_name(session, meeting: Meeting) -> str:
    if not meeting.region_code:
        return ""
    region = await council_db.get_region(session=session, code=meeting.region_code)
    return region.name if region else ""


async def _send_notice(
    update: Update, context: ItdaContext, notice: svc.Notice, region: str, what: str
) -> None:
    m = notice.meeting
    assert m.starts_at is not None and m.id is not None
    meeting_id = m.id

    def title(tr: Translator) -> str:
        return escape(meeting_title(tr, m, region))

    def old(tr: Translator) -> str:
        return when_text(tr, notice.old_starts_at)

    def new(tr: Translator) -> str:
        assert m.starts_at is not None
        return when_text(tr, m.starts_at)

    def rsvp_markup(tr: Translator) -> InlineKeyboardMarkup:
        return keyboard(
            [rsvp_buttons(tr, meeting_id), [(tr("meetings.btn_ics"), f"mtg:ics:{meeting_id}")]]
        )

    markup = rsvp_markup if (what == "moved" and m.kind == MeetingKind.COUNCIL) else None
    council = m.kind == MeetingKind.COUNCIL
    key = f"meetings.notice.{what}" if council else f"meetingday.notice.{what}"
    sent = await notify(context, notice.members, key, markup, title=title, old=old, new=new)
    sent += await notify(
        context,
        notice.hosts,
        f"meetingday.host_notice.{what}",
        None,
        title=title,
        old=old,
        new=new,
        seekers=notice.seekers,
    )
    done_key = "meetings.cancelled_done" if what == "cancelled" else "meetings.moved_done"
    text = context.tr(
        done_key, title=title(context.tr), old=old(context.tr), new=new(context.tr), notified=sent
    )
    if m.kind == MeetingKind.MEETING_DAY and notice.seekers:
        text += "\n" + context.tr("meetingday.call_seekers", seekers=notice.seekers)
    await say(update, context, text, edit=update.callback_query is not None)


# --- moving (a small form) ---------------------------------------------------------------------
MOVE_DATE, MOVE_TIME = range(2)
MOVE = "meeting_move"


async def start_move(update: Update, context: ItdaContext) -> int:
    """Ask for the new date."""
    await answer(update)
    assert context.user_data is not None
    context.user_data[MOVE] = {"meeting_id": _id(update)}
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
    assert context.user_data is not None
    try:
        async with context.runtime.session() as session:
            notice = await svc.move_meeting(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                meeting_id=draft["meeting_id"],
                starts_at=datetime.fromisoformat(draft["starts_at"]),
            )
            region = await _region_name(session, notice.meeting)
    except DomainError as error:
        if error.key in ("meetingday.overlap", "meetings.when_past", "meetings.when_too_far"):
            await ask_date(update, context, "mm", lead=context.tr(error.key, **error.shown))
            return MOVE_DATE
        context.user_data.pop(MOVE, None)
        await explain(update, context, error)
        return END
    context.user_data.pop(MOVE, None)
    await _send_notice(update, context, notice, region, "moved")
    return END


async def cancel_form(update: Update, context: ItdaContext) -> int:
    """Leave any meeting form; nothing is saved."""
    await answer(update)
    if context.user_data is not None:
        for key in (MOVE, NOTES):
            context.user_data.pop(key, None)
    await say(
        update, context, context.tr("common.cancelled"), edit=update.callback_query is not None
    )
    return END


def build_move_conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(start_move, pattern=r"^mtg:move:\d{1,9}$")],
        states={
            MOVE_DATE: date_handlers("mm", move_date, move_date),
            MOVE_TIME: time_handlers("mm", move_time),
        },
        fallbacks=[
            CommandHandler("cancel", cancel_form),
            CallbackQueryHandler(cancel_form, pattern=r"^mm:cancel$"),
        ],
        name="meeting_move",
        persistent=True,
        allow_reentry=True,
    )


# --- notes (after the meeting) -----------------------------------------------------------------
NOTES_TEXT = 0
NOTES = "meeting_notes"


async def start_notes(update: Update, context: ItdaContext) -> int:
    """Ask for the decisions and the division of roles."""
    await answer(update)
    assert context.user_data is not None
    context.user_data[NOTES] = {"meeting_id": _id(update)}
    markup = keyboard([[(context.tr("common.btn_cancel"), "mn:cancel")]])
    await say(update, context, context.tr("meetings.ask_notes"), markup)
    return NOTES_TEXT


async def notes_typed(update: Update, context: ItdaContext) -> int:
    """Save the notes (the meeting counts as held) and share them with the members."""
    assert update.message is not None and context.user_data is not None
    draft = draft_of(context, NOTES)
    if draft is None:
        return await stale(update, context)
    try:
        async with context.runtime.session() as session:
            meeting, readers = await svc.record_notes(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                meeting_id=draft["meeting_id"],
                notes=update.message.text or "",
            )
    except DomainError as error:
        if error.key in ("meetings.notes_required", "input.too_long"):
            await explain(update, context, error)
            return NOTES_TEXT
        context.user_data.pop(NOTES, None)
        await explain(update, context, error)
        return END
    context.user_data.pop(NOTES, None)
    assert meeting.starts_at is not None
    starts_at = meeting.starts_at
    me = context.member.id if context.member else None
    sent = await notify(
        context,
        [r for r in readers if r.id != me],
        "meetings.notes_shared",
        when=lambda tr: when_text(tr, starts_at),
        notes=escape(meeting.notes),
    )
    await say(update, context, context.tr("meetings.notes_saved", notified=sent))
    return END


async def notes_not_text(update: Update, context: ItdaContext) -> int:
    await say(update, context, context.tr("meetings.ask_notes"))
    return NOTES_TEXT


def build_notes_conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(start_notes, pattern=r"^mtg:notes:\d{1,9}$")],
        states={
            NOTES_TEXT: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, notes_typed),
                MessageHandler(~filters.COMMAND, notes_not_text),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel_form),
            CallbackQueryHandler(cancel_form, pattern=r"^mn:cancel$"),
        ],
        name="meeting_notes",
        persistent=True,
        allow_reentry=True,
    )


# --- /council_meeting: creating a council meeting (the form engine asks the fields) --------------
def _agency_buttons(context: Any, draft: dict[str, Any]) -> list[tuple[str, int]]:
    return [(name, agency_id) for agency_id, name in draft["meta"]["agencies"]]


def _council_summary(context: Any, values: dict[str, Any]) -> dict[str, Any]:
    tr = context.tr
    link = values.get("link")
    return {
        "when": form_when(context, values),
        "place": tr("meetings.online", link=escape(link)) if link else escape(values["place"]),
        "agenda": escape(values["agenda"]),
        "agencies": len(values["agencies"]),
    }


async def _save_council(update: Update, context: ItdaContext, draft: dict[str, Any]) -> int:
    """Save once (a repeated 저장 finds the meeting its draft made), then invite."""
    values = draft["v"]
    async with context.runtime.session() as session:
        meeting, invitees = await svc.create_council_meeting(
            session=session,
            clock=context.runtime.clock,
            actor=actor(update, context),
            starts_at=svc.starts_at(values, context.runtime.clock.tz),
            place=values["place"],
            online_link=values["link"],
            agenda=values["agenda"],
            agency_ids=values["agencies"],
            token=forms.token_of(draft),
        )
    assert meeting.id is not None and meeting.starts_at is not None
    meeting_id, starts_at = meeting.id, meeting.starts_at
    me = context.member.id if context.member else None

    def markup(tr: Translator) -> InlineKeyboardMarkup:
        return keyboard(
            [rsvp_buttons(tr, meeting_id), [(tr("meetings.btn_ics"), f"mtg:ics:{meeting_id}")]]
        )

    sent = await notify(
        context,
        [m for m in invitees if m.id != me],
        "meetings.invitation",
        markup,
        when=lambda tr: when_text(tr, starts_at),
        place=lambda tr: place_text(tr, meeting),
        agenda=escape(meeting.agenda),
    )
    await say(
        update,
        context,
        context.tr("meetings.created", invited=len(invitees), sent=sent),
        edit=True,
    )
    await show_meeting(update, context, meeting_id)
    return END


COUNCIL_FLOW = forms.FormFlow(
    name="council_meeting",
    prefix="mc",
    fields=svc.COUNCIL_FIELDS,
    summary_key="meetings.confirm",
    save=_save_council,
    sources={svc.DAYS: day_buttons, svc.AGENCIES: _agency_buttons},
    prompt_values=day_prompt,
    summary_values=_council_summary,
    retry=DATE_RETRY,
)


@requires("council_meeting")
async def start_council(update: Update, context: ItdaContext) -> int:
    """Start the form (every agency invited at first): the date first."""
    async with context.runtime.session() as session:
        agencies = await council_db.list_agencies(session=session)
    forms.new_draft(context, COUNCIL_FLOW, agencies=[[a.id, a.short_name] for a in agencies])
    return await forms.begin(update, context, COUNCIL_FLOW, lead=context.tr("meetings.new_intro"))


def build_council_conversation() -> ConversationHandler:
    return forms.conversation(
        COUNCIL_FLOW, entry_points=[CommandHandler("council_meeting", start_council)]
    )


HANDLERS = [
    CommandHandler("meetings", list_meetings),
    CallbackQueryHandler(list_past, pattern=r"^mtg:past$"),
    CallbackQueryHandler(open_meeting, pattern=r"^mtg:v:\d{1,9}$"),
    CallbackQueryHandler(rsvp, pattern=r"^mtg:r:\d{1,9}:(yes|no|maybe)$"),
    CallbackQueryHandler(checkin, pattern=r"^mtg:ci:\d{1,9}$"),
    CallbackQueryHandler(answers, pattern=r"^mtg:ans:\d{1,9}$"),
    CallbackQueryHandler(attendance, pattern=r"^mtg:att:\d{1,9}$"),
    CallbackQueryHandler(toggle_attendance, pattern=r"^mtg:ap:\d{1,9}$"),
    CallbackQueryHandler(send_ics, pattern=r"^mtg:ics:\d{1,9}$"),
    CallbackQueryHandler(confirm_cancel, pattern=r"^mtg:cx:\d{1,9}$"),
    CallbackQueryHandler(do_cancel, pattern=r"^mtg:cxok:\d{1,9}$"),
]
