"""Retention: seekers' personal data is destroyed a set number of months after the programme
year (the calendar year they were registered in) ends. Names become a pseudonym, phone numbers
and notes are blanked; the statistics columns (agency, region, status, dates, hours, wages)
stay, so past reports still add up. The audit log is not touched (kept at least three years).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from models import audit as audit_db
from models import receipts as receipts_db
from models import retention as retention_db
from models import updates as updates_db
from models.tables import JobSeeker

PSEUDONYM_KEY = "ops.purged_name"  # the catalogue key of the name a purged seeker keeps
UPDATE_IDS_KEPT = timedelta(hours=24)  # Telegram redelivers within hours, never after a day
RECEIPTS_KEPT = timedelta(days=7)  # a save repeated after a crash comes within minutes


async def forget_old_updates(*, session: AsyncSession, clock: Clock) -> int:
    """Drop save receipts older than a week and update ids older than a day; the number of
    update ids dropped."""
    await receipts_db.purge_receipts(session=session, before=clock.now() - RECEIPTS_KEPT)
    return await updates_db.purge_updates(session=session, before=clock.now() - UPDATE_IDS_KEPT)


@dataclass(frozen=True)
class PurgePlan:
    cutoff: datetime  # seekers registered before this are due
    seekers: list[JobSeeker]


def cutoff(now: datetime, months: int) -> datetime:
    """Start of the first programme year whose seekers are kept.

    A seeker registered in year Y is destroyed once `months` months have passed after 31
    December Y, i.e. when (now - months) falls in year Y+1 or later.
    """
    month_index = now.year * 12 + (now.month - 1) - months
    year = month_index // 12
    return now.replace(year=year, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


async def plan_purge(*, session: AsyncSession, clock: Clock, months: int) -> PurgePlan:
    limit = cutoff(clock.now(), months)
    due = await retention_db.seekers_due(session=session, registered_before=limit)
    return PurgePlan(cutoff=limit, seekers=list(due))


async def purge(
    *, session: AsyncSession, clock: Clock, months: int, pseudonym: str
) -> PurgePlan:
    """Destroy the personal data of every seeker due; one audit entry records which. Each keeps
    `pseudonym` as their name (the caller's translation of `PSEUDONYM_KEY`)."""
    plan = await plan_purge(session=session, clock=clock, months=months)
    if not plan.seekers:
        return plan
    now = clock.now()
    for seeker in plan.seekers:
        seeker.name = pseudonym
        seeker.phone = ""
        seeker.phone_key = f"purged:{seeker.id}"
        seeker.note = ""
        seeker.purged_at = now
        await retention_db.save_seeker(session=session, seeker=seeker)
    await audit_db.append_audit(
        session=session,
        at=now,
        action="seeker.purge",
        entity="jobseeker",
        detail={
            "count": len(plan.seekers),
            "ids": [s.id for s in plan.seekers],
            "cutoff": plan.cutoff.isoformat(),
            "months": months,
        },
    )
    return plan
