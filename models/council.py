"""Queries on the council's structure: regions, agencies and the regions they serve."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Agency, AgencyRegion, Region


async def list_regions(*, session: AsyncSession) -> Sequence[Region]:
    return (await session.exec(select(Region).order_by(col(Region.id)))).all()


async def get_region(*, session: AsyncSession, code: str) -> Region | None:
    return (await session.exec(select(Region).where(Region.code == code))).first()


async def upsert_region(
    *, session: AsyncSession, code: str, name: str, neighbours: list[str]
) -> Region:
    region = await get_region(session=session, code=code)
    if region is None:
        region = Region(code=code, name=name, neighbours=neighbours)
    else:
        region.name, region.neighbours = name, list(neighbours)
    session.add(region)
    await session.flush()
    return region


async def list_agencies(
    *, session: AsyncSession, kind: str | None = None, active_only: bool = True
) -> Sequence[Agency]:
    stmt = select(Agency)
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    if active_only:
        stmt = stmt.where(col(Agency.active).is_(True))
    return (await session.exec(stmt.order_by(col(Agency.id)))).all()


async def get_agency(*, session: AsyncSession, agency_id: int) -> Agency | None:
    return await session.get(Agency, agency_id)


async def get_agency_by_code(*, session: AsyncSession, code: str) -> Agency | None:
    return (await session.exec(select(Agency).where(Agency.code == code))).first()


async def upsert_agency(
    *,
    session: AsyncSession,
    code: str,
    name: str,
    short_name: str,
    kind: str,
    mou_party: bool,
    regions: list[str],
) -> Agency:
    agency = await get_agency_by_code(session=session, code=code)
    if agency is None:
        agency = Agency(code=code, name=name, short_name=short_name, kind=kind)
    agency.name, agency.short_name, agency.kind = name, short_name, kind
    agency.mou_party, agency.active = mou_party, True
    session.add(agency)
    await session.flush()
    assert agency.id is not None
    await session.exec(delete(AgencyRegion).where(col(AgencyRegion.agency_id) == agency.id))
    for region_code in dict.fromkeys(regions):
        session.add(AgencyRegion(agency_id=agency.id, region_code=region_code))
    await session.flush()
    return agency


async def agency_regions(*, session: AsyncSession, agency_id: int) -> list[str]:
    rows = await session.exec(
        select(AgencyRegion.region_code).where(AgencyRegion.agency_id == agency_id)
    )
    return list(rows.all())


async def agencies_serving(
    *, session: AsyncSession, region_code: str, kind: str | None = None
) -> Sequence[Agency]:
    stmt = (
        select(Agency)
        .join(AgencyRegion, col(AgencyRegion.agency_id) == col(Agency.id))
        .where(AgencyRegion.region_code == region_code, col(Agency.active).is_(True))
    )
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    return (await session.exec(stmt.order_by(col(Agency.id)))).all()
