"""Who may touch which records: employer associations own openings, 새일센터 own seekers,
coordinators and admins may register openings and see everything masked."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import NotAllowed
from core.statuses import AgencyKind
from models import council as council_db
from models.tables import Agency, Member
from services.membership import Actor


async def acting_agency(*, session: AsyncSession, actor: Actor) -> tuple[Member, Agency | None]:
    """The active member behind an actor and their agency; strangers are refused."""
    member = actor.member
    if member is None or not member.active:
        raise NotAllowed("auth.not_member")
    if member.agency_id is None:
        return member, None
    if actor.agency is not None and actor.agency.id == member.agency_id:
        return member, actor.agency
    return member, await council_db.get_agency(session=session, agency_id=member.agency_id)


async def require_opening_author(*, session: AsyncSession, actor: Actor) -> tuple[Member, Agency]:
    """Employer-association staff, coordinators and admins (with an agency) register openings."""
    member, agency = await acting_agency(session=session, actor=actor)
    if agency is None:
        raise NotAllowed("records.no_agency")
    if not actor.is_lead and agency.kind != AgencyKind.EMPLOYER_ASSOCIATION:
        raise NotAllowed("opening.not_allowed")
    return member, agency


async def require_seeker_author(*, session: AsyncSession, actor: Actor) -> tuple[Member, Agency]:
    """Only 새일센터 staff register and manage seekers."""
    member, agency = await acting_agency(session=session, actor=actor)
    if agency is None or agency.kind != AgencyKind.SAEIL_CENTER:
        raise NotAllowed("seeker.not_allowed")
    return member, agency


def may_manage(actor: Actor, owner_agency_id: int) -> bool:
    """Editing a saved record: its own agency's staff, or a coordinator/admin."""
    member = actor.member
    if member is None or not member.active:
        return False
    return actor.is_lead or member.agency_id == owner_agency_id
