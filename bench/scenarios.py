"""What simulated staff do, as scenarios the load generator plays step by step.

A scenario is a generator function ``scenario(user)``: it yields `Step`s (what the user sends and
a predicate the bot's reply must satisfy) and receives the bot's reply (the message dict as the
fake server stored it, edits carry ``"_edited": True``) from ``yield``::

    def switch_language(user: SimUser) -> Scenario:
        menu = yield Step(Text("/language"), has_button("lang:en"))
        yield Step(Press(menu, "lang:en"), edited)

Every step sends one update, which is one database write on the bot's side (the draft or the
record, and the conversation state in the persistence tables). `ITDA_SCENARIOS` is the mix the
benchmark plays: staff join by invite, then walk the forms of their agency's kind
(`FORM_SCENARIOS`): employer associations register openings with /opening, 새일센터 register
seekers with /seeker (consent first), every walk ending with 저장.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
Predicate = Callable[[JSON], bool]


@dataclass
class SimUser:
    """One simulated member of staff: a Telegram account and what the scenarios need."""

    user_id: int
    name: str
    invite_code: str | None = None
    agency_kind: str = ""  # the kind of agency the invite (or membership) is for
    joined: bool = False
    language: str = "ko"
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Text:
    """The user types (or taps a command): ``text`` in their private chat."""

    text: str


@dataclass(frozen=True)
class Press:
    """The user taps the button with callback data ``data`` on ``message``."""

    message: JSON
    data: str


@dataclass(frozen=True)
class Step:
    action: Text | Press
    expect: Predicate
    label: str = ""


Scenario = Generator[Step, JSON, None]
ScenarioFactory = Callable[[SimUser], Scenario]


# --- predicates ------------------------------------------------------------------------------
def buttons_of(message: JSON) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [
        button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]


def has_button(data: str) -> Predicate:
    return lambda message: data in buttons_of(message)


def has_button_prefix(prefix: str) -> Predicate:
    return lambda message: any(d.startswith(prefix) for d in buttons_of(message))


def edited(message: JSON) -> bool:
    return bool(message.get("_edited"))


def edited_without_buttons(message: JSON) -> bool:
    return bool(message.get("_edited")) and not buttons_of(message)


def echoes(text: str) -> Predicate:
    return lambda message: message.get("text") == text


# --- scenarios ---------------------------------------------------------------------------------
def join_by_invite(user: SimUser) -> Scenario:
    """/start with the invite code, confirm the name: the member is stored, the invite used."""
    assert user.invite_code is not None
    confirm = yield Step(Text(f"/start {user.invite_code}"), has_button("onb:yes"), "start")
    yield Step(Press(confirm, "onb:yes"), edited_without_buttons, "join")
    user.joined = True


def switch_language(user: SimUser) -> Scenario:
    """/language, tap the other language: the member's language is stored."""
    other = "en" if user.language == "ko" else "ko"
    menu = yield Step(Text("/language"), has_button(f"lang:{other}"), "language")
    yield Step(Press(menu, f"lang:{other}"), edited_without_buttons, "language_set")
    user.language = other


def create_invite(user: SimUser) -> Scenario:
    """A coordinator's /invite: agency, role, the invite is stored with its audit entry."""
    menu = yield Step(Text("/invite"), has_button_prefix("inv:ag:"), "invite")
    agencies = [d for d in buttons_of(menu) if d.startswith("inv:ag:")]
    pick = agencies[user.state.setdefault("invites", 0) % len(agencies)]
    user.state["invites"] += 1
    roles = yield Step(Press(menu, pick), has_button("inv:role:staff"), "invite_agency")
    yield Step(Press(roles, "inv:role:staff"), edited_without_buttons, "invite_role")


def echo(user: SimUser) -> Scenario:
    """The echo bot's scenario: a text and the same text back."""
    text = f"echo {user.user_id} {user.state.setdefault('n', 0)}"
    user.state["n"] += 1
    yield Step(Text(text), echoes(text), "echo")


# --- the record forms ----------------------------------------------------------------------------
# A form answer: typed text, the n-th choice button of the question, or 건너뛰기.
Answer = tuple[str, Any]
PHONES = itertools.count(20_000_000)  # 010-2000-0000 onwards: a new number for every seeker
REGION_COUNT = 15  # the 시군 of council.toml, in its order


def asks(n: int, total: int) -> Predicate:
    """The form's question number n of total ("[n/total]" heads every question)."""
    marker = f"[{n}/{total}]"
    return lambda message: marker in (message.get("text") or "")


def walk_form(user: SimUser, prefix: str, first: JSON, answers: list[Answer],
              label: str) -> Scenario:
    """Answer every question of a form shown in `first`, check the summary, then 저장."""
    total = len(answers)
    message = first
    for index, (kind, value) in enumerate(answers):
        if index + 1 < total:
            expect = asks(index + 2, total)
        else:
            expect = has_button(f"{prefix}:save")
        if kind == "text":
            action: Text | Press = Text(str(value))
        elif kind == "skip":
            action = Press(message, f"{prefix}:skip:{index}")
        else:
            action = Press(message, f"{prefix}:c:{index}:{value}")
        message = yield Step(action, expect, f"{label}_field")
    yield Step(Press(message, f"{prefix}:save"), edited_without_buttons, f"{label}_saved")


def opening_answers(user: SimUser, number: int) -> list[Answer]:
    """The 17 questions of /opening, as an employer association's staff answers them."""
    return [
        ("text", f"벤치제과 {user.user_id}-{number}"),  # company
        ("skip", None),  # business number (optional)
        ("text", "제조업"),
        ("text", "포장·사무보조"),
        ("text", "제품 포장과 주문 정리"),
        ("choice", (user.user_id + number) % REGION_COUNT),  # 시군
        ("choice", 0),  # 정규직 시간선택제
        ("text", "20"),
        ("text", "월~금"),
        ("text", "10:00-15:00"),
        ("choice", 0),  # 시급
        ("text", "13,500"),
        ("text", "2"),
        ("choice", 0),  # small firm: yes
        ("choice", 0),  # subsidy approved: yes
        ("text", "내일"),  # deadline
        ("text", "인사팀 041-555-1234"),
    ]


def register_opening(user: SimUser) -> Scenario:
    """/opening, all 17 questions, the summary, 저장: one opening stored (and 새일센터 told)."""
    number = user.state.setdefault("openings", 0)
    user.state["openings"] += 1
    answers = opening_answers(user, number)
    first = yield Step(Text("/opening"), asks(1, len(answers)), "opening")
    yield from walk_form(user, "op", first, answers, "opening")


def seeker_answers(user: SimUser) -> list[Answer]:
    """The 12 questions of /seeker; the phone number is new every time (duplicates refused)."""
    phone = next(PHONES)
    return [
        ("text", user.name),  # a Hangul name like the seekers' (never logged)
        ("text", f"010-{phone // 10000:04d}-{phone % 10000:04d}"),
        ("text", "1984"),
        ("choice", user.user_id % REGION_COUNT),  # 시군
        ("text", "사무보조, 포장"),
        ("text", "20"),
        ("choice", 0),  # 오전
        ("text", "12,000"),
        ("choice", 2),  # 육아
        ("text", "3"),
        ("choice", 0),  # consents to sharing: yes
        ("skip", None),  # note
    ]


def register_seeker(user: SimUser) -> Scenario:
    """/seeker, 동의 (제15조), 12 questions, the summary, 저장: one encrypted seeker stored."""
    answers = seeker_answers(user)
    consent = yield Step(Text("/seeker"), has_button("sk:agree"), "seeker")
    first = yield Step(Press(consent, "sk:agree"), asks(1, len(answers)), "seeker_consent")
    yield from walk_form(user, "sk", first, answers, "seeker")


# Each form with the kinds of agency whose staff walk it (services.access decides who may).
FORM_SCENARIOS: list[tuple[ScenarioFactory, frozenset[str]]] = [
    (register_opening, frozenset({"employer_association"})),
    (register_seeker, frozenset({"saeil_center"})),
]
# The kinds of agency the benchmark's staff are invited to, in turn.
STAFF_KINDS = ("employer_association", "saeil_center")


def staff_session(user: SimUser) -> Scenario:
    """What one member of staff does next: join first, then work in their agency's forms
    (the language switch for anyone whose agency has no form)."""
    if not user.joined:
        yield from join_by_invite(user)
        return
    forms = [f for f, kinds in FORM_SCENARIOS if user.agency_kind in kinds] or [switch_language]
    turn = user.state.setdefault("turn", 0)
    user.state["turn"] += 1
    yield from forms[turn % len(forms)](user)


def is_notification(call_params: JSON) -> bool:
    """A message the bot sends on its own to another member (a new opening for the 새일센터),
    not a reply to the update in hand: the load generator does not count it as one."""
    markup = call_params.get("reply_markup")
    return isinstance(markup, dict | str) and "match:o:" in str(markup)


ITDA_SCENARIOS: list[ScenarioFactory] = [staff_session]
LEAD_SCENARIOS: list[ScenarioFactory] = [create_invite]
ECHO_SCENARIOS: list[ScenarioFactory] = [echo]
