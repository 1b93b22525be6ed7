"""Queries of the bulk import: duplicates against the database in one query each, the receipts
of files and rows already saved, and the openings one import created."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import JobOpening, JobSeeker, SaveReceipt


async def seeker_agencies_by_phone_key(
    *, session: AsyncSession, phone_keys: Sequence[str]
) -> dict[str, int]:
    """phone key → agency id of the seekers already registered with one of these numbers."""
    if not phone_keys:
        return {}
    rows = await session.exec(
        select(JobSeeker.phone_key, JobSeeker.agency_id).where(
            col(JobSeeker.phone_key).in_(list(phone_keys))
        )
    )
    return {key: agency for key, agency in rows.all()}


async def live_opening_keys(
    *, session: AsyncSession, region_codes: Sequence[str]
) -> list[tuple[str | None, str, str, str]]:
    """(business number, company, job title, region) of the live openings in these 시군."""
    if not region_codes:
        return []
    rows = await session.exec(
        select(
            JobOpening.business_number, JobOpening.company_name, JobOpening.job_title,
            JobOpening.region_code,
        ).where(col(JobOpening.region_code).in_(list(region_codes)),
                col(JobOpening.deleted_at).is_(None))
    )
    return list(rows.all())


async def receipts(*, session: AsyncSession, tokens: Sequence[str]) -> dict[str, int]:
    """token → record id of the receipts that exist among these tokens."""
    if not tokens:
        return {}
    found: dict[str, int] = {}
    chunk = 500  # bound the number of parameters of one statement
    for start in range(0, len(tokens), chunk):
        rows = await session.exec(
            select(SaveReceipt.token, SaveReceipt.record_id).where(
                col(SaveReceipt.token).in_(list(tokens[start:start + chunk]))
            )
        )
        found.update(dict(rows.all()))
    return found


async def openings_between(
    *, session: AsyncSession, agency_id: int, first_id: int, last_id: int,
    region_codes: Sequence[str] | None,
) -> Sequence[JobOpening]:
    """The live openings of one agency with ids in [first_id, last_id] (one import's), in these
    시군 (all when None)."""
    stmt = select(JobOpening).where(
        JobOpening.agency_id == agency_id,
        col(JobOpening.id) >= first_id, col(JobOpening.id) <= last_id,
        col(JobOpening.deleted_at).is_(None),
    )
    if region_codes is not None:
        stmt = stmt.where(col(JobOpening.region_code).in_(list(region_codes)))
    return (await session.exec(stmt.order_by(col(JobOpening.id)))).all()
