import pytest

from locales import translate
from locales.particles import attach, particle


@pytest.mark.parametrize(
    ("word", "pair", "expected"),
    [
        ("천안", "이/가", "천안이"),  # 받침 ㄴ
        ("아산시", "이/가", "아산시가"),  # no 받침
        ("보령", "을/를", "보령을"),
        ("센터", "을/를", "센터를"),
        ("홍길동", "은/는", "홍길동은"),
        ("이수진", "은/는", "이수진은"),
        ("사업장", "와/과", "사업장과"),
        ("회사", "와/과", "회사와"),
        ("천안", "(으)로", "천안으로"),
        ("서울", "(으)로", "서울로"),  # ㄹ counts as no 받침 for (으)로
        ("서울", "이/가", "서울이"),  # ... but not for 이/가
        ("부여", "(으)로", "부여로"),
        ("3", "을/를", "3을"),  # 삼
        ("2", "을/를", "2를"),  # 이
        ("1", "(으)로", "1로"),  # 일: ㄹ
        ("6", "(으)로", "6으로"),  # 육
        ("10", "은/는", "10은"),  # 십
        ("100", "이/가", "100이"),  # 백
        ("1000", "이/가", "1000이"),  # 천
        ("2026", "은/는", "2026은"),  # 육
        ("URL", "이/가", "URL이"),  # 엘
        ("SMS", "을/를", "SMS를"),  # 에스
        ("team", "은/는", "team은"),
        ("센터(천안)", "은/는", "센터(천안)은"),  # brackets are skipped
    ],
)
def test_attach(word: str, pair: str, expected: str) -> None:
    assert attach(word, pair) == expected


def test_unknown_reading_shows_both_forms() -> None:
    assert particle("😀", "이/가") == "이/가"


def test_particle_in_a_catalogue_message() -> None:
    assert translate("ko", "members.deactivated", name="홍길동").startswith("홍길동을 ")
    assert translate("ko", "members.deactivated", name="이수지").startswith("이수지를 ")
    assert translate("en", "members.deactivated", name="Kim").startswith("Kim has")
