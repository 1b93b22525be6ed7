"""The Korean words people type into amounts, dates and hours: input grammar, not UI text.

Kept apart (listed as a data module in tests/test_catalogues.py) so that the rule "no Korean
string constants in code" still holds for everything shown to users.
"""

from __future__ import annotations

# Money: 1만 2천원, 1.2만원, 월 180만원, 시급 12,000원, 만이천원, 2백만원
MONEY_UNITS = {"만": 10_000, "천": 1_000, "백": 100}
# Numbers in words and units: 삼만, 만이천, 이십, 1억 (see validation.korean_number)
SINO_DIGITS = {"영": 0, "공": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7,
               "팔": 8, "구": 9}
SMALL_UNITS = {"십": 10, "백": 100, "천": 1_000}
BIG_UNITS = {"만": 10_000, "억": 100_000_000}
# Native Korean numbers people say with a counter: 두 명, 세 명, 열 명, 열두 명, 스물다섯 명
NATIVE_TENS = {"열": 10, "스물": 20, "스무": 20, "서른": 30, "마흔": 40, "쉰": 50}
NATIVE_UNITS = {"한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "석": 3, "네": 4, "넷": 4,
                "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9}
# Counts in a report or a target: 5명, 3건, 2곳
COUNT_WORDS = ("개소", "명", "건", "개", "회", "곳", "번")
WON = ("원",)
MONTHLY_WORDS = ("월급", "월")
HOURLY_WORDS = ("시급", "시간당")
# Dates: 9월 5일, 2026년 9월 5일, 오늘, 내일
YEAR_MARK = "년"
MONTH_MARK = "월"
DAY_MARK = "일"
TODAY_WORDS = ("오늘",)
TOMORROW_WORDS = ("내일",)
# Hours: 10시-15시, 10시 30분, 주 20시간, 오전/오후
HOUR_MARK = "시"
MINUTE_MARK = "분"
HOURS_WORDS = ("시간",)
WEEK_WORDS = ("주당", "주", "매주")
AM_WORDS = ("오전",)
PM_WORDS = ("오후",)
# Counts and durations: 3명, 1.5년, 6개월, 85년생
PEOPLE_MARK = "명"
YEARS_WORDS = ("년", "년간")
MONTHS_WORDS = ("개월",)
BORN_WORDS = ("년생", "생", "년")
# Typed answers to a button question (services.forms.typed_choice): short forms of the labels.
# A region named without its suffix: 천안 for 천안시, 예산 for 예산군.
REGION_SUFFIXES = ("시", "군", "구")
# Words that stand for a choice's value, whatever its label says.
CHOICE_ALIASES = {
    "yes": ("예", "네", "넵", "응", "맞아요", "맞음", "그래요", "yes", "y"),
    "no": ("아니요", "아니오", "아뇨", "아니", "아니에요", "no", "n"),
    "any": ("상관없음", "상관없어요", "무관", "아무때나", "언제나", "any"),
}
# Words that answer an optional question with nothing (as the 건너뛰기 button does).
SKIP_WORDS = ("건너뛰기", "건너뛸게요", "넘어가기", "패스", "모름", "몰라요", "모르겠어요",
              "없음", "없어요", "skip", "-")
