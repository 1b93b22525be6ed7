"""End to end over HTTP: strangers, invites, roles, groups and a form that survives a restart."""

from __future__ import annotations

import re
from datetime import timedelta

from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness

ADMIN = 1  # in ADMIN_IDS (see conftest)
COORD, SAEIL, EMPLOYER, STRANGER = 11, 12, 13, 99
GROUP = -100500


def invite_code(text: str) -> str:
    match = re.search(r"\?start=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def make_invite(h: BotHarness, lead: int, agency_label: str, role_label: str) -> str:
    msg = await h.send(lead, "/invite")
    msg = await h.press(lead, msg, agency_label)
    msg = await h.press(lead, msg, role_label)
    assert "t.me/itda_test_bot?start=" in msg["text"]
    return invite_code(msg["text"])


async def test_stranger_is_turned_away_politely_and_sees_no_data(harness: BotHarness) -> None:
    harness.api.add_user(STRANGER, "낯선사람")
    reply = await harness.send(STRANGER, "/members")
    assert "초대 링크" in reply["text"]
    reply = await harness.send(STRANGER, "안녕하세요")
    assert "초대 링크" in reply["text"]
    reply = await harness.send(STRANGER, "/start")
    assert "초대 링크" in reply["text"]
    reply = await harness.send(STRANGER, "/help")
    commands = re.findall(r"^/(\w+)", reply["text"], flags=re.M)
    assert set(commands) == {"start", "help", "cancel", "language"}


async def test_stranger_in_english(harness: BotHarness) -> None:
    harness.api.add_user(98, "Stranger", language_code="en")
    reply = await harness.send(98, "/members")
    assert "invite link" in reply["text"]


async def test_invite_flow_single_use(harness: BotHarness, api: FakeBotAPI) -> None:
    api.add_user(ADMIN, "Admin")
    code = await make_invite(harness, ADMIN, "천안새일센터", "담당자")

    api.add_user(SAEIL, "이수진", username="sujin")
    msg = await harness.send(SAEIL, f"/start {code}")
    assert "천안여성새로일하기센터" in msg["text"]
    msg = await harness.expect(SAEIL)
    assert "이수진" in msg["text"]
    done = await harness.press(SAEIL, msg, "네")
    assert "참여했어요" in done["text"] and "천안여성새로일하기센터" in done["text"]
    # The member's own command menu was set for their chat.
    await api.wait_for(
        lambda c: (
            c.method == "setMyCommands"
            and f'"chat_id": {SAEIL}' in str(c.params.get("scope"))
            or (
                isinstance(c.params.get("scope"), dict)
                and c.params["scope"].get("chat_id") == SAEIL
            )
        )
    )
    who = await harness.send(SAEIL, "/whoami")
    assert "천안여성새로일하기센터" in who["text"] and "담당자" in who["text"]

    # Second use of the same link is refused.
    api.add_user(STRANGER, "다른사람")
    second = await harness.send(STRANGER, f"/start {code}")
    assert "이미 사용된" in second["text"]
    still_stranger = await harness.send(STRANGER, "/whoami")
    assert "초대 링크" in still_stranger["text"]


async def test_typed_name_and_invalid_name(harness: BotHarness, api: FakeBotAPI) -> None:
    api.add_user(ADMIN, "Admin")
    code = await make_invite(harness, ADMIN, "충남북부상의", "담당자")
    api.add_user(EMPLOYER, "P")
    await harness.send(EMPLOYER, f"/start {code}")
    confirm = await harness.expect(EMPLOYER)
    ask = await harness.press(EMPLOYER, confirm, "이름 바꾸기")
    assert "이름을 입력" in ask["text"]
    bad = await harness.send(EMPLOYER, "x" * 31)
    assert "30자" in bad["text"]
    again = await harness.send(EMPLOYER, "<b>박정호</b>")
    assert "이름을" in again["text"]  # markup is not a name
    ok = await harness.send(EMPLOYER, "박정호")
    done = await harness.press(EMPLOYER, ok, "네")
    assert "박정호님" in done["text"]


async def test_expired_and_revoked_invites_refused(harness: BotHarness, api: FakeBotAPI) -> None:
    api.add_user(ADMIN, "Admin")
    expiring = await make_invite(harness, ADMIN, "아산새일센터", "담당자")
    revoked = await make_invite(harness, ADMIN, "아산새일센터", "담당자")
    listing = await harness.send(ADMIN, "/invites")
    assert "2건" in listing["text"]
    revoked_id = re.findall(r"#(\d+)", listing["text"])[1]
    reply = await harness.press(ADMIN, listing, f"#{revoked_id}")
    assert "취소했어요" in reply["text"]
    # A double tap on the same revoke button is harmless.
    again = await harness.press(ADMIN, listing, f"#{revoked_id}")
    assert "이미 사용되었거나 취소된" in again["text"]

    api.add_user(STRANGER, "낯선사람")
    reply = await harness.send(STRANGER, f"/start {revoked}")
    assert "취소된 초대" in reply["text"]
    harness.clock.advance(timedelta(days=7, minutes=1))
    reply = await harness.send(STRANGER, f"/start {expiring}")
    assert "유효기간이 지난" in reply["text"]
    reply = await harness.send(STRANGER, "/start not-a-real-code")
    assert "유효하지 않은" in reply["text"]


async def test_members_see_only_their_roles_commands(harness: BotHarness) -> None:
    await harness.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await harness.add_member(SAEIL, "이수진", "saeil-cheonan", "staff")
    coord_help = await harness.send(COORD, "/help")
    staff_help = await harness.send(SAEIL, "/help")
    assert "/invite" in coord_help["text"] and "/members" in coord_help["text"]
    assert "/invite" not in staff_help["text"] and "/members" not in staff_help["text"]
    refused = await harness.send(SAEIL, "/invite")
    assert "권한이 없어요" in refused["text"]
    refused = await harness.send(SAEIL, "/members")
    assert "권한이 없어요" in refused["text"]


async def test_group_registration_by_coordinator_only(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    await harness.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await harness.add_member(SAEIL, "이수진", "saeil-cheonan", "staff")
    api.add_group(GROUP, "충남 실무자협의회", members=[COORD, SAEIL, STRANGER])
    api.add_user(STRANGER, "낯선사람")
    reply = await harness.send(SAEIL, "/register_group", chat_id=GROUP)
    assert "권한이 없어요" in reply["text"]
    reply = await harness.send(STRANGER, "/register_group", chat_id=GROUP)
    assert "초대 링크" in reply["text"]
    reply = await harness.send(COORD, "/register_group", chat_id=GROUP)
    assert "협의회 그룹으로 등록했어요" in reply["text"]
    reply = await harness.send(COORD, "/register_group", chat_id=GROUP)
    assert "이미" in reply["text"]
    # Chatter in the group gets no answer; a command meant for private chat is sent there.
    api.drain(GROUP)
    api.send_text(SAEIL, "다들 안녕하세요", chat_id=GROUP)
    reply = await harness.send(COORD, "/invite", chat_id=GROUP)
    assert "개인 대화" in reply["text"]
    texts = [m["text"] for m in api.sent_to(GROUP)]
    assert not any("무엇을 도와드릴까요" in t for t in texts)
    # /register_group in private chat is refused with the reason.
    reply = await harness.send(COORD, "/register_group")
    assert "그룹 대화방에서" in reply["text"]


async def test_deactivation_by_coordinator(harness: BotHarness, api: FakeBotAPI) -> None:
    await harness.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await harness.add_member(SAEIL, "이수진", "saeil-cheonan", "staff")
    menu = await harness.send(COORD, "/members")
    listing = await harness.press(COORD, menu, "천안새일센터")
    assert "이수진" in listing["text"]
    confirm = await harness.press(COORD, listing, "이수진")
    done = await harness.press(COORD, confirm, "비활성화")
    assert "이수진을 비활성화했어요" in done["text"]
    notice = await harness.expect(SAEIL)
    assert "해제" in notice["text"]
    reply = await harness.send(SAEIL, "/whoami")
    assert "비활성화" in reply["text"]


async def test_form_resumes_after_restart_and_old_buttons_answer(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    api.add_user(ADMIN, "Admin")
    code = await make_invite(harness, ADMIN, "당진새일센터", "담당자")
    api.add_user(SAEIL, "이수진")
    await harness.send(SAEIL, f"/start {code}")
    confirm = await harness.expect(SAEIL)
    ask = await harness.press(SAEIL, confirm, "이름 바꾸기")
    assert "이름을 입력" in ask["text"]

    await harness.restart()

    # The form continues where it was: the typed name is taken, then confirmed.
    confirm = await harness.send(SAEIL, "이수진")
    assert "이수진" in confirm["text"]
    done = await harness.press(SAEIL, confirm, "네")
    assert "당진여성새로일하기센터" in done["text"]


async def test_old_button_after_cancel_and_restart_gets_an_answer(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    api.add_user(ADMIN, "Admin")
    agencies = await harness.send(ADMIN, "/invite")
    cancelled = await harness.send(ADMIN, "/cancel")
    assert "취소했어요" in cancelled["text"]
    await harness.restart()
    answered_before = len(api.answered_callbacks)
    stale = await harness.press(ADMIN, agencies, "천안새일센터")
    assert "더 이상 쓸 수 없어요" in stale["text"]
    assert len(api.answered_callbacks) == answered_before + 1  # the spinner stops too
    nothing = await harness.send(ADMIN, "/cancel")
    assert "취소할 입력이 없어요" in nothing["text"]


async def test_language_switch(harness: BotHarness) -> None:
    await harness.add_member(SAEIL, "이수진", "saeil-cheonan", "staff")
    menu = await harness.send(SAEIL, "/language")
    done = await harness.press(SAEIL, menu, "English")
    assert "English" in done["text"]
    who = await harness.send(SAEIL, "/whoami")
    assert "Agency:" in who["text"]


async def test_command_menus_per_scope_and_language(harness: BotHarness, api: FakeBotAPI) -> None:
    private_ko = api.commands_for({"type": "all_private_chats"}, "")
    private_en = api.commands_for({"type": "all_private_chats"}, "en")
    group_ko = api.commands_for({"type": "all_group_chats"}, "")
    assert {c["command"] for c in private_ko} == {"start", "help", "cancel", "language"}
    assert any("시작" in c["description"] for c in private_ko)
    assert any("Start" == c["description"] for c in private_en)
    assert {c["command"] for c in group_ko} >= {"help", "register_group"}
    assert "invite" not in {c["command"] for c in group_ko}  # data entry is private-only
    # A coordinator's own menu (their private chat) has the coordinator commands.
    await harness.add_member(COORD, "김민지", "chungnam-province", "coordinator")
    await harness.send(COORD, "/start")
    await api.wait_for(lambda c: c.method == "setMyCommands" and str(COORD) in str(c.params))
    own = api.commands_for({"type": "chat", "chat_id": COORD}, "")
    assert {"invite", "members", "invites"} <= {c["command"] for c in own}
