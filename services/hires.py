"""Recording a hire: a seeker placed in an opening.

Minimal version written for the meetings feature; the openings/seekers feature owns the full
one. The signature of `record_hire` is the contract between the two and must not change.
"""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from models import audit as audit_db
from models import meetings as meetings_db
from models.tables import Hire
from services.errors import DomainError, NotAllowed
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
    """Insert the hire, count the position down and mark the seeker hired (one transaction)."""
    member = actor.member
    if member is None or actor.role is None:
        raise NotAllowed("auth.not_member")
    seeker = await meetings_db.get_seeker(session=session, seeker_id=seeker_id)
    if seeker is None or seeker.deleted_at is not None:
        raise DomainError("hire.unknown_seeker")
    opening = await meetings_db.get_opening(session=session, opening_id=opening_id)
    if opening is None or opening.deleted_at is not None:
        raise DomainError("hire.unknown_opening")
    if await meetings_db.find_hire(session=session, seeker_id=seeker_id, opening_id=opening_id):
        raise DomainError("hire.duplicate", company=opening.company_name)
    if opening.positions_filled >= opening.positions:
        raise DomainError("hire.opening_full", company=opening.company_name)
    now = clock.now()
    hire = Hire(
        seeker_id=seeker_id,
        opening_id=opening_id,
        agency_id=seeker.agency_id,
        hired_on=hired_on,
        meeting_id=meeting_id,
        created_by=member.id,
        created_at=now,
    )
    opening.positions_filled += 1
    if opening.positions_filled >= opening.positions:
        opening.status, opening.closed_at = "filled", now
    opening.updated_at = now
    seeker.status, seeker.updated_at = "hired", now
    await meetings_db.save(session=session, rows=[hire, opening, seeker])
    await audit_db.append_audit(
        session=session,
        at=now,
        action="hire.create",
        actor_telegram_id=actor.telegram_id,
        actor_member_id=member.id,
        entity="hire",
        entity_id=hire.id,
        detail={"seeker_id": seeker_id, "opening_id": opening_id, "meeting_id": meeting_id},
    )
    return hire
