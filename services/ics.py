"""iCalendar (.ics) files for meetings, so staff can add them to their phone's calendar."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

PRODID = "-//ITDA//Chungnam part-time jobs council//KO"


def meeting_ics(
    *,
    uid: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    stamp: datetime,
    location: str = "",
    description: str = "",
    url: str = "",
    cancelled: bool = False,
    sequence: int = 0,
) -> bytes:
    """One VEVENT in a VCALENDAR; times keep their timezone (the council's)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("summary", title)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    calendar.add_component(event)
    calendar.add_missing_timezones()  # a VTIMEZONE for the council's zone, which phones expect
    return calendar.to_ical()
