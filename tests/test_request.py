"""The bot's HTTP client (aiohttp) against the fake Bot API: forms, uploads, downloads, errors."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter

from bot.fakeapi import FakeBotAPI
from bot.request import AiohttpRequest


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
