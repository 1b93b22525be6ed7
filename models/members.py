"""Queries on members (Telegram users bound to an agency with a role)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam
from sqlmodel import Session, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Agency, Member


async def get_member_by_telegram_id(*, session: AsyncSession, telegram_id: int) -> Member | None:
    return (await session.exec(select(Member).where(Member.telegram_id == telegram_id))).first()


# Built once: it runs for every update (building the query each time cost more than running it).
_MEMBER_AND_AGENCY = (
    select(Member, Agency)
    .outerjoin(Agency, col(Agency.id) == col(Member.agency_id))
    .where(col(Member.telegram_id) == bindparam("telegram_id"))
)


def member_and_agency(
    *, session: Session, telegram_id: int
) -> tuple[Member | None, Agency | None]:
    """A Telegram user's member row and its agency, in one query. Synchronous: it is read for
    every update, through `models.db.run_transaction`."""
    row = session.exec(_MEMBER_AND_AGENCY, params={"telegram_id": telegram_id}).first()
    if row is None:
        return None, None
    return row[0], row[1]


async def get_member(*, session: AsyncSession, member_id: int) -> Member | None:
    return await session.get(Member, member_id)


async def list_members(
    *, session: AsyncSession, agency_id: int | None = None, active_only: bool = True
) -> Sequence[Member]:
    stmt = select(Member)
    if agency_id is not None:
        stmt = stmt.where(Member.agency_id == agency_id)
    if active_only:
        stmt = stmt.where(col(Member.active).is_(True))
    return (await session.exec(stmt.order_by(col(Member.id)))).all()



async def count_members_by_agency(*, session: AsyncSession) -> dict[int, int]:
    from sqlalchemy import func

    stmt = (
        select(Member.agency_id, func.count())
        .where(col(Member.active).is_(True), col(Member.agency_id).is_not(None))
        .group_by(col(Member.agency_id))
    )
    return {agency_id: n for agency_id, n in (await session.exec(stmt)).all() if agency_id}
