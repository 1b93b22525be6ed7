"""Walking the record forms in a few lines: text answers and button taps ("@label")."""

from __future__ import annotations

from typing import Any

from tests.harness import BotHarness

EMPLOYER_OPENING = [
    "행복제과", "@건너뛰기", "제조업", "포장·사무보조", "제품 포장과 주문 정리", "@천안시",
    "@정규직", "20", "월~금", "10:00-15:00", "@시급", "13,500", "2", "@예", "@예",
    "9/30", "인사팀 041-555-1234",
]
SEEKER_FORM = [
    "홍길동", "010-1234-5678", "1984", "@천안시", "사무보조, 포장", "20", "@오전",
    "12,000", "@육아", "3", "@예", "@건너뛰기",
]


async def walk(h: BotHarness, user: int, message: dict[str, Any], steps: list[str]
               ) -> dict[str, Any]:
    """Answer each step: "@label" taps a button of the last message, anything else is typed."""
    for step in steps:
        if step.startswith("@"):
            message = await h.press(user, message, step[1:])
        else:
            message = await h.send(user, step)
    return message


async def start_opening(h: BotHarness, user: int) -> dict[str, Any]:
    intro = await h.send(user, "/opening")
    assert "/cancel" in intro["text"], intro["text"]
    return await h.expect(user)


async def start_seeker(h: BotHarness, user: int) -> dict[str, Any]:
    consent = await h.send(user, "/seeker")
    assert "제15조" in consent["text"]
    agreed = await h.press(user, consent, "동의")
    assert "동의를 기록" in agreed["text"]
    return await h.expect(user)
