"""What the /match, /hire and /hires screens show: the lists to choose from, the ranked
candidates with the seekers as this viewer may see them, the records a hire names, and the hires
recorded (to correct a start date or take a hire back).

A record the viewer may not act on is "not found" (`records.not_found`), as it was before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from core.statuses import OpeningStatus, SeekerStatus
from models import hires as hires_db
from models import openings as openings_db
from models import seekers as seekers_db
from models.tables import Hire, JobOpening, JobSeeker
from services import hires, matchmaking
from services.council import CouncilData, FollowUpConfig
from services.crypto import Cipher
from services.matching import Candidate
from services.membership import Actor
from services.seekers import SeekerCard, seeker_cards

HIRE_STATUSES = (SeekerStatus.MATCHED, SeekerStatus.SEEKING)  # the /hire list, in this order


def _agency_id(actor: Actor) -> int | None:
    return actor.member.agency_id if actor.member is not None else None


def _owns(actor: Actor, seeker: JobSeeker) -> bool:
    return actor.member is not None and actor.member.agency_id == seeker.agency_id


async def seekers_to_match(
    *, session: AsyncSession, clock: Clock, actor: Actor, cipher: Cipher, limit: int
) -> list[SeekerCard]:
    """The viewer's centre's seekers still looking (구직중), as cards."""
    rows = await seekers_db.list_seekers(session=session, agency_id=_agency_id(actor),
                                         status=SeekerStatus.SEEKING, purged=False)
    return await seeker_cards(session=session, clock=clock, actor=actor, cipher=cipher,
                              seekers=list(rows[:limit]), purpose="match_list")


async def openings_to_match(
    *, session: AsyncSession, actor: Actor, limit: int
) -> list[JobOpening]:
    """Open openings: the viewer's agency's, or all of them for a coordinator or admin."""
    mine = None if actor.is_lead else _agency_id(actor)
    found = await openings_db.list_openings(session=session, agency_id=mine,
                                            status=OpeningStatus.OPEN)
    return list(found[:limit])


@dataclass(frozen=True)
class OpeningMatches:
    opening: JobOpening
    ranked: list[tuple[Candidate, SeekerCard]]


async def matches_for_opening(
    *, session: AsyncSession, clock: Clock, actor: Actor, cipher: Cipher,
    council: CouncilData, opening_id: int,
) -> OpeningMatches:
    """Seekers for an opening, best first, masked as the viewer must see them (audited)."""
    opening = await openings_db.get_opening(session=session, opening_id=opening_id)
    if opening is None:
        raise DomainError("records.not_found")
    ranked = await matchmaking.seekers_for(session=session, council=council, opening=opening)
    cards = await seeker_cards(session=session, clock=clock, actor=actor, cipher=cipher,
                               seekers=[s for _, s in ranked], purpose="match")
    return OpeningMatches(opening, [(c, card) for (c, _), card in zip(ranked, cards, strict=True)])


@dataclass(frozen=True)
class SeekerMatches:
    card: SeekerCard
    own: bool  # the viewer's centre holds the seeker (may record a hire)
    ranked: list[tuple[Candidate, JobOpening]]


async def matches_for_seeker(
    *, session: AsyncSession, clock: Clock, actor: Actor, cipher: Cipher,
    council: CouncilData, seeker_id: int,
) -> SeekerMatches:
    """Open openings for one of the centre's seekers (coordinators see the seeker masked)."""
    seeker = await seekers_db.get_seeker(session=session, seeker_id=seeker_id)
    own = seeker is not None and _owns(actor, seeker)
    if seeker is None or not (own or actor.is_lead):
        raise DomainError("records.not_found")
    ranked = await matchmaking.openings_for(session=session, council=council, seeker=seeker)
    (card,) = await seeker_cards(session=session, clock=clock, actor=actor, cipher=cipher,
                                 seekers=[seeker], purpose="match")
    return SeekerMatches(card, own, ranked)


async def hire_candidates(
    *, session: AsyncSession, clock: Clock, actor: Actor, cipher: Cipher,
    agency_id: int | None, limit: int,
) -> list[SeekerCard]:
    """Seekers a hire may be recorded for (매칭 first, then 구직중); `agency_id` narrows."""
    rows = [
        s for status in HIRE_STATUSES
        for s in await seekers_db.list_seekers(session=session, agency_id=agency_id,
                                               status=status, purged=False)
    ][:limit]
    return await seeker_cards(session=session, clock=clock, actor=actor, cipher=cipher,
                              seekers=rows, purpose="hire")


async def hireable_seeker(*, session: AsyncSession, actor: Actor, seeker_id: int) -> JobSeeker:
    """A seeker whose hire this viewer records: their own centre's, or anyone's for a lead."""
    seeker = await seekers_db.get_seeker(session=session, seeker_id=seeker_id)
    if seeker is None or not (_owns(actor, seeker) or actor.is_lead):
        raise DomainError("records.not_found")
    return seeker


async def hire_openings(
    *, session: AsyncSession, actor: Actor, council: CouncilData, seeker_id: int, limit: int
) -> list[JobOpening]:
    """The best open openings for a seeker whose hire this viewer records."""
    seeker = await hireable_seeker(session=session, actor=actor, seeker_id=seeker_id)
    ranked = await matchmaking.openings_for(session=session, council=council, seeker=seeker,
                                            limit=limit)
    return [o for _, o in ranked]


async def hire_summary(
    *, session: AsyncSession, clock: Clock, actor: Actor, cipher: Cipher,
    seeker_id: int, opening_id: int,
) -> tuple[SeekerCard, JobOpening]:
    """The seeker (as a card) and the opening a hire draft names."""
    seeker = await seekers_db.get_seeker(session=session, seeker_id=seeker_id)
    opening = await openings_db.get_opening(session=session, opening_id=opening_id)
    if seeker is None or opening is None:
        raise DomainError("records.not_found")
    (card,) = await seeker_cards(session=session, clock=clock, actor=actor, cipher=cipher,
                                 seekers=[seeker], purpose="hire")
    return card, opening


async def record_hire(
    *, session: AsyncSession, clock: Clock, actor: Actor,
    seeker_id: int, opening_id: int, hired_on: date, followup: FollowUpConfig | None = None,
) -> tuple[Hire, JobOpening]:
    """Record the hire (`services.hires.record_hire`, its follow-up points at the months of
    `followup`) and return it with its opening."""
    hire = await hires.record_hire(session=session, clock=clock, actor=actor,
                                   seeker_id=seeker_id, opening_id=opening_id, hired_on=hired_on,
                                   followup=followup)
    opening = await openings_db.get_opening(session=session, opening_id=hire.opening_id)
    assert opening is not None
    return hire, opening


@dataclass(frozen=True)
class HireView:
    """A recorded hire as this viewer may see it."""

    id: int
    hired_on: date
    seeker: SeekerCard
    opening: JobOpening


async def _views(session: AsyncSession, clock: Clock, actor: Actor, cipher: Cipher,
                 rows: list[Hire]) -> list[HireView]:
    seekers = {}
    for hire in rows:
        seeker = await seekers_db.get_seeker(session=session, seeker_id=hire.seeker_id)
        if seeker is not None:
            seekers[hire.seeker_id] = seeker
    cards = {card.id: card for card in await seeker_cards(
        session=session, clock=clock, actor=actor, cipher=cipher,
        seekers=list(seekers.values()), purpose="hire")}
    views = []
    for hire in rows:
        opening = await openings_db.get_opening(session=session, opening_id=hire.opening_id)
        card = cards.get(hire.seeker_id)
        if opening is not None and card is not None:
            views.append(HireView(id=hire.id or 0, hired_on=hire.hired_on, seeker=card,
                                  opening=opening))
    return views


async def recorded_hires(
    *, session: AsyncSession, clock: Clock, actor: Actor, cipher: Cipher, limit: int
) -> list[HireView]:
    """The hires this viewer may correct, the latest start first: the centre's own (credited to
    it), or every hire for a coordinator or admin."""
    mine = None if actor.is_lead else _agency_id(actor)
    if mine is None and not actor.is_lead:
        return []
    latest = await hires_db.latest_hires(session=session, agency_id=mine, limit=limit)
    return await _views(session, clock, actor, cipher, list(latest))


async def hire_view(
    *, session: AsyncSession, clock: Clock, actor: Actor, cipher: Cipher, hire_id: int
) -> HireView:
    """One hire this viewer may correct (`services.hires.editable_hire` decides)."""
    hire, _ = await hires.editable_hire(session, actor, hire_id)
    views = await _views(session, clock, actor, cipher, [hire])
    if not views:
        raise DomainError("records.not_found")
    return views[0]

