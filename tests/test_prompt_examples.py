"""Every example a form's question gives is itself accepted by that field (services' parsers)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from core.errors import DomainError
from locales import catalogue
from services import validation as v
from services.forms import FieldSpec, ParseEnv
from services.openings import OPENING_FIELDS
from services.seekers import SEEKER_FIELDS

EXAMPLE = re.compile(r"예:\s*([^()]+)")


def examples(spec: FieldSpec) -> list[str]:
    """The examples after '예:' in the Korean question (split at ' / ' and ', ')."""
    found = EXAMPLE.search(catalogue("ko")[spec.prompt_key])
    if not found:
        return []
    text = found.group(1).strip().rstrip(".")
    return [part.strip() for part in re.split(r"\s/\s|,\s", text) if part.strip()]


CASES = [
    pytest.param(spec, example, id=f"{spec.key}:{example}")
    for spec in (*OPENING_FIELDS, *SEEKER_FIELDS)
    if spec.parse is not None
    for example in examples(spec)
]


def test_the_forms_give_examples() -> None:
    keys = {case.values[0].key for case in CASES}  # type: ignore[union-attr]
    assert {"business_number", "work_time", "weekly_hours", "phone"} <= keys


@pytest.mark.parametrize(("spec", "example"), CASES)
def test_every_example_in_a_question_is_accepted(spec: FieldSpec, example: str) -> None:
    env = ParseEnv(today=date(2026, 9, 1), draft={"wage_type": "hourly", "employment_type":
                                                   "part_time"})
    try:
        spec.parse(example, env)  # type: ignore[misc]
    except DomainError as error:
        pytest.fail(f"{spec.prompt_key}: the example {example!r} is refused ({error.key})")


@pytest.mark.parametrize(
    ("typed", "count"),
    [("두 명", 2), ("세 명", 3), ("열 명", 10), ("열두 명", 12), ("스물다섯명", 25), ("한명", 1),
     ("3명", 3), ("삼", 3)],
)
def test_counts_in_native_korean_words(typed: str, count: int) -> None:
    assert v.parse_count(typed) == count


@pytest.mark.parametrize("typed", ["두두 명", "열열", "명", "셋넷"])
def test_words_that_are_not_a_count_are_refused(typed: str) -> None:
    with pytest.raises(DomainError):
        v.parse_count(typed)


def test_an_end_hour_below_the_start_and_under_12_is_afternoon() -> None:
    assert v.parse_hour_range("10시~3시") == (10 * 60, 15 * 60)
    assert v.hour_range_text("9-1") == "09:00-13:00"
    assert v.hour_range_text("10:00-15:00") == "10:00-15:00"
    with pytest.raises(DomainError):
        v.parse_hour_range("오후 3시~오후 2시")  # said so: not read as the next afternoon
