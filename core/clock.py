"""Injected clocks: services and the scheduler ask a clock for "now"; tests travel in time."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_ZONE = ZoneInfo("Asia/Seoul")  # the TIMEZONE setting's default
_zone = DEFAULT_ZONE


def local_zone() -> ZoneInfo:
    """The council's time zone: the TIMEZONE setting, installed once at start-up (`use_zone`).

    Dates the council reads (a reminder's day, a month's report, a spreadsheet cell) are in
    this zone; code with a clock uses `clock.tz`, which is the same zone."""
    return _zone


def use_zone(tz: ZoneInfo) -> None:
    """Install the configured zone (called by the composition root when it reads the settings)."""
    global _zone
    _zone = tz


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The real wall clock, timezone-aware in the configured zone (Asia/Seoul by default)."""

    def __init__(self, tz: ZoneInfo | None = None) -> None:
        self.tz = tz or local_zone()

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def today(self) -> date:
        return self.now().date()


class StartedClock:
    """A clock set to a chosen moment at start that then runs forward in real time (the
    ITDA_NOW setting, `itda sandbox --at`): for demonstrations, training and tests of the real
    process on a fixed day of the programme, whatever the wall clock's date."""

    def __init__(self, at: datetime, tz: ZoneInfo | None = None) -> None:
        tz = tz or local_zone()
        if at.tzinfo is None:
            at = at.replace(tzinfo=tz)
        self.tz = tz
        self.started_at = at.astimezone(tz)
        self._began = time.monotonic()  # elapsed time is measured, never read from the date

    def now(self) -> datetime:
        return self.started_at + timedelta(seconds=time.monotonic() - self._began)

    def today(self) -> date:
        return self.now().date()


class FrozenClock:
    """A clock that only moves when told to: for tests and for planning reminders."""

    def __init__(self, at: datetime, tz: ZoneInfo | None = None) -> None:
        tz = tz or local_zone()
        if at.tzinfo is None:
            at = at.replace(tzinfo=tz)
        self.tz = tz
        self._now = at.astimezone(tz)

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.date()

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=self.tz)
        self._now = at.astimezone(self.tz)

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta
