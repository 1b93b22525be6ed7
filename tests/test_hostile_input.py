"""Hostile and odd input at every step of every flow, from every role (Hypothesis).

The bot always answers, never crashes, never stores a half record and never renders user text
unescaped (the fake Bot API parses HTML like Telegram: unescaped `<` gives a 400).

Feature flows join by appending `Step`s to `STEPS` (how to reach the step, who can reach it).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.fakeapi import FakeBotAPI
from models import council as council_db
from models.tables import Invite, Member, Role
from services import membership
from services.errors import DomainError
from services.text import person_name
from tests.harness import BotHarness
from tests.test_authorization import forged_press

JSON = dict[str, Any]
ROLES = ("stranger", "staff", "coordinator", "admin")
CALLBACK_PREFIXES = (
    "onb:", "lang:", "inv:ag:", "inv:role:", "inv:rv:", "inv:cancel", "mem:ag:", "mem:off:",
    "mem:offok:", "mem:keep", "",
)
_ids = itertools.count(100_000)


# --- the flows ---------------------------------------------------------------------------------
async def _fresh_invite(h: BotHarness) -> str:
    assert h.runtime is not None
    async with h.runtime.session() as s:
        admin = (await s.exec(select(Member).where(Member.telegram_id == 1))).first()
        agency = await council_db.get_agency_by_code(session=s, code="saeil-cheonan")
        assert admin is not None and agency is not None and agency.id is not None
        invite, _ = await membership.create_invite(
            session=s, clock=h.clock, actor=membership.Actor(1, admin),
            agency_id=agency.id, role="staff", valid_days=7,
        )
    return invite.code


async def at_idle(h: BotHarness, user: int) -> JSON | None:
    return await h.send(user, "/help")


async def at_onboarding_confirm(h: BotHarness, user: int) -> JSON | None:
    await h.send(user, f"/start {await _fresh_invite(h)}")
    return await h.expect(user)


async def at_onboarding_name(h: BotHarness, user: int) -> JSON | None:
    confirm = await at_onboarding_confirm(h, user)
    assert confirm is not None
    return await h.press(user, confirm, "이름 바꾸기")


async def at_invite_agency(h: BotHarness, user: int) -> JSON | None:
    return await h.send(user, "/invite")


async def at_invite_role(h: BotHarness, user: int) -> JSON | None:
    menu = await h.send(user, "/invite")
    return await h.press(user, menu, "천안새일센터")


async def at_members(h: BotHarness, user: int) -> JSON | None:
    return await h.send(user, "/members")


async def at_language(h: BotHarness, user: int) -> JSON | None:
    return await h.send(user, "/language")


@dataclass(frozen=True)
class Step:
    name: str
    roles: tuple[str, ...]
    reach: Callable[[BotHarness, int], Awaitable[JSON | None]]


STEPS: list[Step] = [
    Step("idle", ROLES, at_idle),
    Step("onboarding.confirm_name", ("stranger",), at_onboarding_confirm),
    Step("onboarding.type_name", ("stranger",), at_onboarding_name),
    Step("invite.choose_agency", ("coordinator", "admin"), at_invite_agency),
    Step("invite.choose_role", ("coordinator", "admin"), at_invite_role),
    Step("members.menu", ("coordinator", "admin"), at_members),
    Step("language.choose", ROLES, at_language),
]
STEP_ROLES = [(step, role) for step in STEPS for role in step.roles]


# --- the inputs --------------------------------------------------------------------------------
METACHARACTERS = st.sampled_from(
    ["<b>", "</i>", "<a href='x'>", "&amp;", "&", "<", ">", "*bold*", "_it_", "`code`",
     "[link](http://x)", "\\", "'; DROP TABLE member; --", "' OR '1'='1", "%s", "{name}",
     "{0}", "\u202e", "\u200b", "\x00", "\x1b[31m", "\r\n", "\t", "😀", "１２３", "삼만원",
     "3만 5천원", "010-1234-5678", "₩12,000", "1e309", "-0", "NaN"]
)
HOSTILE_TEXT = st.one_of(
    st.text(max_size=120),
    st.lists(METACHARACTERS, min_size=1, max_size=8).map("".join),
    st.builds(lambda s, n: (s or "가") * n, st.text(max_size=5), st.integers(500, 1200)),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Lo"]),
            max_size=60),
).filter(lambda t: t.strip() != "" and not t.startswith("/"))


def _fits(data: str) -> bool:
    return 0 < len(data.encode("utf-8")) <= 64


HOSTILE_DATA = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda prefix, tail: prefix + tail,
        st.sampled_from(CALLBACK_PREFIXES),
        st.one_of(st.integers(-(10**30), 10**30).map(str), st.text(max_size=20),
                  st.sampled_from(["yes", "edit", "cancel", "ko", "en", "admin", "staff"])),
    ),
).filter(_fits)


# --- the checks --------------------------------------------------------------------------------
async def people(h: BotHarness) -> dict[str, int]:
    ids = {"stranger": next(_ids), "staff": next(_ids), "coordinator": next(_ids), "admin": 1}
    h.api.add_user(1, "관리자")
    h.api.add_user(ids["stranger"], "낯선사람")
    await h.add_member(ids["staff"], "담당자", "saeil-asan", "staff")
    await h.add_member(ids["coordinator"], "코디", "chungnam-province", "coordinator")
    if not getattr(h, "admin_joined", False):  # the admin becomes a member by writing once
        await h.send(1, "/help")
        h.admin_joined = True  # type: ignore[attr-defined]
    return ids


async def settle(h: BotHarness, user: int) -> None:
    """Close any open form and wait until every earlier update of this chat was handled."""
    h.api.send_text(user, "/cancel")
    for _ in range(10):  # one chat's updates are handled in order: the /cancel answer is last
        text = (await h.expect(user))["text"]
        if "취소" in text or "ancel" in text:
            return
    raise AssertionError("the /cancel answer never came")


async def no_harm(h: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    assert "error while handling update" not in caplog.text, caplog.text[-2000:]
    bad = [c for c in api.calls if c.response and c.response.get("error_code") == 400
           and "not modified" not in str(c.response)]
    assert not bad, f"the bot sent something Telegram refuses: {bad[-1].response}"
    assert h.runtime is not None
    async with h.runtime.session() as s:
        for member in (await s.exec(select(Member))).all():
            try:
                assert person_name(member.display_name) == member.display_name
            except DomainError:  # names from Telegram profiles are cleaned on the way in
                assert member.role == Role.ADMIN
            assert member.role in set(Role)
        for invite in (await s.exec(select(Invite))).all():
            assert invite.role in set(Role) and invite.agency_id and invite.expires_at


FAST = settings(
    max_examples=20, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FAST
@given(where=st.sampled_from(STEP_ROLES), text=HOSTILE_TEXT)
async def test_any_text_at_any_step(
    harness: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture,
    where: tuple[Step, str], text: str,
) -> None:
    caplog.set_level(logging.INFO)
    step, role = where
    user = (await people(harness))[role]
    await step.reach(harness, user)
    reply = await harness.send(user, text)  # the bot always answers in private chat
    assert reply["text"].strip()
    if len(text.strip()) >= 6 and not text.strip().isdigit():  # short text could match anything
        assert text not in caplog.text, "user text never goes to the logs"
    await settle(harness, user)
    await no_harm(harness, api, caplog)


@FAST
@given(where=st.sampled_from(STEP_ROLES), data=HOSTILE_DATA)
async def test_any_button_data_at_any_step(
    harness: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture,
    where: tuple[Step, str], data: str,
) -> None:
    caplog.set_level(logging.INFO)
    step, role = where
    user = (await people(harness))[role]
    anchor = await step.reach(harness, user)
    assert anchor is not None
    answered = len(api.answered_callbacks)
    query_id = forged_press(api, user, anchor, data)
    await api.wait_for(lambda c: c.method == "answerCallbackQuery"
                       and c.params.get("callback_query_id") == query_id)
    assert len(api.answered_callbacks) > answered  # the spinner always stops
    await settle(harness, user)
    await no_harm(harness, api, caplog)


@FAST
@given(payload=st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=80),
       role=st.sampled_from(ROLES), group=st.booleans())
async def test_odd_command_arguments_private_and_group(
    harness: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture,
    payload: str, role: str, group: bool,
) -> None:
    caplog.set_level(logging.INFO)
    ids = await people(harness)
    user = ids[role]
    chat_id = None
    if group:
        chat_id = -100_900
        api.add_group(chat_id, "협의회", members=list(ids.values()))
    command = "/help" if group else "/start"
    reply = await harness.send(user, f"{command} {payload}", chat_id=chat_id)
    assert reply["text"].strip()
    await no_harm(harness, api, caplog)
