"""Ranking openings for a seeker, or seekers for an opening. Pure: plain data in, plain data out.

Candidates are ranked by how well the seeker fits the job, distance being one factor among them:
- job fit: words of the seeker's desired jobs found in the opening's title, duties, industry
  (up to two, `JOB_WEIGHT` each);
- hours: the opening's daily hours lying (75%+) inside the seeker's time of day, and weekly hours
  within 5 of what the seeker wants (`HOURS_WEIGHT` each);
- wage: the opening pays at least what the seeker asks, per hour (`WAGE_WEIGHT`);
- proximity: the same 시군 (`SAME_REGION_WEIGHT`); a neighbouring one counts nothing, and farther
  ones are left out (council data).
Ties go to the nearer region, then the newest record (higher id). A neighbouring seeker who fits
the job, the hours, the time of day and the wage ranks above a same-시군 one whose only merit is
the wage.

Every candidate carries its reasons as (catalogue key, values) pairs in the same order (job,
hours, time of day, wage, region); the rendering turns them into one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Seekers' preferred time of day, as minute windows.
TIME_WINDOWS: dict[str, tuple[int, int]] = {
    "morning": (8 * 60, 13 * 60),
    "afternoon": (12 * 60, 18 * 60),
    "evening": (17 * 60, 22 * 60),
    "any": (0, 24 * 60),
}
WEEKLY_HOURS_TOLERANCE = 5.0
SAME, NEIGHBOUR = 0, 1
JOB_WEIGHT, HOURS_WEIGHT, WAGE_WEIGHT, SAME_REGION_WEIGHT = 3, 2, 2, 1

Reason = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class SeekerProfile:
    id: int
    region_code: str
    desired_jobs: str = ""
    desired_hours: float | None = None
    time_of_day: str = "any"
    desired_wage: int | None = None  # won per hour


@dataclass(frozen=True)
class OpeningProfile:
    id: int
    region_code: str
    text: str = ""  # job title, duties and industry together
    weekly_hours: float | None = None
    daily_hours: tuple[int, int] | None = None  # minutes since midnight
    hourly_wage: float | None = None


@dataclass(frozen=True)
class Candidate:
    id: int  # the opening's id (for a seeker) or the seeker's id (for an opening)
    region_rank: int
    hours_fit: int
    job_fit: int
    wage_fit: int
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def fit(self) -> int:
        """How well the pair fits, proximity included (the weights above)."""
        return (
            JOB_WEIGHT * self.job_fit
            + HOURS_WEIGHT * self.hours_fit
            + WAGE_WEIGHT * self.wage_fit
            + (SAME_REGION_WEIGHT if self.region_rank == SAME else 0)
        )

    def sort_key(self) -> tuple[int, int, int]:
        return (-self.fit, self.region_rank, -self.id)


def keywords(text: str) -> list[str]:
    """Words of two or more characters (letters or digits), in order, without repeats."""
    words = re.findall(r"\w{2,}", text.lower())
    return list(dict.fromkeys(w for w in words if not w.isdigit()))


def _region_rank(seeker: SeekerProfile, opening: OpeningProfile,
                 neighbours: Mapping[str, Iterable[str]]) -> int | None:
    if seeker.region_code == opening.region_code:
        return SAME
    if opening.region_code in set(neighbours.get(seeker.region_code, ())) or (
        seeker.region_code in set(neighbours.get(opening.region_code, ()))
    ):
        return NEIGHBOUR
    return None


def _hours_fit(seeker: SeekerProfile, opening: OpeningProfile) -> tuple[int, list[Reason]]:
    reasons: list[Reason] = []
    time_ok: bool | None = None
    if opening.daily_hours is not None:
        lo, hi = TIME_WINDOWS.get(seeker.time_of_day or "any", TIME_WINDOWS["any"])
        start, end = opening.daily_hours
        inside = max(0, min(end, hi) - max(start, lo))
        time_ok = inside >= 0.75 * (end - start)
    weekly_ok: bool | None = None
    if seeker.desired_hours is not None and opening.weekly_hours is not None:
        weekly_ok = abs(seeker.desired_hours - opening.weekly_hours) <= WEEKLY_HOURS_TOLERANCE
        if weekly_ok:
            reasons.append(("match.reason_hours", {"hours": _num(opening.weekly_hours)}))
    if time_ok and seeker.time_of_day not in ("", "any"):
        reasons.append(("match.reason_time", {"time": seeker.time_of_day}))
    # One point for each of the two that is known and fits (unknown counts as no point).
    return sum(1 for ok in (time_ok, weekly_ok) if ok), reasons


def _job_fit(seeker: SeekerProfile, opening: OpeningProfile) -> tuple[int, list[Reason]]:
    text = opening.text.lower()
    found = [w for w in keywords(seeker.desired_jobs) if w in text]
    if not found:
        return 0, []
    return min(len(found), 2), [("match.reason_job", {"words": ", ".join(found[:3])})]


def _wage_fit(seeker: SeekerProfile, opening: OpeningProfile) -> tuple[int, list[Reason]]:
    if opening.hourly_wage is None:
        return 0, []
    if seeker.desired_wage is None or opening.hourly_wage >= seeker.desired_wage:
        return 1, [("match.reason_wage", {"wage": f"{int(opening.hourly_wage):,}"})]
    return 0, []


def score(seeker: SeekerProfile, opening: OpeningProfile,
          neighbours: Mapping[str, Iterable[str]]) -> tuple[int, int, int, int,
                                                            tuple[Reason, ...]] | None:
    """(region rank, hours, job, wage, reasons) of one pair, or None when too far apart."""
    region = _region_rank(seeker, opening, neighbours)
    if region is None:
        return None
    job, job_why = _job_fit(seeker, opening)
    hours, hours_why = _hours_fit(seeker, opening)
    wage, wage_why = _wage_fit(seeker, opening)
    where: Reason = (
        "match.reason_same_region" if region == SAME else "match.reason_neighbour",
        {"region": opening.region_code if region == SAME else seeker.region_code},
    )
    # Reasons in the order of their weight: what fits the job first, distance last.
    reasons = [*job_why, *hours_why, *wage_why, where]
    return region, hours, job, wage, tuple(reasons)


def rank_openings(seeker: SeekerProfile, openings: Sequence[OpeningProfile],
                  neighbours: Mapping[str, Iterable[str]], *, limit: int = 5) -> list[Candidate]:
    """The best openings for one seeker, best first."""
    found = []
    for opening in openings:
        result = score(seeker, opening, neighbours)
        if result is not None:
            found.append(Candidate(opening.id, *result[:4], reasons=result[4]))
    return sorted(found, key=Candidate.sort_key)[:limit]


def rank_seekers(opening: OpeningProfile, seekers: Sequence[SeekerProfile],
                 neighbours: Mapping[str, Iterable[str]], *, limit: int = 5) -> list[Candidate]:
    """The best seekers for one opening, best first."""
    found = []
    for seeker in seekers:
        result = score(seeker, opening, neighbours)
        if result is not None:
            found.append(Candidate(seeker.id, *result[:4], reasons=result[4]))
    return sorted(found, key=Candidate.sort_key)[:limit]


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
