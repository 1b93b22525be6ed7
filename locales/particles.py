"""Korean particles (조사) chosen by the final consonant (받침) of the word before them.

Hand-written because no maintained library on PyPI covers this small rule: the last syllable of
a Hangul word decides by `(ord(ch) - 0xAC00) % 28`; digits and Latin letters are read aloud in
Korean (1 일, 2 이, 3 삼, ..., L 엘, M 엠, N 엔, R 알) and decided by that reading. (으)로 treats
ㄹ as no final consonant (서울로, 천안으로).
"""

from __future__ import annotations

HANGUL_FIRST = 0xAC00
HANGUL_LAST = 0xD7A3
RIEUL = 8  # index of ㄹ among the 28 finals

# Final consonant of each digit read in Sino-Korean: 영 일 이 삼 사 오 육 칠 팔 구.
_DIGIT_FINAL = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
# Place values that end a number read aloud: 십 백 천 만 (for 10, 100, 1000, 10000).
_TENS_FINAL = {1: 17, 2: 1, 3: 4, 4: 4}
# Latin letters as read in Korean; only these end with a final consonant.
_LATIN_FINAL = {"l": 8, "m": 16, "n": 4, "r": 8}
# Common English word endings read with a final consonant (e.g. "job" 잡, "team" 팀).
_LATIN_ENDING_FINAL = {"b", "c", "d", "g", "k", "l", "m", "n", "p", "t"}

PAIRS: dict[str, tuple[str, str]] = {
    # pair: (after a final consonant, after a vowel)
    "이/가": ("이", "가"),
    "을/를": ("을", "를"),
    "은/는": ("은", "는"),
    "과/와": ("과", "와"),
    "와/과": ("과", "와"),
    "으로/로": ("으로", "로"),
    "(으)로": ("으로", "로"),
    "이에요/예요": ("이에요", "예요"),
    "이나/나": ("이나", "나"),
    "아/야": ("아", "야"),
}


def _number_final(digits: str) -> int:
    stripped = digits.lstrip("0") or "0"
    last = stripped[-1]
    if last != "0":
        return _DIGIT_FINAL[last]
    zeros = len(stripped) - len(stripped.rstrip("0"))
    if stripped == "0":
        return _DIGIT_FINAL["0"]
    return _TENS_FINAL.get(zeros, 4)  # 만/억 and up: 만 has ㄴ; 억 has ㄱ but keep it simple


def final_consonant(word: str) -> int | None:
    """Index of the final consonant of the word as read aloud (0 = none); None if unknown."""
    text = word.rstrip()
    # Ignore trailing punctuation and brackets: "센터(천안)" is decided by its last letter.
    while text and not (text[-1].isalnum()):
        text = text[:-1]
    if not text:
        return None
    ch = text[-1]
    code = ord(ch)
    if HANGUL_FIRST <= code <= HANGUL_LAST:
        return (code - HANGUL_FIRST) % 28
    if ch.isdigit() and ch.isascii():
        i = len(text)
        while i > 0 and text[i - 1].isdigit() and text[i - 1].isascii():
            i -= 1
        return _number_final(text[i:])
    if ch.isascii() and ch.isalpha():
        lower = text.lower()
        # A single letter or an all-caps acronym is read letter by letter.
        tail = text.split()[-1] if text.split() else text
        if len(tail) == 1 or tail.isupper():
            return _LATIN_FINAL.get(lower[-1], 0)
        return 1 if lower[-1] in _LATIN_ENDING_FINAL else 0
    return None


def particle(word: str, pair: str) -> str:
    """The particle of `pair` (like "이/가") that fits after `word`."""
    with_final, without_final = PAIRS[pair]
    final = final_consonant(word)
    if final is None:
        # Unknown reading: the conventional written fallback shows both.
        return pair if "/" in pair else with_final
    if pair in ("으로/로", "(으)로") and final == RIEUL:
        return without_final
    return with_final if final else without_final


def attach(word: str, pair: str) -> str:
    """The word followed by the particle that fits it: attach("천안", "(으)로") == "천안으로"."""
    return f"{word}{particle(word, pair)}"
