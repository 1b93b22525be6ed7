"""Matching ranks how well a seeker fits the job above how near she lives (services.matching)."""

from __future__ import annotations

from services.matching import OpeningProfile, SeekerProfile, rank_openings, rank_seekers

NEIGHBOURS = {"asan": ["cheonan", "yesan"], "cheonan": ["asan"], "yesan": ["asan"]}
# An 아산 opening: 사무보조·포장, 20 hours a week, 09-13, 11,000원 an hour.
ASAN_OPENING = OpeningProfile(
    id=1, region_code="asan", text="사무보조·포장 물류 제조업", weekly_hours=20,
    daily_hours=(9 * 60, 13 * 60), hourly_wage=11_000,
)


def _neighbour_who_fits() -> SeekerProfile:
    return SeekerProfile(
        id=10, region_code="cheonan", desired_jobs="사무보조, 포장", desired_hours=20,
        time_of_day="morning", desired_wage=10_500,
    )


def _same_region_wage_only(seeker_id: int) -> SeekerProfile:
    # Same 시군, asks a wage the opening pays, nothing else fits (an evening cook, 35 hours).
    return SeekerProfile(
        id=seeker_id, region_code="asan", desired_jobs="조리", desired_hours=35,
        time_of_day="evening", desired_wage=10_320,
    )


def test_a_neighbour_who_fits_job_hours_time_and_wage_ranks_first() -> None:
    seekers = [_same_region_wage_only(i) for i in range(20, 26)] + [_neighbour_who_fits()]
    ranked = rank_seekers(ASAN_OPENING, seekers, NEIGHBOURS, limit=5)
    assert ranked[0].id == 10
    keys = [key for key, _ in ranked[0].reasons]
    assert keys == [
        "match.reason_job", "match.reason_hours", "match.reason_time", "match.reason_wage",
        "match.reason_neighbour",
    ]
    # The others only have the wage and the 시군, named in that order.
    others = [key for key, _ in ranked[1].reasons]
    assert others == ["match.reason_wage", "match.reason_same_region"]


def test_distance_still_counts_between_equal_fits() -> None:
    near = SeekerProfile(id=3, region_code="asan", desired_jobs="포장", desired_hours=20,
                         time_of_day="morning", desired_wage=10_000)
    far = SeekerProfile(id=4, region_code="yesan", desired_jobs="포장", desired_hours=20,
                        time_of_day="morning", desired_wage=10_000)
    assert [c.id for c in rank_seekers(ASAN_OPENING, [far, near], NEIGHBOURS)] == [3, 4]


def test_openings_for_a_seeker_are_ranked_the_same_way() -> None:
    seeker = _neighbour_who_fits()
    cheonan_wage_only = OpeningProfile(id=2, region_code="cheonan", text="조리 식당",
                                       weekly_hours=35, daily_hours=(17 * 60, 22 * 60),
                                       hourly_wage=12_000)
    assert [c.id for c in rank_openings(seeker, [cheonan_wage_only, ASAN_OPENING],
                                        NEIGHBOURS)] == [1, 2]
