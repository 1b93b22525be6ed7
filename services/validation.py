"""Checking what staff type on a phone: business numbers, mobile numbers, dates, amounts of
money, hour ranges and the rules of 시간선택제 jobs.

Every parser takes the typed text and returns a clean value or raises `DomainError` whose key
says, in the user's language, what is expected. None of them stores anything.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import phonenumbers

from core import korean_input as ko
from core.errors import DomainError
from core.text import clean_text

MAX_INPUT = 60

# --- 사업자등록번호 ----------------------------------------------------------------------------
_BIZ_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def business_number_ok(digits: str) -> bool:
    """The check digit of a 10-digit business registration number (국세청 weights 137137135)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    d = [int(c) for c in digits]
    total = sum(x * w for x, w in zip(d[:9], _BIZ_WEIGHTS, strict=True))
    total += (d[8] * 5) // 10
    return (10 - total % 10) % 10 == d[9]


def business_number(text: str | None) -> str:
    """'1234567891' or '123-45-67891' → '123-45-67891', check digit verified."""
    raw = clean_text(text, max_length=MAX_INPUT)
    digits = re.sub(r"[\s.\-]", "", raw)
    if not digits.isdigit() or len(digits) != 10:
        raise DomainError("valid.business_number_format")
    if not business_number_ok(digits):
        raise DomainError("valid.business_number_check")
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


# --- 휴대전화 ----------------------------------------------------------------------------------
def mobile(text: str | None) -> str:
    """A Korean mobile number, normalised to 010-XXXX-XXXX (also from +82 10 …)."""
    raw = clean_text(text, max_length=MAX_INPUT)
    try:
        number = phonenumbers.parse(raw, "KR")
    except phonenumbers.NumberParseException:
        raise DomainError("valid.phone") from None
    national = str(number.national_number)
    if (
        number.country_code != 82
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
        or not (national.startswith("10") and len(national) == 10)
    ):
        raise DomainError("valid.phone")
    return f"010-{national[2:6]}-{national[6:]}"


# --- Dates -------------------------------------------------------------------------------------
_ISO = re.compile(r"^(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\.?$")
_SHORT = re.compile(r"^(\d{1,2})\s*[-./]\s*(\d{1,2})\.?$")
_KOREAN = re.compile(
    rf"^(?:(\d{{4}})\s*{ko.YEAR_MARK}\s*)?(\d{{1,2}})\s*{ko.MONTH_MARK}\s*(\d{{1,2}})\s*{ko.DAY_MARK}?$"
)


def _closest_year(month: int, day: int, today: date) -> date:
    """A month and day without a year: the date nearest to today (so 1/15 typed in December is
    next January, 8/30 typed in September is this year's, already past)."""
    options = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    if not options:
        raise DomainError("valid.date")
    return min(options, key=lambda d: (abs((d - today).days), d))


def parse_date(
    text: str | None, *, today: date, allow_past: bool = True, allow_future: bool = True
) -> date:
    """'9/5', '9.5', '9월 5일', '2026-09-05', '2026년 9월 5일', '오늘', '내일'."""
    raw = clean_text(text, max_length=MAX_INPUT)
    compact = raw.replace(" ", "")
    found: date | None = None
    if compact in ko.TODAY_WORDS:
        found = today
    elif compact in ko.TOMORROW_WORDS:
        found = today + timedelta(days=1)
    else:
        try:
            if m := _ISO.match(raw):
                found = date(int(m[1]), int(m[2]), int(m[3]))
            elif m := _KOREAN.match(raw):
                if m[1]:
                    found = date(int(m[1]), int(m[2]), int(m[3]))
                else:
                    found = _closest_year(int(m[2]), int(m[3]), today)
            elif m := _SHORT.match(raw):
                found = _closest_year(int(m[1]), int(m[2]), today)
        except ValueError:
            raise DomainError("valid.date") from None
    if found is None:
        raise DomainError("valid.date")
    if found < today and not allow_past:
        raise DomainError("valid.date_past", date=found.isoformat(), today=today.isoformat())
    if found > today and not allow_future:
        raise DomainError("valid.date_future", date=found.isoformat(), today=today.isoformat())
    if abs(found.year - today.year) > 5:
        raise DomainError("valid.date")
    return found


# --- Money -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Money:
    amount: int
    period: str | None  # "hourly" | "monthly" | None when the text did not say


_NUMBER_TOKEN = re.compile(
    r"(\d+(?:\.\d+)?)|([" + "".join(ko.SINO_DIGITS) + "])|([" + "".join(ko.SMALL_UNITS)
    + "])|([" + "".join(ko.BIG_UNITS) + "])"
)


def korean_number(text: str) -> float:
    """A number as people type it: '12,000', '１２０００', '1만 2천', '1.2만', '만이천', '삼만',
    '2백만', '이십'. Spaces and commas are ignored; ValueError when it is not one number."""
    compact = re.sub(r"[\s,]", "", text)
    if not compact:
        raise ValueError(text)
    total, section, number = 0.0, 0.0, None
    last_small = last_big = math.inf
    position = 0
    while position < len(compact):
        m = _NUMBER_TOKEN.match(compact, position)
        if m is None:
            raise ValueError(text)
        position = m.end()
        if m[1] is not None or m[2] is not None:
            if number is not None:  # "1이", two numbers in a row
                raise ValueError(text)
            number = float(m[1]) if m[1] is not None else float(ko.SINO_DIGITS[m[2]])
        elif m[3] is not None:
            unit = ko.SMALL_UNITS[m[3]]
            if unit >= last_small:  # "천천", "백천"
                raise ValueError(text)
            section += (1 if number is None else number) * unit
            number, last_small = None, unit
        else:
            unit = ko.BIG_UNITS[m[4]]
            if unit >= last_big:  # "1만만"
                raise ValueError(text)
            section += number or 0
            total += (section or 1) * unit
            section, number, last_small, last_big = 0.0, None, math.inf, unit
    total += section + (number or 0)
    if not math.isfinite(total):
        raise ValueError(text)
    return total


def parse_money(text: str | None, *, low: int = 1, high: int = 100_000_000) -> Money:
    """'12,000', '1만 2천원', '1.2만원', '월 180만원', '시급 10,320원' → won."""
    raw = clean_text(text, max_length=MAX_INPUT)
    compact = re.sub(r"[\s,]", "", raw)
    period = None
    for word in ko.HOURLY_WORDS:
        if compact.startswith(word):
            period, compact = "hourly", compact[len(word):]
            break
    else:
        for word in ko.MONTHLY_WORDS:
            if compact.startswith(word):
                period, compact = "monthly", compact[len(word):]
                break
    for won in ko.WON:
        compact = compact.removesuffix(won)
    try:
        total = korean_number(compact)
    except ValueError:
        raise DomainError("valid.money") from None
    amount = round(total)
    if abs(total - amount) > 1e-6 or not low <= amount <= high:
        raise DomainError("valid.money")
    return Money(amount, period)


# --- Hours -------------------------------------------------------------------------------------
_TIME = (
    rf"(?:({'|'.join(ko.AM_WORDS + ko.PM_WORDS)})\s*)?(\d{{1,2}})"
    rf"(?:\s*:\s*(\d{{2}})|\s*{ko.HOUR_MARK}(?:\s*(\d{{1,2}})\s*{ko.MINUTE_MARK})?)?"
)
_RANGE = re.compile(rf"^{_TIME}\s*[-~\u2013\u2014]\s*{_TIME}$")


def _minutes(half: str | None, hour: str, minute: str | None, minute2: str | None) -> int:
    h, m = int(hour), int(minute or minute2 or 0)
    if half in ko.PM_WORDS and h < 12:
        h += 12
    if h > 24 or m > 59 or (h == 24 and m):
        raise DomainError("valid.hour_range")
    return h * 60 + m


def parse_hour_range(text: str | None) -> tuple[int, int]:
    """'10:00-15:00', '10-15', '10시~15시', '10시~3시', '오전 10시 - 오후 3시' → minutes since
    midnight."""
    raw = clean_text(text, max_length=MAX_INPUT)
    m = _RANGE.match(raw)
    if not m:
        raise DomainError("valid.hour_range")
    start = _minutes(m[1], m[2], m[3], m[4])
    end = _minutes(m[5], m[6], m[7], m[8])
    if end <= start and m[5] is None and m[7] is None and end < 12 * 60:
        # '10시~3시': an end hour (not a 24-hour '10:00') below the start and under 12 is afternoon
        end += 12 * 60
    if end <= start:
        raise DomainError("valid.hour_range_order")
    return start, end


def format_hour_range(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def hour_range_text(text: str | None) -> str:
    """A typed range, validated and written the one way: '10:00-15:00'."""
    return format_hour_range(*parse_hour_range(text))


def read_hour_range(value: str) -> tuple[int, int] | None:
    """A stored '10:00-15:00' back to minutes; None when empty or not a range."""
    try:
        return parse_hour_range(value) if value else None
    except DomainError:
        return None


def _number(text: str, prefixes: tuple[str, ...], suffixes: tuple[str, ...]) -> float:
    compact = re.sub(r"[\s,]", "", text)
    for word in sorted(prefixes, key=len, reverse=True):
        if compact.startswith(word):
            compact = compact[len(word):]
            break
    for word in sorted(suffixes, key=len, reverse=True):
        if compact.endswith(word):
            compact = compact[: -len(word)]
            break
    if not re.fullmatch(r"\d+(?:\.\d+)?", compact):
        raise ValueError(text)
    return float(compact)


def parse_weekly_hours(text: str | None) -> float:
    """'20', '주 20시간', '22.5시간' → hours per week (more than 0, at most 52)."""
    raw = clean_text(text, max_length=MAX_INPUT)
    try:
        hours = _number(raw, ko.WEEK_WORDS, ko.HOURS_WORDS)
    except ValueError:
        raise DomainError("valid.weekly_hours") from None
    if not 0 < hours <= 52:
        raise DomainError("valid.weekly_hours")
    return hours


def native_number(text: str) -> int:
    """'두', '세', '열', '열두', '스물다섯' (native Korean, 1-59) → the number, else ValueError."""
    tens = 0
    for word, value in sorted(ko.NATIVE_TENS.items(), key=lambda kv: -len(kv[0])):
        if text.startswith(word):
            tens, text = value, text[len(word):]
            break
    units = ko.NATIVE_UNITS.get(text, 0) if text else 0
    if (text and not units) or not tens + units:
        raise ValueError(text)
    return tens + units


def count_value(text: str, words: tuple[str, ...] = ko.COUNT_WORDS) -> float:
    """A count with an optional counting word: '5명', '3건', '1만', '이십', '두 명', '열 명';
    ValueError if none."""
    compact = re.sub(r"[\s,]", "", text)
    for word in sorted(words, key=len, reverse=True):
        if compact.endswith(word):
            compact = compact[: -len(word)]
            break
    try:
        return korean_number(compact)
    except ValueError:
        return float(native_number(compact))


def parse_count(text: str | None, *, low: int = 1, high: int = 999) -> int:
    """'3', '3명', '삼', '세 명', '열두 명' → a whole number within bounds."""
    raw = clean_text(text, max_length=MAX_INPUT)
    try:
        value = count_value(raw, (ko.PEOPLE_MARK,))
    except ValueError:
        raise DomainError("valid.count", low=low, high=high) from None
    if value != int(value) or not low <= value <= high:
        raise DomainError("valid.count", low=low, high=high)
    return int(value)


def parse_birth_year(text: str | None, *, today: date) -> int:
    """'1985', '85', '85년생' → a birth year for someone aged 15 to 90."""
    raw = clean_text(text, max_length=MAX_INPUT)
    high, low = today.year - 15, today.year - 90
    try:
        value = _number(raw, (), ko.BORN_WORDS)
    except ValueError:
        raise DomainError("valid.birth_year", low=low, high=high) from None
    year = int(value)
    if value != year:
        raise DomainError("valid.birth_year", low=low, high=high)
    if year < 100:
        year += 1900 if year > today.year % 100 else 2000
    if not low <= year <= high:
        raise DomainError("valid.birth_year", low=low, high=high)
    return year


def parse_years(text: str | None) -> float:
    """How long: '3', '3년', '1.5년', '6개월' → years (0 to 50)."""
    raw = clean_text(text, max_length=MAX_INPUT)
    try:
        compact = raw.replace(" ", "")
        if any(compact.endswith(w) for w in ko.MONTHS_WORDS):
            value = round(_number(compact, (), ko.MONTHS_WORDS) / 12, 1)
        else:
            value = _number(compact, (), ko.YEARS_WORDS)
    except ValueError:
        raise DomainError("valid.years") from None
    if not 0 <= value <= 50:
        raise DomainError("valid.years")
    return value


# --- 시간선택제 rules --------------------------------------------------------------------------
MIN_WEEKLY_HOURS = 15
MAX_WEEKLY_HOURS = 30
WAGE_RATIO = 1.30
WAGE_RATIO_SMALL_FIRM = 1.20
FULL_TIME_WEEKLY_HOURS = 40
STATUTORY_MONTH_HOURS = 209


@dataclass(frozen=True)
class RuleViolation:
    code: str  # stored in rule_flags: "weekly_hours" | "wage"
    key: str  # the explanation in the catalogues
    values: dict[str, Any] = field(default_factory=dict)


def minimum_wage_for(year: int, table: dict[int, int]) -> int | None:
    """The minimum hourly wage of a year (the newest known year before it if missing)."""
    known = [y for y in table if y <= year]
    if known:
        return table[max(known)]
    return table[min(table)] if table else None


def hourly_equivalent(*, wage_type: str, amount: int, weekly_hours: float | None) -> float:
    """A wage as won per hour.

    A monthly wage is divided by the paid hours of its month. The statutory full-time month is
    209 hours (40 h/week plus paid weekly rest, × 365/7/12); a part-time month is that scaled to
    the weekly hours:  hourly = monthly ÷ (209 × weekly_hours ÷ 40).
    Without weekly hours a monthly wage is read as full-time (209 hours).
    """
    if wage_type != "monthly":
        return float(amount)
    hours = weekly_hours if weekly_hours and weekly_hours > 0 else FULL_TIME_WEEKLY_HOURS
    return amount / (STATUTORY_MONTH_HOURS * hours / FULL_TIME_WEEKLY_HOURS)


def check_part_time_rules(
    *,
    weekly_hours: float | None,
    wage_type: str,
    wage_amount: int | None,
    small_firm: bool,
    year: int,
    minimum_wage: dict[int, int],
) -> list[RuleViolation]:
    """The 시간선택제 rules an opening breaks: 주 15–30시간, wage ≥ 130% (120% small firms)."""
    found: list[RuleViolation] = []
    if weekly_hours is not None and not MIN_WEEKLY_HOURS <= weekly_hours <= MAX_WEEKLY_HOURS:
        found.append(
            RuleViolation(
                "weekly_hours",
                "rule.weekly_hours",
                {"hours": _num(weekly_hours), "low": MIN_WEEKLY_HOURS, "high": MAX_WEEKLY_HOURS},
            )
        )
    base = minimum_wage_for(year, minimum_wage)
    if wage_amount is not None and base is not None:
        ratio = WAGE_RATIO_SMALL_FIRM if small_firm else WAGE_RATIO
        floor = math.ceil(base * ratio)
        hourly = hourly_equivalent(
            wage_type=wage_type, amount=wage_amount, weekly_hours=weekly_hours
        )
        if hourly + 1e-9 < floor:
            found.append(
                RuleViolation(
                    "wage",
                    "rule.wage",
                    {
                        "hourly": f"{math.floor(hourly):,}",
                        "floor": f"{floor:,}",
                        "percent": round(ratio * 100),
                        "year": year,
                        "minimum": f"{base:,}",
                    },
                )
            )
    return found


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
