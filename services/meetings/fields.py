"""Meeting fields as typed: dates and times, places, agendas, notes, capacity, contacts; and the
creation forms' fields (asked by handlers/forms.py). Plain functions, no session."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import holidays

from core.errors import DomainError
from core.text import clean_text
from services.forms import Also, Choice, FieldSpec, ParseEnv

MAX_AHEAD = timedelta(days=366)
MAX_CAPACITY = 500
TIME_CHOICES = ("10:00", "11:00", "13:00", "14:00", "15:00", "16:00")
WHEN_FORMAT = "%m/%d %H:%M"

# --- typed dates and times ---------------------------------------------------------------------
def fmt_when(at: datetime) -> str:
    return at.strftime(WHEN_FORMAT)


def _hour(value: int) -> int:
    # Office meetings: "2시" typed without 오후 means 14:00 (1..7 are afternoon hours).
    return value + 12 if 1 <= value <= 7 else value


def _time_from(groups: Sequence[str]) -> time:
    if not groups or len(groups) > 2:
        raise DomainError("meetings.time_invalid")
    hour = _hour(int(groups[0]))
    minute = int(groups[1]) if len(groups) == 2 else 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DomainError("meetings.time_invalid")
    return time(hour, minute)


def parse_time(text: str | None) -> time:
    """'14:30', '14시 30분', '2시' (afternoon): a time of day."""
    return _time_from(re.findall(r"\d+", text or ""))


def parse_when(text: str | None, *, today: date) -> tuple[date, time | None]:
    """A typed date with an optional time: '9/15 14:00', '9월 15일 14시', '2026-09-15 14:00'.

    Only the numbers count, so any separators work; without a year the current one is meant.
    """
    groups = re.findall(r"\d+", text or "")
    year = today.year
    if groups and len(groups[0]) == 4:
        year, groups = int(groups[0]), groups[1:]
    if len(groups) < 2 or len(groups) > 4:
        raise DomainError("meetings.when_invalid")
    try:
        day = date(year, int(groups[0]), int(groups[1]))
    except ValueError:
        raise DomainError("meetings.when_invalid") from None
    at = _time_from(groups[2:]) if len(groups) > 2 else None
    return day, at


def combine(day: date, at: time, tz: tzinfo | None) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def check_start(starts_at: datetime, *, now: datetime) -> None:
    """A new start must lie ahead, within a year."""
    if starts_at <= now:
        raise DomainError("meetings.when_past", when=fmt_when(starts_at))
    if starts_at - now > MAX_AHEAD:
        raise DomainError("meetings.when_too_far", when=starts_at.strftime("%Y-%m-%d"))


def check_day(day: date, *, today: date) -> None:
    if day < today:
        raise DomainError("meetings.day_past", day=day.strftime("%m/%d"))


def date_choices(today: date, count: int = 8) -> list[date]:
    """The next working days (no weekends, no Korean public holidays), from tomorrow."""
    public = holidays.country_holidays("KR", years=[today.year, today.year + 1])
    days: list[date] = []
    day = today
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in public:
            days.append(day)
    return days


def parse_capacity(text: str | None) -> int:
    groups = re.findall(r"\d+", text or "")
    if len(groups) != 1:
        raise DomainError("meetingday.capacity_invalid", limit=MAX_CAPACITY)
    value = int(groups[0])
    if not 1 <= value <= MAX_CAPACITY:
        raise DomainError("meetingday.capacity_invalid", limit=MAX_CAPACITY)
    return value


def clean_place(text: str | None) -> tuple[str, str]:
    """A place, or an online meeting link: (place, link)."""
    value = clean_text(text, max_length=500)
    if not value:
        raise DomainError("meetings.place_required")
    if re.match(r"^https?://\S+$", value):
        return "", value
    if len(value) > 200:
        raise DomainError("input.too_long", limit=200, length=len(value))
    return value, ""


def clean_agenda(text: str | None) -> str:
    value = clean_text(text, max_length=2000, multiline=True)
    if not value:
        raise DomainError("meetings.agenda_required")
    return value


def clean_notes(text: str | None) -> str:
    value = clean_text(text, max_length=4000, multiline=True)
    if not value:
        raise DomainError("meetings.notes_required")
    return value


def clean_venue(text: str | None) -> str:
    value = clean_text(text, max_length=200)
    if not value:
        raise DomainError("meetings.place_required")
    return value


def clean_contact(text: str | None) -> str:
    value = clean_text(text, max_length=120)
    if not value:
        raise DomainError("meetingday.contact_required")
    return value


# --- the creation forms' fields (asked by handlers/forms.py) ------------------------------------
DAYS = "days"  # the next working days (date_choices), as buttons
AGENCIES = "agencies"  # the council's agencies, all invited at first
HOST_REGIONS = "host_regions"  # the 시군 the 새일센터 serves (host_regions)
CAPACITY_CHOICES = (10, 20, 30, 50)


def date_answer(raw: str, env: ParseEnv) -> str | Also:
    """A day (a tapped one, or typed: '9/15'); typed with a time ('9/15 14:00'), the time too."""
    day, at = parse_when(raw, today=env.today)
    check_day(day, today=env.today)
    if at is None:
        return day.isoformat()
    assert env.now is not None
    check_start(combine(day, at, env.now.tzinfo), now=env.now)
    return Also(_value=day.isoformat(), time=at.strftime("%H:%M"))


def time_answer(raw: str, env: ParseEnv) -> str:
    """A start time on the chosen day, still ahead."""
    at = parse_time(raw)
    day = env.draft.get("date")
    if not isinstance(day, str):
        raise DomainError("meetings.when_invalid")
    assert env.now is not None
    check_start(combine(date.fromisoformat(day), at, env.now.tzinfo), now=env.now)
    return at.strftime("%H:%M")


def starts_at(values: dict[str, Any], tz: tzinfo) -> datetime:
    """The start a form's answers name (its "date" and "time")."""
    return combine(date.fromisoformat(values["date"]), time.fromisoformat(values["time"]), tz)


def _place(raw: str, env: ParseEnv) -> Also:
    place, link = clean_place(raw)
    return Also(_value=place, link=link)


def _agenda(raw: str, env: ParseEnv) -> str:
    return clean_agenda(raw)


def _agencies(chosen: list[int], env: ParseEnv) -> list[int]:
    if not chosen:
        raise DomainError("meetings.no_agencies")
    return list(chosen)


def _venue(raw: str, env: ParseEnv) -> str:
    return clean_venue(raw)


def _capacity(raw: str, env: ParseEnv) -> int:
    return parse_capacity(str(raw))


def _contact(raw: str, env: ParseEnv) -> str:
    return clean_contact(raw)


DATE_FIELD = FieldSpec("date", "meetings.f.date", "meetings.ask_date", date_answer,
                       choices=DAYS, resets=("time",), columns=4)
TIME_FIELD = FieldSpec("time", "meetings.f.time", "meetings.ask_time", time_answer,
                       choices=tuple(Choice(t) for t in TIME_CHOICES), columns=3)
COUNCIL_FIELDS: tuple[FieldSpec, ...] = (
    DATE_FIELD,
    TIME_FIELD,
    FieldSpec("place", "meetings.f.place", "meetings.ask_place", _place),
    FieldSpec("agenda", "meetings.f.agenda", "meetings.ask_agenda", _agenda),
    FieldSpec("agencies", "meetings.f.agencies", "meetings.ask_agencies", _agencies,
              choices=AGENCIES, multi=True),
)
MEETING_DAY_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("region", "meetingday.f.region", "meetingday.ask_region", choices=HOST_REGIONS,
              columns=3),
    DATE_FIELD,
    TIME_FIELD,
    FieldSpec("venue", "meetingday.f.venue", "meetingday.ask_venue", _venue),
    FieldSpec("capacity", "meetingday.f.capacity", "meetingday.ask_capacity", _capacity,
              choices=tuple(Choice(str(n)) for n in CAPACITY_CHOICES), columns=4),
    FieldSpec("contact", "meetingday.f.contact", "meetingday.ask_contact", _contact),
)
