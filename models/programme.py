"""Queries on the programme calendar (ProgrammeStep) and the agencies' targets (Target)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import ProgrammeStep, Target


async def list_steps(*, session: AsyncSession, year: int) -> Sequence[ProgrammeStep]:
    stmt = select(ProgrammeStep).where(ProgrammeStep.year == year)
    return (await session.exec(stmt.order_by(col(ProgrammeStep.number)))).all()


async def get_step(*, session: AsyncSession, year: int, number: int) -> ProgrammeStep | None:
    stmt = select(ProgrammeStep).where(
        ProgrammeStep.year == year, ProgrammeStep.number == number
    )
    return (await session.exec(stmt)).first()


async def save_step(*, session: AsyncSession, step: ProgrammeStep) -> ProgrammeStep:
    session.add(step)
    await session.flush()
    return step


async def list_targets(*, session: AsyncSession, year: int) -> Sequence[Target]:
    stmt = select(Target).where(Target.year == year)
    return (await session.exec(stmt.order_by(col(Target.agency_id), col(Target.metric)))).all()


async def get_target(
    *, session: AsyncSession, agency_id: int, year: int, metric: str
) -> Target | None:
    stmt = select(Target).where(
        Target.agency_id == agency_id, Target.year == year, Target.metric == metric
    )
    return (await session.exec(stmt)).first()


async def save_target(*, session: AsyncSession, target: Target) -> Target:
    session.add(target)
    await session.flush()
    return target


