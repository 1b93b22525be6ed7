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
from services import followups
from services.access import acting_agency
from services.council import FollowUpConfig
from services.membership import Actor


async def record_hire(
    *, session: AsyncSession, clock: Clock, actor: Actor, seeker_id: int, opening_id: int,
    hired_on: date, meeting_id: int | None = None, followup: FollowUpConfig | None = None,
) -> Hire:
    """Record that a seeker was hired into an opening.

    Who: the seeker's centre, the opening's agency, or a coordinator/admin. Rules: not twice
    into the same opening; the opening must have a position left (the last one fills it:
    채용완료); not dated in the future. The seeker becomes 취업 ('hired'). The hire is credited
    to the seeker's centre, which follows her up (사후관리) at the months of `followup`
    (council.toml; 1, 3 and 6 by default). Audited.
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
    await followups.create_points(session=session, hire=hire,
                                  config=followup or FollowUpConfig(), now=now)
    await audit_db.append_audit(
        session=session, at=now, action="hire.create", actor_telegram_id=actor.telegram_id,
        actor_member_id=member.id, entity="hire", entity_id=hire.id,
        detail={"seeker_id": seeker_id, "opening_id": opening_id, "hired_on": hired_on,
                "meeting_id": meeting_id, "positions_left": opening.positions
                - opening.positions_filled},
    )
    return hire


async def editable_hire(session: AsyncSession, actor: Actor, hire_id: int) -> tuple[Hire, int]:
    """A live hire the actor may change (as for recording it), and the actor's member id."""
    member, agency = await acting_agency(session=session, actor=actor)
    hire = await hires_db.get_hire(session=session, hire_id=hire_id)
    if hire is None or hire.deleted_at is not None:
        raise DomainError("records.not_found")
    opening = await openings_db.get_opening(session=session, opening_id=hire.opening_id)
    own = agency is not None and agency.id in (
        hire.agency_id, opening.agency_id if opening else None
    )
    if not (actor.is_lead or own):
        raise NotAllowed("hire.not_allowed")
    return hire, member.id or 0


async def change_start(
    *, session: AsyncSession, clock: Clock, actor: Actor, hire_id: int, hired_on: date
) -> Hire:
    """Correct a hire's start date; its follow-up points still to answer move with it."""
    hire, member_id = await editable_hire(session, actor, hire_id)
    if hired_on > clock.today():
        raise DomainError("valid.date_future", date=hired_on.isoformat(),
                          today=clock.today().isoformat())
    before, hire.hired_on = hire.hired_on, hired_on
    session.add(hire)
    moved = await followups.move_points(session=session, hire=hire)
    await audit_db.append_audit(
        session=session, at=clock.now(), action="hire.edit", actor_telegram_id=actor.telegram_id,
        actor_member_id=member_id, entity="hire", entity_id=hire.id,
        detail={"hired_on": [before, hired_on], "followups_moved": moved},
    )
    return hire


async def delete_hire(*, session: AsyncSession, clock: Clock, actor: Actor, hire_id: int) -> Hire:
    """Take back a hire recorded by mistake: the opening gets its position back, the seeker is
    looking again unless another hire holds her, and the follow-up points still to answer are
    cancelled. Soft: the row stays for the audit trail."""
    hire, member_id = await editable_hire(session, actor, hire_id)
    now = clock.now()
    hire.deleted_at = now
    session.add(hire)
    opening = await openings_db.get_opening(session=session, opening_id=hire.opening_id)
    if opening is not None and opening.positions_filled > 0:
        opening.positions_filled -= 1
        if opening.status == OpeningStatus.FILLED:
            opening.status, opening.closed_at = OpeningStatus.OPEN, None
        opening.updated_at = now
        session.add(opening)
    seeker = await seekers_db.get_seeker(session=session, seeker_id=hire.seeker_id)
    others = await hires_db.list_hires(session=session, seeker_id=hire.seeker_id)
    if seeker is not None and seeker.status == SeekerStatus.HIRED and not [
        h for h in others if h.id != hire.id
    ]:
        seeker.status, seeker.updated_at = SeekerStatus.SEEKING, now
        session.add(seeker)
    cancelled = await followups.cancel_points(session=session, hire_id=hire.id or 0)
    await audit_db.append_audit(
        session=session, at=now, action="hire.delete", actor_telegram_id=actor.telegram_id,
        actor_member_id=member_id, entity="hire", entity_id=hire.id,
        detail={"followups_cancelled": cancelled},
    )
    return hire
