"""The council's directory as screens read it: agencies, their members and the open invites.

Lookups that the user's own tap named (an agency or member id from a button) raise a
`DomainError` when nothing is found, so `handlers.common.attempt` explains it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from models import council as council_db
from models import invites as invites_db
from models import members as members_db
from models.tables import Agency, Invite, Member


async def agencies(*, session: AsyncSession, active_only: bool = True) -> Sequence[Agency]:
    """The council's agencies in council order."""
    return await council_db.list_agencies(session=session, active_only=active_only)


async def agency(
    *, session: AsyncSession, agency_id: int, missing: str = "invite.unknown_agency"
) -> Agency:
    """One agency by id; `missing` is the refusal's key when there is none."""
    found = await council_db.get_agency(session=session, agency_id=agency_id)
    if found is None:
        raise DomainError(missing)
    return found


async def agencies_with_counts(*, session: AsyncSession) -> list[tuple[Agency, int]]:
    """Each agency with the number of its members."""
    counts = await members_db.count_members_by_agency(session=session)
    return [(a, counts.get(a.id or 0, 0)) for a in await agencies(session=session)]


async def agency_members(
    *, session: AsyncSession, agency_id: int
) -> tuple[Agency, Sequence[Member]]:
    """An agency and its members."""
    found = await agency(session=session, agency_id=agency_id)
    return found, await members_db.list_members(session=session, agency_id=agency_id)


async def member(*, session: AsyncSession, member_id: int) -> Member:
    found = await members_db.get_member(session=session, member_id=member_id)
    if found is None:
        raise DomainError("members.unknown")
    return found


@dataclass(frozen=True)
class OpenInvite:
    invite: Invite
    agency: Agency | None


async def open_invites(*, session: AsyncSession, clock: Clock) -> list[OpenInvite]:
    """The invites not yet used, revoked or expired, each with its agency."""
    invites = await invites_db.list_open_invites(session=session, now=clock.now())
    by_id = {a.id: a for a in await agencies(session=session, active_only=False)}
    return [OpenInvite(i, by_id.get(i.agency_id)) for i in invites]
