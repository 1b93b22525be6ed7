"""What simulated staff do, as scenarios the load generator plays step by step.

A scenario is a generator function ``scenario(user)``: it yields `Step`s (what the user sends and
a predicate the bot's reply must satisfy) and receives the bot's reply (the message dict as the
fake server stored it, edits carry ``"_edited": True``) from ``yield``::

    def switch_language(user: SimUser) -> Scenario:
        menu = yield Step(Text("/language"), has_button("lang:en"))
        yield Step(Press(menu, "lang:en"), edited)

Every step sends one update, which is one database write on the bot's side (the draft or the
record, and the conversation state in the persistence tables). `ITDA_SCENARIOS` is the mix the
benchmark plays; the openings and seekers forms of issue #3 are added to it as scenarios too
(see `FORM_SCENARIOS` below).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
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


# The openings and seekers forms (issue #3) go here, e.g. ``openings.register_opening``.
FORM_SCENARIOS: list[ScenarioFactory] = []


def staff_session(user: SimUser) -> Scenario:
    """What one member of staff does next: join first, then work in the forms."""
    if not user.joined:
        yield from join_by_invite(user)
        return
    forms: Sequence[ScenarioFactory] = FORM_SCENARIOS or [switch_language]
    turn = user.state.setdefault("turn", 0)
    user.state["turn"] += 1
    yield from forms[turn % len(forms)](user)


ITDA_SCENARIOS: list[ScenarioFactory] = [staff_session]
LEAD_SCENARIOS: list[ScenarioFactory] = [create_invite]
ECHO_SCENARIOS: list[ScenarioFactory] = [echo]
