"""Matching with the database: load the candidates, turn rows into profiles, rank them with the
pure functions of services.matching."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core.statuses import ACTIVE_SEEKER_STATUSES, OpeningStatus
from models import openings as openings_db
from models import seekers as seekers_db
from models.tables import JobOpening, JobSeeker
from services import validation as v
from services.council import CouncilData
from services.matching import (
    Candidate,
    OpeningProfile,
    SeekerProfile,
    rank_openings,
    rank_seekers,
)


def neighbours(council: CouncilData) -> dict[str, tuple[str, ...]]:
    return {r.code: r.neighbours for r in council.regions}


def opening_profile(opening: JobOpening) -> OpeningProfile:
    hourly = None
    if opening.wage_amount is not None:
        hourly = v.hourly_equivalent(wage_type=opening.wage_type, amount=opening.wage_amount,
                                     weekly_hours=opening.weekly_hours)
    return OpeningProfile(
        id=opening.id or 0,
        region_code=opening.region_code,
        text=" ".join((opening.job_title, opening.duties, opening.industry)),
        weekly_hours=opening.weekly_hours,
        daily_hours=v.read_hour_range(opening.work_time),
        hourly_wage=hourly,
    )


def seeker_profile(seeker: JobSeeker) -> SeekerProfile:
    return SeekerProfile(
        id=seeker.id or 0,
        region_code=seeker.region_code,
        desired_jobs=seeker.desired_jobs,
        desired_hours=seeker.desired_hours,
        time_of_day=seeker.time_of_day or "any",
        desired_wage=seeker.desired_wage,
    )


async def openings_for(
    *, session: AsyncSession, council: CouncilData, seeker: JobSeeker, limit: int = 5
) -> list[tuple[Candidate, JobOpening]]:
    """Open openings for a seeker, best first."""
    openings = await openings_db.list_openings(session=session, status=OpeningStatus.OPEN)
    by_id = {o.id: o for o in openings}
    ranked = rank_openings(seeker_profile(seeker), [opening_profile(o) for o in openings],
                           neighbours(council), limit=limit)
    return [(c, by_id[c.id]) for c in ranked]


async def seekers_for(
    *,
    session: AsyncSession,
    council: CouncilData,
    opening: JobOpening,
    agency_id: int | None = None,
    limit: int = 5,
) -> list[tuple[Candidate, JobSeeker]]:
    """Seekers still looking (구직중 or 매칭) for an opening, best first; `agency_id` keeps
    one centre's seekers only."""
    seekers = [
        s
        for status in ACTIVE_SEEKER_STATUSES
        for s in await seekers_db.list_seekers(session=session, agency_id=agency_id,
                                                status=status, purged=False)
    ]
    by_id = {s.id: s for s in seekers}
    ranked = rank_seekers(opening_profile(opening), [seeker_profile(s) for s in seekers],
                          neighbours(council), limit=limit)
    return [(c, by_id[c.id]) for c in ranked]
