"""Injected clocks: services and the scheduler ask a clock for "now"; tests travel in time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The real wall clock, timezone-aware in the configured zone (Asia/Seoul by default)."""

    def __init__(self, tz: ZoneInfo = SEOUL) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def today(self) -> date:
        return self.now().date()


class FrozenClock:
    """A clock that only moves when told to: for tests and for planning reminders."""

    def __init__(self, at: datetime, tz: ZoneInfo = SEOUL) -> None:
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
