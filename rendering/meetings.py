"""Rendering meetings for people: dates and times, a meeting's screen and its buttons (from the
viewer's rights), lists, the coordinator's answer sheet, and a meeting day's screens.

Texts and buttons only (buttons as (label, callback data) pairs); handlers send them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from core.statuses import MeetingKind, MeetingStatus, Rsvp
from core.text import escape, shorten
from locales import Translator
from models.tables import Meeting
from services import meetings as svc

Button = tuple[str, str]
Rows = list[list[Button]]

PRESENCE = {None: "⬜ ", svc.INVITED: "✅ ", svc.WAITLISTED: "⏳ "}  # a seeker's invitation


# --- dates and times ---------------------------------------------------------------------------
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


def date_rows(tr: Translator, prefix: str, days: Sequence[date]) -> Rows:
    """The next working days as buttons (4 a row), then 취소."""
    buttons = [(day_text(tr, d), f"{prefix}:d:{d.strftime('%Y%m%d')}") for d in days]
    return in_rows(buttons, 4) + [cancel_row(tr, prefix)]


def time_rows(tr: Translator, prefix: str) -> Rows:
    buttons = [(t, f"{prefix}:t:{t.replace(':', '')}") for t in svc.TIME_CHOICES]
    return in_rows(buttons, 3) + [cancel_row(tr, prefix)]


def in_rows(buttons: Sequence[Button], per_row: int = 2) -> Rows:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def cancel_row(tr: Translator, prefix: str) -> list[Button]:
    return [(tr("common.btn_cancel"), f"{prefix}:cancel")]


def back_row(tr: Translator, data: str) -> list[Button]:
    return [(tr("meetings.btn_back"), data)]


def with_lead(lead: str, text: str, gap: str = "\n") -> str:
    """A screen's text below the line that says what just happened."""
    return (lead + gap if lead else "") + text


# --- one meeting -------------------------------------------------------------------------------
def meeting_title(tr: Translator, meeting: Meeting, region: str = "") -> str:
    if meeting.kind == MeetingKind.COUNCIL:
        return tr("meetings.council_title")
    return tr("meetingday.title", region=region or "-")


def rsvp_text(tr: Translator, rsvp: str | None) -> str:
    return tr(f"meetings.rsvp.{rsvp or 'none'}")


def rsvp_buttons(tr: Translator, meeting_id: int) -> list[Button]:
    return [(tr(f"meetings.rsvp_btn.{a}"), f"mtg:r:{meeting_id}:{a}") for a in svc.RSVP_ANSWERS]


def invitation_rows(tr: Translator, meeting_id: int) -> Rows:
    """Under an invitation (or a moved meeting's notice): the answers and the .ics file."""
    return [rsvp_buttons(tr, meeting_id), [(tr("meetings.btn_ics"), f"mtg:ics:{meeting_id}")]]


def place_text(tr: Translator, meeting: Meeting) -> str:
    return place_or_link(tr, meeting.place, meeting.online_link)


def place_or_link(tr: Translator, place: str, link: str | None) -> str:
    if link:
        return tr("meetings.online", link=escape(link))
    return escape(place)


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
    if view.is_council:
        lines.append(tr("meetings.line_agenda", agenda=escape(m.agenda)))
        if view.invited:
            lines.append(tr("meetings.line_my_rsvp", rsvp=rsvp_text(tr, view.my_rsvp)))
        if m.notes:
            lines.append(tr("meetings.line_notes", notes=escape(m.notes)))
    elif view.counts is not None:
        lines.append(tr("meetingday.line_contact", contact=escape(m.contact)))
        lines.append(counts_text(tr, view.counts))
    return "\n".join(lines)


def view_rows(tr: Translator, meeting_id: int, rights: svc.MeetingRights) -> Rows:
    """The buttons of a meeting's screen: what the viewer's rights allow."""
    i = meeting_id
    rows: Rows = []
    if rights.rsvp:
        rows.append(rsvp_buttons(tr, i))
    if rights.check_in:
        rows.append([(tr("meetings.btn_checkin"), f"mtg:ci:{i}")])
    if rights.council_records:
        rows.append(
            [(tr("meetings.btn_answers"), f"mtg:ans:{i}"),
             (tr("meetings.btn_attendance"), f"mtg:att:{i}")]
        )
        rows.append([(tr("meetings.btn_notes"), f"mtg:notes:{i}")])
    if rights.day_records:
        rows.append(
            [(tr("meetingday.btn_companies"), f"mday:co:{i}"),
             (tr("meetingday.btn_seekers"), f"mday:se:{i}")]
        )
        rows.append(
            [(tr("meetingday.btn_checklist"), f"mday:ck:{i}"),
             (tr("meetingday.btn_results"), f"mday:rs:{i}")]
        )
        rows.append(
            [(tr("meetingday.btn_capacity"), f"mday:cap:{i}"),
             (tr("meetingday.btn_close"), f"mday:close:{i}")]
        )
    if rights.reschedule:
        rows.append(
            [(tr("meetings.btn_move"), f"mtg:move:{i}"),
             (tr("meetings.btn_cancel_meeting"), f"mtg:cx:{i}")]
        )
    if rights.calendar:
        rows.append([(tr("meetings.btn_ics"), f"mtg:ics:{i}")])
    return rows


def confirm_rows(tr: Translator, key: str, data: str, meeting_id: int) -> Rows:
    """Ask once more: the confirming button, and back to the meeting."""
    return [[(tr(key), data), (tr("meetings.btn_back"), f"mtg:v:{meeting_id}")]]


def ics_description(tr: Translator, view: svc.MeetingView) -> str:
    m = view.meeting
    if view.is_council:
        return m.agenda
    return tr("meetingday.ics_description", host=view.host, contact=m.contact)


# --- lists and the coordinator's sheets --------------------------------------------------------
def list_screen(
    tr: Translator, views: Sequence[svc.MeetingView], *, past: bool
) -> tuple[str, Rows]:
    """/meetings: one line a meeting with the viewer's answer (or a day's counts)."""
    title = tr("meetings.list_past_title" if past else "meetings.list_title", count=len(views))
    lines = [title] if views else [tr("meetings.list_past_none" if past else "meetings.list_none")]
    buttons: list[Button] = []
    for index, view in enumerate(views, 1):
        m = view.meeting
        assert m.starts_at is not None and m.id is not None
        extra = ""
        if view.is_council and view.invited:
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
    return "\n".join(lines), rows


def answers_text(tr: Translator, sheet: svc.AnswerSheet) -> str:
    m = sheet.meeting
    assert m.starts_at is not None
    lines = [
        tr(
            "meetings.answers_title",
            when=when_text(tr, m.starts_at),
            yes=sheet.count(Rsvp.YES),
            no=sheet.count(Rsvp.NO),
            maybe=sheet.count(Rsvp.MAYBE),
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
    return "\n".join(lines)


def attendance_screen(
    tr: Translator, sheet: svc.AnswerSheet, meeting_id: int, lead: str = ""
) -> tuple[str, Rows]:
    """The coordinator's checklist: one button per invited member (left ones unless present)."""
    buttons: list[Button] = []
    for group in sheet.agencies:
        for line in group.lines:
            if line.left and not line.present:
                continue
            mark = "✅" if line.present else "⬜"
            label = f"{mark} {line.name[:16]} · {group.agency[:10]}"
            buttons.append((label, f"mtg:ap:{line.attendance_id}"))
    rows = in_rows(buttons, 1) + [back_row(tr, f"mtg:v:{meeting_id}")]
    text = with_lead(lead, tr("meetings.attendance_title", present=sheet.present))
    return text, rows


# --- cancelling and moving ---------------------------------------------------------------------
CANCELLED, MOVED = "cancelled", "moved"  # what a notice says of a meeting (its catalogue keys)

def notice_values(notice: svc.Notice) -> dict[str, Callable[[Translator], str]]:
    """A cancelled or moved meeting's title and times, filled in each reader's language."""
    m = notice.meeting
    assert m.starts_at is not None
    starts_at = m.starts_at
    return {
        "title": lambda tr: escape(meeting_title(tr, m, notice.region)),
        "old": lambda tr: when_text(tr, notice.old_starts_at),
        "new": lambda tr: when_text(tr, starts_at),
    }


def notice_done(tr: Translator, notice: svc.Notice, what: str, sent: int) -> str:
    """What the coordinator (or the host centre) reads after cancelling or moving."""
    values = {k: v(tr) for k, v in notice_values(notice).items()}
    done_key = "meetings.cancelled_done" if what == CANCELLED else "meetings.moved_done"
    text = tr(done_key, notified=sent, **values)
    if notice.meeting.kind == MeetingKind.MEETING_DAY and notice.seekers:
        text += "\n" + tr("meetingday.call_seekers", seekers=notice.seekers)
    return text


# --- a meeting day's screens (host centre only) ------------------------------------------------
def companies_screen(
    tr: Translator, meeting_id: int, choices: Sequence[svc.CompanyChoice], lead: str = ""
) -> tuple[str, Rows]:
    buttons = [
        (
            ("✅ " if c.invited else "⬜ ") + ("★ " if c.subsidy else "") + shorten(c.label, 40),
            f"mday:to:{meeting_id}:{c.opening_id}",
        )
        for c in choices[:60]
    ]
    rows = in_rows(buttons, 1) + [back_row(tr, f"mtg:v:{meeting_id}")]
    key = "meetingday.companies_title" if choices else "meetingday.companies_none"
    invited = sum(1 for c in choices if c.invited)
    return with_lead(lead, tr(key, invited=invited, total=len(choices))), rows


def seekers_screen(
    tr: Translator,
    meeting: Meeting,
    choices: Sequence[svc.SeekerChoice],
    taken: int,
    lead: str = "",
) -> tuple[str, Rows]:
    assert meeting.id is not None
    buttons = [
        (PRESENCE[c.state] + shorten(c.label, 40), f"mday:ts:{meeting.id}:{c.seeker_id}")
        for c in choices[:80]
    ]
    rows = in_rows(buttons, 1) + [back_row(tr, f"mtg:v:{meeting.id}")]
    waiting = sum(1 for c in choices if c.state == svc.WAITLISTED)
    key = "meetingday.seekers_title" if choices else "meetingday.seekers_none"
    text = tr(key, taken=taken, capacity=meeting.capacity or 0, waitlisted=waiting)
    return with_lead(lead, text), rows


def presence_mark(p: svc.Participant) -> str:
    if not p.present:
        return "⬜"
    return "📝" if p.written else "✅"


def checklist_screen(tr: Translator, sheet: svc.DaySheet, meeting_id: int) -> tuple[str, Rows]:
    """Seekers and companies, a button each; a company taps through on site, in writing, absent."""
    buttons: list[Button] = []
    for p in sheet.seekers:
        wait = "⏳" if p.waitlisted and not p.present else ""
        buttons.append((f"{presence_mark(p)}{wait} {shorten(p.label, 36)}",
                        f"mday:ap:{p.attendance_id}"))
    for p in sheet.companies:
        buttons.append((f"{presence_mark(p)} 🏢 {shorten(p.label, 34)}",
                        f"mday:ap:{p.attendance_id}"))
    rows = in_rows(buttons, 1) + [back_row(tr, f"mtg:v:{meeting_id}")]
    text = tr(
        "meetingday.checklist_title",
        seekers=sum(1 for p in sheet.seekers if p.present),
        seekers_total=len(sheet.seekers),
        companies=sum(1 for p in sheet.companies if p.present),
        companies_total=len(sheet.companies),
    )
    return text, rows


def result_text(tr: Translator, p: svc.Participant) -> str:
    result = tr(f"meetingday.result.{p.result or 'none'}")
    return tr("meetingday.result_line", label=escape(p.label), interviews=p.interviews,
              result=result)


def results_screen(
    tr: Translator, sheet: svc.DaySheet, meeting_id: int, lead: str = ""
) -> tuple[str, Rows]:
    """Present seekers with their results (a button each), then the companies present."""
    present = [p for p in sheet.seekers if p.present]
    lines = [lead] if lead else []
    lines.append(tr("meetingday.results_title" if present else "meetingday.results_none"))
    lines += [result_text(tr, p) for p in present]
    companies = [p for p in sheet.companies if p.present]
    if companies:
        lines.append(tr("meetingday.results_companies"))
        lines += [result_text(tr, p) for p in companies]
    buttons = [(shorten(p.label, 40), f"mday:sk:{p.attendance_id}") for p in present]
    rows = in_rows(buttons, 1) + [back_row(tr, f"mtg:v:{meeting_id}")]
    return "\n".join(lines), rows


def seeker_result_screen(
    tr: Translator, meeting_id: int, me: svc.Participant, lead: str = ""
) -> tuple[str, Rows]:
    """One seeker's result and the buttons to record one."""
    row_id = me.attendance_id
    rows = [
        [
            (tr("meetingday.btn_interview"), f"mday:ri:{row_id}"),
            (tr("meetingday.btn_hired"), f"mday:rh:{row_id}"),
        ],
        [
            (tr("meetingday.btn_in_progress"), f"mday:rp:{row_id}"),
            (tr("meetingday.btn_not_hired"), f"mday:rn:{row_id}"),
        ],
        back_row(tr, f"mday:rs:{meeting_id}"),
    ]
    return with_lead(lead, result_text(tr, me)), rows


def pick_company_screen(
    tr: Translator, action: str, me: svc.Participant, present: Sequence[svc.Participant]
) -> tuple[str, Rows]:
    """Which company the interview, hire or hire in progress was with."""
    row_id = me.attendance_id
    buttons = [(shorten(c.label, 40), f"mday:{action}c:{row_id}:{c.attendance_id}")
               for c in present]
    rows = in_rows(buttons, 1) + [back_row(tr, f"mday:sk:{row_id}")]
    return tr(f"meetingday.pick_company.{action}", seeker=escape(me.label)), rows
