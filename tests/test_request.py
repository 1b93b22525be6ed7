"""The bot's HTTP client (aiohttp) against the fake Bot API: forms, uploads, downloads, errors."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter

from adapters.request import AiohttpRequest
from testing.fakeapi import FakeBotAPI


def make_bot(api: FakeBotAPI) -> Bot:
    return Bot(
        api.token,
        base_url=f"{api.url}/bot",
        base_file_url=f"{api.url}/file/bot",
        request=AiohttpRequest(connection_pool_size=4),
    )


@pytest.mark.filterwarnings("ignore:.*retry_after.*")
async def test_upload_download_buttons_and_errors(api: FakeBotAPI) -> None:
    api.add_user(5, "Kim")
    async with make_bot(api) as bot:
        sent = await bot.send_document(
            5, b"a,b\n1,2\n", filename="report.csv", caption="<b>done</b>", parse_mode="HTML"
        )
        assert sent.document is not None and sent.document.file_name == "report.csv"
        assert sent.caption == "done"
        file = await bot.get_file(sent.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"a,b\n1,2\n"

        markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="x:a")]])
        with_buttons = await bot.send_message(5, "pick", reply_markup=markup)
        assert api.buttons(api.message(5, with_buttons.message_id) or {}) == [("A", "x:a")]

        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(999, "nobody")
        api.fail("sendMessage", error="429", retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(5, "too fast")


async def test_requests_are_one_json_body_with_typed_values() -> None:
    """Telegram takes application/json: ids as numbers, buttons as objects, Hangul as is."""
    seen: list[tuple[str | None, bytes]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append((request.content_type, await request.read()))
        result = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                  "text": "안녕"}
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
    try:
        request = AiohttpRequest(connection_pool_size=1)
        await request.initialize()
        bot = Bot("1:x", base_url=f"http://127.0.0.1:{port}/bot", request=request)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("네", callback_data="onb:yes")]])
        await bot.send_message(5, "안녕", reply_markup=markup, disable_notification=True)
        await request.shutdown()
    finally:
        await runner.cleanup()
    content_type, body = seen[0]
    assert content_type == "application/json"
    sent = json.loads(body)
    assert sent["chat_id"] == 5 and sent["text"] == "안녕" and sent["disable_notification"] is True
    assert sent["reply_markup"] == {
        "inline_keyboard": [[{"text": "네", "callback_data": "onb:yes"}]]
    }
    assert "안녕".encode() in body  # UTF-8, not \\u escapes
