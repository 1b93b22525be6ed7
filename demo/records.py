"""Demo season records (openings, seekers with consent, matches and hires) for the sandbox and
`itda seed --demo`: 40 openings, 60 seekers and about 15 hires across the 15 시군, created
between July and November 2026. Deterministic and idempotent (a second run adds nothing)."""

from __future__ import annotations

import random
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, local_zone
from core.statuses import AgencyKind, OpeningStatus, SeekerStatus
from models import audit as audit_db
from models import council as council_db
from models import members as members_db
from models import seekers as seekers_db
from models.tables import Hire, JobOpening, JobSeeker
from services import validation as v
from services.crypto import Cipher
from services.matching import TIME_WINDOWS, score
from services.matchmaking import opening_profile, seeker_profile

DATA_FILE = Path(__file__).resolve().parent / "data" / "season.toml"
SEASON_START = date(2026, 7, 20)
SEASON_END = date(2026, 11, 20)
OPENINGS, SEEKERS, HIRES, MATCHED = 40, 60, 15, 10
FIRST_PHONE = 90000001  # demo phones: 010-9000-0001 … (not real subscribers' numbers)
TIMES = [(600, 900), (540, 780), (780, 1080), (600, 960), (720, 1020)]


def _phone(n: int) -> str:
    digits = str(FIRST_PHONE + n)
    return f"010-{digits[:4]}-{digits[4:]}"


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)), tzinfo=local_zone())


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


async def load_season(session: AsyncSession, clock: Clock, cipher: Cipher) -> None:
    """The demo step (demo.DEMO_STEPS)."""
    if await seekers_db.get_seeker_by_phone_key(
        session=session, phone_key=cipher.keyed_hash(_phone(0))
    ) is not None:
        return
    data: dict[str, Any] = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    rng = random.Random(2026)
    regions = [r.code for r in await council_db.list_regions(session=session)]
    employers = await council_db.list_agencies(session=session,
                                               kind=AgencyKind.EMPLOYER_ASSOCIATION)
    centres = await council_db.list_agencies(session=session, kind=AgencyKind.SAEIL_CENTER)
    served = {a.id: await council_db.agency_regions(session=session, agency_id=a.id or 0)
              for a in [*employers, *centres]}
    authors = {m.agency_id: m.id for m in await members_db.list_members(session=session)}
    today = clock.today()

    openings: list[JobOpening] = []
    for n in range(OPENINGS):
        name, industry, title, duties = data["companies"][n % len(data["companies"])]
        region = regions[n % len(regions)]
        owners = [a for a in employers if region in served[a.id]]
        owner = owners[n % len(owners)]
        created = _day(rng, SEASON_START, date(2026, 10, 31))
        start, end = TIMES[n % len(TIMES)]
        hours = float(rng.choice([15, 20, 20, 25, 25, 30]))
        monthly = n % 7 == 0
        amount = (round(13_500 * 209 * hours / 40, -4) if monthly
                  else rng.choice([12_400, 12_500, 13_000, 13_500, 14_000]))
        deadline = created + timedelta(days=rng.choice([30, 45, 60, 90]))
        opening = JobOpening(
            agency_id=owner.id or 0, created_by=authors.get(owner.id),
            company_name=name, industry=industry, job_title=title, duties=duties,
            region_code=region, employment_type="regular_part_time" if n % 4 else
            "contract_part_time", weekly_hours=hours, work_days=data["work_days"][n % 5],
            work_time=v.format_hour_range(start, end), wage_type="monthly" if monthly
            else "hourly", wage_amount=int(amount), positions=rng.choice([1, 1, 2, 2, 3]),
            subsidy_approved=n % 3 != 0, small_firm=n % 5 != 0, deadline=deadline,
            contact=f"041-{550 + n:03d}-{1000 + n * 7:04d}",
            status=OpeningStatus.CLOSED if deadline < today else OpeningStatus.OPEN,
            created_at=_at(created, rng),
        )
        opening.rule_flags = [r.code for r in v.check_part_time_rules(
            weekly_hours=hours, wage_type=opening.wage_type, wage_amount=opening.wage_amount,
            small_firm=opening.small_firm, year=2026, minimum_wage={2026: 10_320})]
        if opening.status == OpeningStatus.CLOSED:
            opening.closed_at = datetime.combine(deadline + timedelta(days=1), time(6),
                                                 tzinfo=local_zone())
        session.add(opening)
        openings.append(opening)
    await session.flush()

    seekers: list[JobSeeker] = []
    for n in range(SEEKERS):
        centre = centres[n % len(centres)]
        region = served[centre.id][n % len(served[centre.id])]
        created = _day(rng, date(2026, 8, 1), SEASON_END)
        name = rng.choice(data["family_names"]) + rng.choice(data["given_names"])
        phone = _phone(n)
        consent = _at(created, rng)
        seeker = JobSeeker(
            agency_id=centre.id or 0, created_by=authors.get(centre.id),
            name=cipher.encrypt(name), phone=cipher.encrypt(phone),
            phone_key=cipher.keyed_hash(phone), birth_year=rng.randint(1968, 1995),
            region_code=region,
            desired_jobs=", ".join(rng.sample(data["desired_jobs"], 2)),
            desired_hours=float(rng.choice([15, 20, 20, 25, 30])),
            time_of_day=rng.choice(list(TIME_WINDOWS)),
            desired_wage=rng.choice([None, 11_000, 12_000, 12_500, 13_000]),
            interruption_reason=rng.choice(
                ["marriage", "pregnancy", "childcare", "childcare", "education", "care"]),
            interruption_years=float(rng.randint(1, 12)),
            status=SeekerStatus.SEEKING, consent_collect_at=consent,
            consent_share_at=consent if n % 5 < 3 else None, created_at=consent,
        )
        session.add(seeker)
        seekers.append(seeker)
    await session.flush()

    neighbours = {r.code: tuple(r.neighbours)
                  for r in await council_db.list_regions(session=session)}
    hires = 0
    for seeker in seekers:
        if hires >= HIRES:
            break
        for opening in openings:
            left = opening.positions - opening.positions_filled
            if left <= 0 or score(seeker_profile(seeker), opening_profile(opening),
                                  neighbours) is None:
                continue
            assert opening.created_at is not None and seeker.created_at is not None
            first = max(opening.created_at.date(), seeker.created_at.date()) + timedelta(days=7)
            if first > min(SEASON_END, today):
                continue
            hired_on = _day(rng, first, min(SEASON_END, today))
            session.add(Hire(seeker_id=seeker.id or 0, opening_id=opening.id or 0,
                             agency_id=seeker.agency_id, hired_on=hired_on,
                             created_by=seeker.created_by, created_at=_at(hired_on, rng)))
            opening.positions_filled += 1
            if opening.positions_filled >= opening.positions:
                opening.status = OpeningStatus.FILLED
                opening.closed_at = _at(hired_on, rng)
            seeker.status = SeekerStatus.HIRED
            hires += 1
            break
    matched = 0
    for seeker in reversed(seekers):
        if matched >= MATCHED:
            break
        if seeker.status == SeekerStatus.SEEKING:
            seeker.status, matched = SeekerStatus.MATCHED, matched + 1
    await session.flush()
    await audit_db.append_audit(
        session=session, at=clock.now(), action="demo.season", entity="demo",
        detail={"openings": len(openings), "seekers": len(seekers), "hires": hires},
    )
