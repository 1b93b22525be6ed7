"""Hires (취업): a seeker placed into an opening, with the bookkeeping of both sides."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError, NotAllowed
from core.statuses import OpeningStatus, SeekerStatus
from models import audit as audit_db
from models import hires as hires_db
from models import openings as openings_db
from models import seekers as seekers_db
from models.tables import Hire
from services.access import acting_agency
from services.membership import Actor


async def record_hire(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    seeker_id: int,
    opening_id: int,
    hired_on: date,
    meeting_id: int | None = None,
) -> Hire:
    """Record that a seeker was hired into an opening.

    Who: the seeker's centre, the opening's agency, or a coordinator/admin. Rules: not twice
    into the same opening; the opening must have a position left (the last one fills it:
    채용완료); not dated in the future. The seeker becomes 취업 ('hired'). The hire is credited
    to the seeker's centre. Audited.
    """
    member, agency = await acting_agency(session=session, actor=actor)
    seeker = await seekers_db.get_seeker(session=session, seeker_id=seeker_id)
    opening = await openings_db.get_opening(session=session, opening_id=opening_id)
    if seeker is None or opening is None:
        raise DomainError("records.not_found")
    if seeker.purged_at is not None:
        raise DomainError("seeker.purged")
    own = agency is not None and agency.id in (seeker.agency_id, opening.agency_id)
    if not (actor.is_lead or own):
        raise NotAllowed("hire.not_allowed")
    if hired_on > clock.today():
        raise DomainError("valid.date_future", date=hired_on.isoformat(),
                          today=clock.today().isoformat())
    if await hires_db.get_hire_for_pair(
        session=session, seeker_id=seeker_id, opening_id=opening_id
    ) is not None:
        raise DomainError("hire.duplicate")
    if opening.status == OpeningStatus.CLOSED:
        raise DomainError("hire.opening_closed")
    now = clock.now()
    if not await openings_db.take_position(session=session, opening_id=opening_id, now=now):
        raise DomainError("hire.no_positions")
    await session.refresh(opening)
    if opening.positions_filled >= opening.positions:
        opening.status, opening.closed_at = OpeningStatus.FILLED, now
    hire = Hire(
        seeker_id=seeker_id, opening_id=opening_id, agency_id=seeker.agency_id,
        hired_on=hired_on, meeting_id=meeting_id, created_by=member.id, created_at=now,
    )
    seeker.status, seeker.updated_at = SeekerStatus.HIRED, now
    session.add(opening)
    session.add(seeker)
    try:
        await hires_db.add_hire(session=session, hire=hire)
    except IntegrityError:
        raise DomainError("hire.duplicate") from None
    await audit_db.append_audit(
        session=session, at=now, action="hire.create", actor_telegram_id=actor.telegram_id,
        actor_member_id=member.id, entity="hire", entity_id=hire.id,
        detail={"seeker_id": seeker_id, "opening_id": opening_id, "hired_on": hired_on,
                "meeting_id": meeting_id, "positions_left": opening.positions
                - opening.positions_filled},
    )
    return hire
