"""Openings: the daily closing of openings past their deadline.

Placeholder of the openings feature's own module (issue 3 provides the full version with the
same signature; the lead keeps that one at merge). It closes, in the caller's transaction, every
open opening whose deadline is before today, and returns them so their owners can be told.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from models import reminders as reminders_db
from models.tables import JobOpening


async def close_expired_openings(*, session: AsyncSession, clock: Clock) -> list[JobOpening]:
    """Close open openings whose deadline has passed (deadline < today); returns them."""
    now = clock.now()
    expired = await reminders_db.open_openings_past_deadline(session=session, today=now.date())
    for opening in expired:
        opening.status, opening.closed_at, opening.updated_at = "closed", now, now
        session.add(opening)
    await session.flush()
    return list(expired)
