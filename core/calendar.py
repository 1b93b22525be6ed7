"""Business-day and quiet-hour rules for reminders, in the council's time zone.

Korean public holidays come from the maintained `holidays` library (설날, 추석 with the days
around it, substitute holidays 대체공휴일, election days...), never from a hand-kept list.

- A *business day* is a weekday that is not a Korean public holiday.
- A nudge that falls on a weekend or holiday moves to the previous business day.
- Nothing is sent between 20:00 and 08:00 (quiet hours).
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from core.clock import local_zone

QUIET_FROM = time(20, 0)  # nothing is sent from 20:00 ...
QUIET_UNTIL = time(8, 0)  # ... until 08:00
NUDGE_TIME = time(10, 0)


@cache
def _korean_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KR", years=year)


def prepare(today: date) -> None:
    """Load this year's and next year's holidays now. The first look-up imports the `holidays`
    library's Korean calendar and computes its lunar dates (150-600 ms); the bot does it at
    start-up, not in its first reminder pass, where it would hold up every update in flight."""
    _korean_holidays(today.year)
    _korean_holidays(today.year + 1)


def is_holiday(day: date) -> bool:
    return day in _korean_holidays(day.year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def business_day_on_or_before(day: date) -> date:
    """The day itself if it is a business day, else the closest business day before it."""
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def next_business_day(day: date) -> date:
    """The first business day strictly after `day`."""
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def month_end(year: int, month: int) -> date:
    """The last day of the month (28, 29, 30 or 31)."""
    return date(year, month, _calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day (1/31 + 1 month is 2/28).

    Written here rather than taken from dateutil's relativedelta: dateutil reaches the project
    only through another package, and this is the one calculation needed."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, month_end(year, month + 1).day))


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(start: date, end: date) -> list[tuple[int, int]]:
    """(year, month) of every month touching [start, end]."""
    out: list[tuple[int, int]] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def at(day: date, when: time, tz: ZoneInfo | None = None) -> datetime:
    return datetime.combine(day, when, tzinfo=tz or local_zone())


def is_quiet(moment: datetime, tz: ZoneInfo | None = None) -> bool:
    local = moment.astimezone(tz or local_zone()).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def next_send_time(moment: datetime, tz: ZoneInfo | None = None) -> datetime:
    """`moment` itself outside quiet hours, else the 08:00 that ends them."""
    tz = tz or local_zone()
    local = moment.astimezone(tz)
    if not is_quiet(local, tz):
        return local
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return at(day, QUIET_UNTIL, tz)


def nudge_time(day: date, tz: ZoneInfo | None = None) -> datetime:
    """A nudge meant for `day`: 10:00 on that day, or on the previous business day."""
    return at(business_day_on_or_before(day), NUDGE_TIME, tz)
