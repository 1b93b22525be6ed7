"""Every callback_data fits Telegram's 64 UTF-8 bytes, whatever Hangul goes into it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.common import MAX_CALLBACK_BYTES, callback_data, keyboard

HANGUL = st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), max_size=40)
ANY = st.one_of(HANGUL, st.text(max_size=40), st.integers(-(10**12), 10**12))


@settings(max_examples=50, deadline=None)
@given(feature=st.sampled_from(["opening", "seeker", "mtg", "inv", "mem"]),
       parts=st.lists(ANY, min_size=1, max_size=4), label=HANGUL)
def test_callback_data_always_fits_and_stays_valid_utf8(
    feature: str, parts: list[object], label: str
) -> None:
    data = callback_data(feature, *parts)
    raw = data.encode("utf-8")
    assert 0 < len(raw) <= MAX_CALLBACK_BYTES
    assert raw.decode("utf-8") == data  # never cut inside a character
    assert data.startswith(feature)
    markup = keyboard([[(label or "가", data)]])
    button = markup.inline_keyboard[0][0]
    assert button.callback_data == data


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
               min_size=20, max_size=60))
def test_keyboard_refuses_oversized_data(text: str) -> None:
    with pytest.raises(ValueError):
        keyboard([[("버튼", "x:" + text + "가나")]])
