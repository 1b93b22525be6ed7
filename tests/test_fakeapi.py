"""Tests of the fake Telegram Bot API, over raw HTTP and through a real PTB Application."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from testing.fakeapi import FakeBotAPI

ALICE = 1001
BOB = 1002
GROUP = -100200


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI()
    server.add_user(ALICE, "Alice", username="alice")
    server.add_user(BOB, "Bob", language_code="en")
    server.add_group(GROUP, "Workers", members=[ALICE, BOB])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _call(
    session: aiohttp.ClientSession, api: FakeBotAPI, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with session.post(f"{api.url}/bot{api.token}/{method}", json=params) as response:
        return response.status, await response.json()


# ------------------------------------------------------------------------------ raw HTTP


async def test_send_message_and_long_poll_wake_up(api: FakeBotAPI) -> None:
    async with aiohttp.ClientSession() as session:
        status, body = await _call(session, api, "sendMessage", chat_id=ALICE, text="  hi  ")
        assert status == 200 and body["ok"] is True
        message = body["result"]
        assert message["text"] == "hi"
        assert message["chat"] == {
            "id": ALICE,
            "type": "private",
            "first_name": "Alice",
            "username": "alice",
        }
        assert message["from"]["is_bot"] is True
        assert api.sent_to(ALICE)[-1]["message_id"] == message["message_id"]

        # A poll of a minute: answered with the update long before that, it was woken up by it
        # (a bound relative to the poll's own timeout, not to the machine's speed).
        poll = asyncio.create_task(_call(session, api, "getUpdates", timeout=60))
        await asyncio.sleep(0.2)
        assert not poll.done(), "getUpdates must block while there is nothing to deliver"
        update = api.send_text(ALICE, "/start@itda_test_bot now")
        status, body = await asyncio.wait_for(poll, 30)
        assert status == 200
        assert [u["update_id"] for u in body["result"]] == [update["update_id"]]
        delivered = body["result"][0]["message"]
        assert delivered["text"] == "/start@itda_test_bot now"
        assert delivered["entities"] == [{"type": "bot_command", "offset": 0, "length": 20}]
        # The message id continues the chat's sequence after the bot's message.
        assert delivered["message_id"] == message["message_id"] + 1
        parsed = Update.de_json(body["result"][0], None).message
        assert parsed is not None and parsed.text == "/start@itda_test_bot now"

        # Unconfirmed updates are delivered again; a higher offset confirms them.
        _, again = await _call(session, api, "getUpdates", timeout=0)
        assert len(again["result"]) == 1
        _, after = await _call(
            session, api, "getUpdates", offset=update["update_id"] + 1, timeout=0
        )
        assert after["result"] == []


async def test_wrong_token_unknown_method_and_case_insensitivity(api: FakeBotAPI) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{api.url}/bot999:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        status, body = await _call(session, api, "sendTelepathy", chat_id=ALICE)
        assert status == 404
        assert body == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
        async with session.get(f"{api.url}/bot{api.token}/GETME") as response:
            me = await response.json()
        assert me["result"]["username"] == "itda_test_bot"
        status, body = await _call(session, api, "sendMessage", chat_id=777, text="x")
        assert (status, body["description"]) == (400, "Bad Request: chat not found")
    assert [call.method for call in api.calls] == ["sendTelepathy", "getMe", "sendMessage"]


async def test_form_encoded_params_and_html_parsing(api: FakeBotAPI) -> None:
    markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok:1"}]]}
    form = {
        "chat_id": str(GROUP),
        "text": "<b>Shift</b> at 9 &amp; 10",
        "parse_mode": "HTML",
        "reply_markup": json.dumps(markup),
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.url}/bot{api.token}/sendMessage", data=form) as response:
            body = await response.json()
        assert body["result"]["text"] == "Shift at 9 & 10"
        assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
        assert body["result"]["reply_markup"] == markup
        bad = {"chat_id": str(ALICE), "text": "1 < 2", "parse_mode": "HTML"}
        async with session.post(f"{api.url}/bot{api.token}/sendMessage", data=bad) as response:
            error = await response.json()
        assert response.status == 400
        assert error["description"].startswith("Bad Request: can't parse entities")
    call = api.calls[0]
    assert call.chat_id == GROUP and call.params["reply_markup"] == markup
    assert api.buttons(api.sent_to(GROUP)[0]) == [("OK", "ok:1")]


async def test_drop_and_5xx_injection(api: FakeBotAPI) -> None:
    api.fail("sendMessage", error="drop")
    api.fail("getMe", error="502")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await _call(session, api, "sendMessage", chat_id=ALICE, text="lost")
        status, body = await _call(session, api, "getMe")
        assert (status, body) == (
            502,
            {"ok": False, "error_code": 502, "description": "Bad Gateway"},
        )
        status, _ = await _call(session, api, "sendMessage", chat_id=ALICE, text="works")
        assert status == 200
    assert [m["text"] for m in api.sent_to(ALICE)] == ["works"]


async def test_a_request_whose_client_dies_mid_body_is_recorded(api: FakeBotAPI) -> None:
    """A bot killed while it writes a request (test_kill_9_mid_fan_out_…): the request was
    counted on arrival, so it must end in `calls` too (not ok, nothing sent), or a test waiting
    for "every request counted has been answered" waits for ever (issue 19, seen under load)."""
    host, port = api.url.removeprefix("http://").split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    body = json.dumps({"chat_id": ALICE, "text": "never whole"}).encode()
    writer.write(
        f"POST /bot{api.token}/sendMessage HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body[:10]
    )
    await writer.drain()
    async with asyncio.timeout(30):
        while api.stats["sendMessage"] < 1:  # noqa: ASYNC110 - the fake server's counter
            await asyncio.sleep(0.01)
    writer.transport.abort()  # the connection is lost with the body half written
    async with asyncio.timeout(30):
        while not api.calls:  # noqa: ASYNC110 - the fake server's record
            await asyncio.sleep(0.01)
    [call] = api.calls
    assert call.method == "sendMessage" and call.response is None
    assert api.sent_to(ALICE) == []


async def test_enforced_limits_answer_429_and_keep_stats() -> None:
    async with FakeBotAPI(enforce_limits=True) as api:
        api.add_user(ALICE, "Alice")
        async with aiohttp.ClientSession() as session:
            statuses = [
                (await _call(session, api, "sendMessage", chat_id=ALICE, text=str(i)))[0]
                for i in range(4)
            ]
            _, body = await _call(session, api, "sendMessage", chat_id=ALICE, text="again")
    assert statuses == [200, 200, 200, 429]
    assert body["parameters"]["retry_after"] >= 1
    assert api.stats["429"] == 2
    assert api.stats["sendMessage"] == 5
    assert api.stats["max_per_chat_per_second"] == 3


# ------------------------------------------------------------------------------ through PTB


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def _menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes, please", callback_data="menu:yes")],
            [InlineKeyboardButton("No", callback_data="menu:no")],
        ]
    )
    await update.effective_message.reply_text("Join the shift?", reply_markup=keyboard)


async def _on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Saved")
    await query.edit_message_text(f"You chose {query.data}")


@pytest.fixture
async def app(api: FakeBotAPI) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    application = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(f"{api.url}/bot")
        .base_file_url(f"{api.url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("menu", _menu))
    application.add_handler(CallbackQueryHandler(_on_button))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_ptb_echo(api: FakeBotAPI, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    assert {"getMe", "deleteWebhook"} <= {call.method for call in api.calls}
    api.send_text(ALICE, "안녕하세요")
    reply = await api.next_message(ALICE, timeout=30)
    assert reply["text"] == "echo: 안녕하세요"
    assert "reply_to_message" not in reply  # PTB only quotes in groups by default
    request = api.send_text(BOB, "hi there", chat_id=GROUP)
    group_reply = await api.next_message(GROUP, timeout=30)
    assert group_reply["text"] == "echo: hi there"
    assert group_reply["reply_to_message"]["message_id"] == request["message"]["message_id"]
    with pytest.raises(TimeoutError, match="echo: 안녕하세요"):
        await api.next_message(ALICE, timeout=0.2)


async def test_ptb_inline_button_press(
    api: FakeBotAPI, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    api.send_text(ALICE, "/menu")
    menu = await api.next_message(ALICE, timeout=30)
    assert api.buttons(menu) == [("Yes, please", "menu:yes"), ("No", "menu:no")]
    data = api.button(menu, "Yes")
    update = api.press(ALICE, menu, data)
    edited = await api.next_message(ALICE, timeout=30)
    assert edited["_edited"] is True
    assert edited["message_id"] == menu["message_id"]
    assert edited["text"] == "You chose menu:yes"
    assert "reply_markup" not in edited, "editMessageText without markup drops the keyboard"
    assert api.answered_callbacks == [
        {"callback_query_id": update["callback_query"]["id"], "text": "Saved"}
    ]
    assert [m["text"] for m in api.sent_to(ALICE)] == ["Join the shift?"]
    with pytest.raises(ValueError, match="not on message"):
        api.press(ALICE, edited, "menu:no")


async def test_ptb_set_my_commands_scoped(
    api: FakeBotAPI, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    commands = [BotCommand("start", "Start"), BotCommand("help", "Help")]
    scope = BotCommandScopeAllPrivateChats()
    assert await app.bot.set_my_commands(commands, scope=scope, language_code="ko")
    expected = [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert api.commands == {('{"type":"all_private_chats"}', "ko"): expected}
    assert api.commands_for({"type": "all_private_chats"}, "ko") == expected
    fetched = await app.bot.get_my_commands(scope=scope, language_code="ko")
    assert [c.command for c in fetched] == ["start", "help"]
    assert await app.bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await app.bot.set_my_commands([BotCommand("Bad-Name", "x")])


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_retry_after_and_forbidden(
    api: FakeBotAPI, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    api.fail("sendMessage", error="429", chat_id=ALICE, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(ALICE, "hello")
    retry_after = caught.value.retry_after
    seconds = (
        retry_after.total_seconds() if isinstance(retry_after, dtm.timedelta) else retry_after
    )
    assert seconds == 7
    assert (await app.bot.send_message(ALICE, "hello")).text == "hello"

    api.block(ALICE)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await app.bot.send_message(ALICE, "are you there?")
    assert (await app.bot.send_message(BOB, "still fine")).chat.id == BOB
    api.unblock(ALICE)
    await app.bot.send_message(ALICE, "welcome back")
    assert [m["text"] for m in api.sent_to(ALICE)] == ["hello", "welcome back"]

    api.fail("sendMessage", error="drop")
    with pytest.raises(NetworkError):
        await app.bot.send_message(ALICE, "dropped")


async def test_ptb_bad_requests(
    api: FakeBotAPI, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    with pytest.raises(BadRequest, match="too long"):
        await app.bot.send_message(ALICE, "x" * 4097)
    assert (await app.bot.send_message(ALICE, "가" * 4096)).text == "가" * 4096
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await app.bot.send_message(
            ALICE,
            "pick",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("x", callback_data="d" * 65)]]
            ),
        )
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await app.bot.send_message(ALICE, "price *5", parse_mode=ParseMode.MARKDOWN_V2)

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await app.bot.send_message(
        ALICE, "<b>Menu</b>", parse_mode="HTML", reply_markup=keyboard
    )
    assert sent.text == "Menu" and sent.entities[0].type == "bold"
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await app.bot.edit_message_text(
            "<b>Menu</b>", ALICE, sent.message_id, parse_mode="HTML", reply_markup=keyboard
        )
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await app.bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=keyboard)
    edited = await app.bot.edit_message_reply_markup(ALICE, sent.message_id)
    assert isinstance(edited, Message) and edited.reply_markup is None
    assert await app.bot.delete_message(ALICE, sent.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await app.bot.edit_message_text("gone", ALICE, sent.message_id)


async def test_ptb_send_document_and_download(
    api: FakeBotAPI, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    payload = "이름,시간\nAlice,9\n".encode()
    message = await app.bot.send_document(
        ALICE, payload, filename="roster.csv", caption="<i>Roster</i>", parse_mode="HTML"
    )
    assert message.document is not None
    assert message.document.file_name == "roster.csv"
    assert message.document.file_size == len(payload)
    assert message.caption == "Roster"
    stored = api.files[message.document.file_id]
    assert stored.data == payload and stored.filename == "roster.csv"
    call = await api.wait_for(lambda c: c.method == "sendDocument")
    assert call.params["document"].data == payload and call.params["caption"] == "<i>Roster</i>"

    telegram_file = await app.bot.get_file(message.document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == payload

    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000100000000808060000001f15c489")
    photo = await app.bot.send_photo(ALICE, png, caption="map")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (16, 8)
    assert [m.get("caption") for m in api.sent_to(ALICE)] == ["Roster", "map"]

    await app.bot.send_chat_action(ALICE, "typing")
    chat = await app.bot.get_chat(GROUP)
    assert (chat.title, chat.type, chat.max_reaction_count) == ("Workers", "group", 11)
    member = await app.bot.get_chat_member(GROUP, BOB)
    assert member.status == "member"
