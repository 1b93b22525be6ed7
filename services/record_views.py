"""What /mine shows: a page of the agency's records, one of its records, a record's values.

A record of another agency is "not found" (`records.not_found`), as it was before."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from models import openings as openings_db
from models import seekers as seekers_db
from models.tables import JobOpening
from services import openings, seekers
from services.crypto import Cipher
from services.membership import Actor
from services.seekers import SeekerCard


def _own_agency(actor: Actor, agency_id: int) -> bool:
    return actor.agency is not None and actor.agency.id == agency_id


async def seeker_page(
    *, session: AsyncSession, clock: Clock, actor: Actor, cipher: Cipher, agency_id: int,
    status: str | None, region_code: str | None, keyword: str | None, offset: int, limit: int,
) -> tuple[list[SeekerCard], int]:
    """One page of a centre's seekers as cards, and how many match in all."""
    rows, total = await seekers.search_seekers(
        session=session, cipher=cipher, agency_id=agency_id, status=status,
        region_code=region_code, keyword=keyword, offset=offset, limit=limit,
    )
    cards = await seekers.seeker_cards(session=session, clock=clock, actor=actor, cipher=cipher,
                                       seekers=list(rows), purpose="list")
    return cards, total


async def opening_page(
    *, session: AsyncSession, agency_id: int, status: str | None, region_code: str | None,
    keyword: str | None, offset: int, limit: int,
) -> tuple[list[JobOpening], int]:
    """One page of an agency's openings, and how many match in all."""
    found, total = await openings_db.search_openings(
        session=session, agency_id=agency_id, status=status, region_code=region_code,
        keyword=keyword, offset=offset, limit=limit,
    )
    return list(found), total


async def own_seeker(
    *, session: AsyncSession, clock: Clock, actor: Actor, cipher: Cipher, seeker_id: int
) -> SeekerCard:
    """One of the actor's centre's seekers, as a card (unmasked views audited)."""
    seeker = await seekers_db.get_seeker(session=session, seeker_id=seeker_id)
    if seeker is None or not _own_agency(actor, seeker.agency_id):
        raise DomainError("records.not_found")
    (card,) = await seekers.seeker_cards(session=session, clock=clock, actor=actor,
                                         cipher=cipher, seekers=[seeker], purpose="detail")
    return card


async def own_opening(*, session: AsyncSession, actor: Actor, opening_id: int) -> JobOpening:
    """One of the actor's agency's openings."""
    opening = await openings_db.get_opening(session=session, opening_id=opening_id)
    if opening is None or not _own_agency(actor, opening.agency_id):
        raise DomainError("records.not_found")
    return opening


async def opening_values(*, session: AsyncSession, opening_id: int) -> dict[str, Any]:
    """An opening's values as its form has them (empty when it is gone)."""
    opening = await openings_db.get_opening(session=session, opening_id=opening_id)
    return openings.opening_values(opening) if opening else {}


async def seeker_values(*, session: AsyncSession, seeker_id: int) -> dict[str, Any]:
    """A seeker's values as their form has them (empty when the record is gone)."""
    seeker = await seekers_db.get_seeker(session=session, seeker_id=seeker_id)
    return seekers.draft_values(seeker) if seeker else {}
