"""Realistic season data for timing /status: openings, seekers, hires and meetings in bulk.

Records spread over the 15 시군 of 충남 (weighted by population), owned by the agencies of
council.toml that serve each 시군 (openings by employer associations, branch offices and 새일센터,
seekers by the 새일센터), created from March to the clock's day, with a realistic mix of statuses,
about a quarter of the seekers hired and a meeting day per 시군 and month. Inserts are SQLAlchemy
Core ``executemany`` batches on a synchronous connection: 100,000 openings and 100,000 seekers
take seconds, not minutes; the summary's counters (models/tally.py) are recounted after them.

`time_status` times a ``build_status_text(session, clock)`` callable on such a database.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from models import tally
from models.db import SessionFactory
from models.tables import Agency, AgencyRegion, Hire, JobOpening, JobSeeker, Meeting

# Rough population weights of the 15 시군 (tens of thousands of inhabitants).
REGION_WEIGHTS: dict[str, float] = {
    "cheonan": 66,
    "asan": 34,
    "seosan": 17,
    "dangjin": 17,
    "nonsan": 11,
    "gongju": 10,
    "hongseong": 10,
    "boryeong": 9.5,
    "yesan": 7.8,
    "buyeo": 6.2,
    "taean": 6,
    "seocheon": 5,
    "geumsan": 5,
    "gyeryong": 4.5,
    "cheongyang": 3,
}
OPENING_STATUSES = (("open", 55), ("filled", 25), ("closed", 15), ("deleted", 5))
SEEKER_STATUSES = (("seeking", 60), ("hired", 25), ("paused", 10), ("deleted", 5))
OPENING_KINDS = ("employer_association", "branch_office", "saeil_center")
JOBS = (
    ("사무보조", "office"),
    ("회계사무", "office"),
    ("요양보호사", "care"),
    ("조리원", "food"),
    ("판매원", "retail"),
    ("생산직", "manufacturing"),
    ("방과후강사", "education"),
    ("물류사무", "logistics"),
)
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ("민지", "서연", "지은", "수진", "혜진", "은영", "미경", "정희", "현주", "유진")
BATCH = 5000

StatusBuilder = Callable[[AsyncSession, Clock], Awaitable[str]]


@dataclass
class Council:
    agency_ids_by_kind: dict[str, list[int]]
    serving: dict[str, list[tuple[int, str]]]  # region -> [(agency id, kind)]


def load_council(engine: Engine) -> Council:
    with engine.connect() as conn:
        agencies = conn.execute(select(Agency.id, Agency.kind)).all()  # type: ignore[call-overload]
        links = conn.execute(
            select(AgencyRegion.region_code, AgencyRegion.agency_id)  # type: ignore[call-overload]
        ).all()
    kinds = {agency_id: kind for agency_id, kind in agencies}
    by_kind: dict[str, list[int]] = {}
    for agency_id, kind in agencies:
        by_kind.setdefault(kind, []).append(agency_id)
    serving: dict[str, list[tuple[int, str]]] = {}
    for region, agency_id in links:
        serving.setdefault(region, []).append((agency_id, kinds[agency_id]))
    return Council(by_kind, serving)


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


class SeasonGenerator:
    """Adds records to a database already upgraded to the newest schema and seeded."""

    def __init__(self, engine: Engine, clock: Clock, *, seed: int = 2026) -> None:
        self.engine = engine
        self.clock = clock
        self.rng = random.Random(seed)
        self.council = load_council(engine)
        self.openings = 0
        self.seekers = 0
        self.hires = 0
        self.meetings = 0
        self.open_ids_by_region: dict[str, list[int]] = {}
        now = clock.now()
        self.season_start = datetime(now.year, 3, 1, 9, tzinfo=clock.tz)
        self.span = max((now - self.season_start).total_seconds(), 86400.0)
        self._regions = list(REGION_WEIGHTS.items())

    def _when(self) -> datetime:
        return self.season_start + timedelta(seconds=self.rng.uniform(0, self.span))

    def _agency(self, region: str, kinds: Sequence[str]) -> int:
        found = [a for a, kind in self.council.serving.get(region, []) if kind in kinds]
        if not found:
            found = [a for kind in kinds for a in self.council.agency_ids_by_kind.get(kind, [])]
        return self.rng.choice(found)

    def grow_to(self, size: int) -> None:
        """Add openings and seekers (and their hires and meetings) until there are `size` each."""
        add = size - self.openings
        if add <= 0:
            return
        with self.engine.begin() as conn:
            first_opening = (conn.execute(select(func.max(JobOpening.id))).scalar() or 0) + 1
            first_seeker = (conn.execute(select(func.max(JobSeeker.id))).scalar() or 0) + 1
            opening_rows = [self._opening(self.openings + i) for i in range(add)]
            self._insert(conn, JobOpening, opening_rows)
            for offset, row in enumerate(opening_rows):
                self.open_ids_by_region.setdefault(row["region_code"], []).append(
                    first_opening + offset
                )
            seeker_rows = [self._seeker(self.seekers + i) for i in range(add)]
            self._insert(conn, JobSeeker, seeker_rows)
            hires = []
            for offset, row in enumerate(seeker_rows):
                if row["status"] != "hired":
                    continue
                candidates = self.open_ids_by_region.get(row["region_code"]) or [first_opening]
                hired_at = row["created_at"] + timedelta(days=self.rng.randint(7, 60))
                hired_at = min(hired_at, self.clock.now())
                hires.append(
                    {
                        "seeker_id": first_seeker + offset,
                        "opening_id": self.rng.choice(candidates),
                        "agency_id": row["agency_id"],
                        "hired_on": hired_at.date(),
                        "created_at": hired_at,
                    }
                )
            self._insert(conn, Hire, hires)
            meetings = [self._meeting() for _ in range(max(1, add // 200))]
            self._insert(conn, Meeting, meetings)
            tally.recount_sync(conn)  # Core inserts bypass the ORM's counters: rebuild them
        self.openings += add
        self.seekers += add
        self.hires += len(hires)
        self.meetings += len(meetings)

    @staticmethod
    def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), BATCH):
            conn.execute(table.__table__.insert(), rows[start : start + BATCH])

    def _opening(self, number: int) -> dict[str, Any]:
        rng = self.rng
        region = _pick(rng, self._regions)
        title, industry = rng.choice(JOBS)
        created = self._when()
        status = _pick(rng, OPENING_STATUSES)
        positions = rng.choice((1, 1, 1, 2, 2, 3))
        return {
            "agency_id": self._agency(region, OPENING_KINDS),
            "company_name": f"(주)충남{number:06d}",
            "business_number": f"{rng.randint(100, 999)}-{rng.randint(10, 99)}-"
            f"{number % 100000:05d}",
            "industry": industry,
            "job_title": title,
            "duties": title,
            "region_code": region,
            "employment_type": "regular_part_time",
            "weekly_hours": float(rng.choice((15, 20, 25, 30, 35))),
            "work_days": "mon-fri",
            "work_time": "09:00-14:00",
            "wage_type": "hourly",
            "wage_amount": rng.randrange(10_030, 14_000, 10),
            "positions": positions,
            "positions_filled": positions if status == "filled" else 0,
            "subsidy_approved": rng.random() < 0.6,
            "small_firm": rng.random() < 0.85,
            "deadline": (created + timedelta(days=rng.randint(14, 45))).date(),
            "contact": "041-000-0000",
            "status": "closed" if status == "deleted" else status,
            "rule_flags": [],
            "created_at": created,
            "updated_at": created,
            "closed_at": created + timedelta(days=20) if status in ("filled", "closed") else None,
            "deleted_at": created + timedelta(days=2) if status == "deleted" else None,
        }

    def _seeker(self, number: int) -> dict[str, Any]:
        rng = self.rng
        region = _pick(rng, self._regions)
        created = self._when()
        status = _pick(rng, SEEKER_STATUSES)
        return {
            "agency_id": self._agency(region, ("saeil_center",)),
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "phone": f"010-{number // 10000 % 10000:04d}-{number % 10000:04d}",
            "phone_key": f"bench-{number:09d}",
            "birth_year": rng.randint(1965, 1995),
            "region_code": region,
            "desired_jobs": rng.choice(JOBS)[0],
            "desired_hours": float(rng.choice((15, 20, 25, 30))),
            "time_of_day": rng.choice(("morning", "afternoon", "any")),
            "desired_wage": rng.randrange(10_030, 13_000, 10),
            "interruption_reason": rng.choice(("childcare", "marriage", "care", "other")),
            "interruption_years": float(rng.randint(1, 15)),
            "status": "seeking" if status == "deleted" else status,
            "consent_collect_at": created,
            "consent_share_at": created if rng.random() < 0.8 else None,
            "followup": rng.random() < 0.2,
            "created_at": created,
            "updated_at": created,
            "deleted_at": created + timedelta(days=3) if status == "deleted" else None,
        }

    def _meeting(self) -> dict[str, Any]:
        rng = self.rng
        region = _pick(rng, self._regions)
        starts = datetime.combine(
            self._when().date(), dtime(14), tzinfo=self.clock.tz
        ) + timedelta(days=rng.randint(0, 30))
        kind = "council" if rng.random() < 0.1 else "meeting_day"
        past = starts < self.clock.now()
        return {
            "kind": kind,
            "host_agency_id": self._agency(region, ("saeil_center",)),
            "title": "bench",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=2),
            "place": region,
            "region_code": region,
            "capacity": 30,
            "status": "held" if past else "scheduled",
            "created_at": starts - timedelta(days=14),
        }


# --- timing ------------------------------------------------------------------------------------
async def time_status(
    build: StatusBuilder, sessions: SessionFactory, clock: Clock, *, repeats: int = 5
) -> float:
    """Median milliseconds of `build(session, clock)`, each run in a fresh session."""
    samples = []
    for _ in range(repeats + 1):
        async with sessions() as session:
            started = time.perf_counter()
            text = await build(session, clock)
            samples.append((time.perf_counter() - started) * 1000)
        if not text:
            raise RuntimeError("the /status builder returned an empty message")
    return statistics.median(samples[1:])  # the first run warms the connection pool
