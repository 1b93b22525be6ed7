"""Validators, masking, encryption and the ranking function: plain unit tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DomainError
from services import validation as v
from services.crypto import Cipher, CipherError, load_secret
from services.matching import OpeningProfile, SeekerProfile, rank_openings, rank_seekers
from services.privacy import age_decade, mask_name, mask_phone

TODAY = date(2026, 9, 1)
WAGES = {2025: 10_030, 2026: 10_320}


def err(func, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        func(*args, **kwargs)
    return caught.value


# --- 사업자등록번호 and phones -----------------------------------------------------------------
def test_business_number_check_digit() -> None:
    assert v.business_number("2208162517") == "220-81-62517"
    assert v.business_number(" 220-81-62517 ") == "220-81-62517"
    assert err(v.business_number, "220-81-62518").key == "valid.business_number_check"
    assert err(v.business_number, "12345").key == "valid.business_number_format"
    assert err(v.business_number, "abc-de-fghij").key == "valid.business_number_format"


@pytest.mark.parametrize("typed", ["010-1234-5678", "01012345678", "010 1234 5678",
                                   "+82 10-1234-5678", "+821012345678", "010.1234.5678"])
def test_mobile_is_normalised(typed: str) -> None:
    assert v.mobile(typed) == "010-1234-5678"


@pytest.mark.parametrize("typed", ["041-123-4567", "010-123-456", "12345", "전화번호",
                                   "+1 202 555 0100", "011-123-4567", ""])
def test_not_a_korean_mobile(typed: str) -> None:
    assert err(v.mobile, typed).key == "valid.phone"


# --- dates -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "expected"), [
    ("9/5", date(2026, 9, 5)), ("9.5", date(2026, 9, 5)), ("9월 5일", date(2026, 9, 5)),
    ("9월5일", date(2026, 9, 5)), ("2026-09-05", date(2026, 9, 5)),
    ("2026.9.5", date(2026, 9, 5)), ("2026년 9월 5일", date(2026, 9, 5)),
    ("오늘", TODAY), ("내일", date(2026, 9, 2)), ("1/15", date(2027, 1, 15)),
])
def test_dates(typed: str, expected: date) -> None:
    assert v.parse_date(typed, today=TODAY) == expected


def test_dates_refused() -> None:
    assert err(v.parse_date, "8/30", today=TODAY, allow_past=False).key == "valid.date_past"
    assert err(v.parse_date, "2026-09-02", today=TODAY,
               allow_future=False).key == "valid.date_future"
    for bad in ("2/30", "13/1", "next week", "2026-02-30", "", "3000-01-01"):
        assert err(v.parse_date, bad, today=TODAY).key == "valid.date", bad


# --- money, hours, counts --------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "amount", "period"), [
    ("12,000", 12_000, None), ("12000원", 12_000, None), ("1만 2천원", 12_000, None),
    ("1.2만원", 12_000, None), ("1만2000", 12_000, None), ("월 180만원", 1_800_000, "monthly"),
    ("월급 1,800,000원", 1_800_000, "monthly"), ("시급 10,320원", 10_320, "hourly"),
    ("1만 3천5백원", 13_500, None),
    # Every way people write amounts: full-width digits, number words, units without a digit.
    ("１２０００", 12_000, None), ("만이천원", 12_000, None), ("삼만원", 30_000, None),
    ("만원", 10_000, None), ("천오백원", 1_500, None), ("월 2백만원", 2_000_000, "monthly"),
    ("월 1,850,000", 1_850_000, "monthly"), ("시급 만 이천 원", 12_000, "hourly"),
])
def test_money(typed: str, amount: int, period: str | None) -> None:
    assert v.parse_money(typed) == v.Money(amount, period)


@pytest.mark.parametrize("typed", ["", "원", "1만만", "2천3천", "1이", "1.2.3만", "12,000달러",
                                   "-5000", "1.23456원", "<b>1000</b>", "열두시", "1e5"])
def test_money_refused(typed: str) -> None:
    assert err(v.parse_money, typed).key == "valid.money"


@pytest.mark.parametrize(("typed", "expected"), [
    ("10:00-15:00", "10:00-15:00"), ("10-15", "10:00-15:00"), ("10시~15시", "10:00-15:00"),
    ("오전 10시 - 오후 3시", "10:00-15:00"), ("9시 30분-13시", "09:30-13:00"),
    ("09:30 ~ 13:30", "09:30-13:30"),
])
def test_hour_ranges(typed: str, expected: str) -> None:
    assert v.hour_range_text(typed) == expected


def test_hour_ranges_refused() -> None:
    assert err(v.hour_range_text, "15:00-10:00").key == "valid.hour_range_order"
    assert err(v.hour_range_text, "아침").key == "valid.hour_range"
    assert err(v.hour_range_text, "25:00-26:00").key == "valid.hour_range"


def test_weekly_hours_counts_years_birth() -> None:
    assert v.parse_weekly_hours("주 20시간") == 20
    assert v.parse_weekly_hours("22.5") == 22.5
    assert err(v.parse_weekly_hours, "60").key == "valid.weekly_hours"
    assert err(v.parse_weekly_hours, "스무").key == "valid.weekly_hours"
    assert v.parse_count("3명") == 3 and v.parse_count("삼") == 3 and v.parse_count("１２") == 12
    assert err(v.parse_count, "0").key == "valid.count"
    assert err(v.parse_count, "1.5").key == "valid.count"
    assert v.parse_years("6개월") == 0.5 and v.parse_years("1.5년") == 1.5
    assert v.parse_birth_year("85년생", today=TODAY) == 1985
    assert v.parse_birth_year("1979", today=TODAY) == 1979
    assert err(v.parse_birth_year, "2020", today=TODAY).key == "valid.birth_year"


@given(st.integers(min_value=1, max_value=99_999_999))
def test_money_round_trips_with_commas(amount: int) -> None:
    assert v.parse_money(f"{amount:,}원").amount == amount


# --- 시간선택제 rules --------------------------------------------------------------------------
def test_part_time_rules() -> None:
    def check(**kw):
        base = dict(weekly_hours=20.0, wage_type="hourly", wage_amount=13_416, small_firm=False,
                    year=2026, minimum_wage=WAGES)
        base.update(kw)
        return [r.code for r in v.check_part_time_rules(**base)]

    assert check() == []  # exactly 130% of 10,320 (13,416)
    assert check(wage_amount=13_415) == ["wage"]
    assert check(wage_amount=12_384, small_firm=True) == []  # 120% for small firms
    assert check(wage_amount=12_383, small_firm=True) == ["wage"]
    assert check(year=2025, wage_amount=13_039) == []  # 130% of 10,030
    assert check(weekly_hours=14.5) == ["weekly_hours"]
    assert check(weekly_hours=31) == ["weekly_hours"]
    # Monthly: 1,400,000 for 25 h/week → 1,400,000 / (209 × 25/40) = 10,718 won/h: too low.
    assert check(wage_type="monthly", wage_amount=1_400_000, weekly_hours=25) == ["wage"]
    assert check(wage_type="monthly", wage_amount=1_760_000, weekly_hours=25) == []
    found = v.check_part_time_rules(weekly_hours=20, wage_type="hourly", wage_amount=11_000,
                                    small_firm=False, year=2026, minimum_wage=WAGES)
    assert found[0].values["floor"] == "13,416" and found[0].values["percent"] == 130


def test_hourly_equivalent_formula() -> None:
    assert v.hourly_equivalent(wage_type="monthly", amount=2_090_000, weekly_hours=40) == 10_000
    assert v.hourly_equivalent(wage_type="monthly", amount=1_045_000, weekly_hours=20) == 10_000
    assert v.hourly_equivalent(wage_type="hourly", amount=12_000, weekly_hours=20) == 12_000


# --- masking and encryption ------------------------------------------------------------------
def test_masking() -> None:
    assert mask_name("홍길동") == "홍*동"
    assert mask_name("이수") == "이*"
    assert mask_name("남궁민수") == "남**수"
    assert mask_phone("010-1234-5678") == "010-****-5678"
    assert age_decade(1984, 2026) == 40 and age_decade(1999, 2026) == 20


def test_cipher_round_trip_and_keyed_hash(tmp_path: Path) -> None:
    secret = load_secret(configured=None, data_dir=tmp_path)
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert load_secret(configured=None, data_dir=tmp_path) == secret  # kept, not regenerated
    cipher = Cipher(secret)
    token = cipher.encrypt("홍길동")
    assert "홍길동" not in token and cipher.decrypt(token) == "홍길동"
    assert cipher.keyed_hash("010-1234-5678") == Cipher(secret).keyed_hash("010-1234-5678")
    other = Cipher("another secret of enough length")
    assert other.keyed_hash("010-1234-5678") != cipher.keyed_hash("010-1234-5678")
    with pytest.raises(CipherError):
        other.decrypt(token)


# --- ranking -----------------------------------------------------------------------------------
NEIGHBOURS = {"cheonan": ("asan", "gongju"), "asan": ("cheonan", "dangjin"), "taean": ("seosan",)}


def opening(id_: int, region: str, text: str = "사무보조", hours: float = 20,
            daily: tuple[int, int] = (600, 900), wage: float = 13_500) -> OpeningProfile:
    return OpeningProfile(id=id_, region_code=region, text=text, weekly_hours=hours,
                          daily_hours=daily, hourly_wage=wage)


def test_ranking_by_fit_with_distance_as_one_factor() -> None:
    seeker = SeekerProfile(id=1, region_code="cheonan", desired_jobs="사무보조, 회계",
                           desired_hours=20, time_of_day="morning", desired_wage=13_000)
    openings = [
        opening(1, "asan"),  # neighbour, fits everything
        opening(2, "cheonan", hours=40, daily=(780, 1080)),  # same region, hours do not fit
        opening(3, "cheonan", text="포장"),  # same, hours fit, job does not
        opening(4, "cheonan"),  # same, everything fits
        opening(5, "cheonan", wage=12_000),  # same, all but wage
        opening(6, "taean"),  # too far: left out
    ]
    ranked = rank_openings(seeker, openings, NEIGHBOURS, limit=10)
    # Fit first (job, hours, time of day, wage), the same 시군 one point among them: the
    # neighbour who fits everything comes right after the same-시군 one who does too.
    assert [c.id for c in ranked] == [4, 1, 5, 2, 3]
    best = dict(ranked[0].reasons)
    assert "match.reason_same_region" in best and best["match.reason_job"]["words"] == "사무보조"
    assert "match.reason_wage" in best and "match.reason_hours" in best
    assert dict(ranked[1].reasons)["match.reason_neighbour"] == {"region": "cheonan"}


def test_rank_seekers_ties_newest_first_and_limit() -> None:
    target = opening(9, "cheonan")
    seekers = [SeekerProfile(id=i, region_code="cheonan", desired_jobs="사무보조",
                             desired_hours=20, time_of_day="any") for i in range(1, 8)]
    ranked = rank_seekers(target, seekers, NEIGHBOURS, limit=3)
    assert [c.id for c in ranked] == [7, 6, 5]
