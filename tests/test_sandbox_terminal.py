"""The sandbox's terminal against the fake API, the bot's side played over HTTP (issue 14): a
switched-to user's unread messages, a late reply, photos and documents saved to a folder."""

from __future__ import annotations

import asyncio
import io
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.sandbox import Sandbox
from demo.seed import DEMO_GROUP_ID, DEMO_GROUP_TITLE, DEMO_USERS
from locales import Translator
from testing.fakeapi import FakeBotAPI
from tests.harness import TOKEN

COORDINATOR, SAEIL = DEMO_USERS[1], DEMO_USERS[2]


def png() -> bytes:
    """A 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(
        b"IEND", b""
    )


class Bot:
    """What the bot would send, posted to the fake API like the bot does."""

    def __init__(self, api: FakeBotAPI, client: httpx.AsyncClient) -> None:
        self.base = f"{api.url}/bot{TOKEN}"
        self.client = client

    async def say(self, chat_id: int, text: str) -> None:
        answer = await self.client.post(
            f"{self.base}/sendMessage", json={"chat_id": chat_id, "text": text}
        )
        assert answer.json()["ok"], answer.text

    async def send_file(self, chat_id: int, method: str, field: str, name: str,
                        data: bytes) -> None:
        answer = await self.client.post(
            f"{self.base}/{method}", data={"chat_id": str(chat_id), "caption": name},
            files={field: (name, data)},
        )
        assert answer.json()["ok"], answer.text


@pytest.fixture
async def terminal(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[tuple[Sandbox, io.StringIO]]:
    for user in DEMO_USERS:
        api.add_user(user.telegram_id, user.name)
    api.add_group(DEMO_GROUP_ID, DEMO_GROUP_TITLE, members=[u.telegram_id for u in DEMO_USERS])
    out = io.StringIO()
    sandbox = Sandbox(api, out, Translator("ko"), files=tmp_path / "files")
    sandbox.start_watching()
    try:
        yield sandbox, out
    finally:
        await sandbox.stop_watching()


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with httpx.AsyncClient() as client:
        yield Bot(api, client)


async def until_printed(out: io.StringIO, text: str) -> None:
    async with asyncio.timeout(30):
        while text not in out.getvalue():  # noqa: ASYNC110 - the watcher writes to a buffer
            await asyncio.sleep(0.02)


async def test_switching_user_shows_what_they_received_meanwhile(
    terminal: tuple[Sandbox, io.StringIO], bot: Bot
) -> None:
    sandbox, out = terminal
    await sandbox.handle(":as coordinator")
    await bot.say(SAEIL.telegram_id, "new opening #7 for your centre")
    await bot.say(SAEIL.telegram_id, "second notice")
    await sandbox.handle("/help")  # any input: the other chat is announced in one line
    assert "(새 메시지 2건: 이수진)" in out.getvalue()
    assert "new opening #7" not in out.getvalue()
    await sandbox.handle(":as saeil")
    text = out.getvalue()
    assert "이제 이수진(saeil) 사용자예요." in text
    assert "new opening #7 for your centre" in text and "second notice" in text
    assert text.index("이제 이수진") < text.index("new opening #7")
    await sandbox.handle(":as coordinator")
    await sandbox.handle(":as saeil")
    assert out.getvalue().count("new opening #7") == 1, "each message is shown once"


async def test_a_reply_that_comes_after_the_prompt_is_printed_when_it_arrives(
    terminal: tuple[Sandbox, io.StringIO], bot: Bot
) -> None:
    sandbox, out = terminal
    await sandbox.handle(":as coordinator")
    sandbox.show_prompt()  # the person is at the prompt, typing nothing
    await bot.say(COORDINATOR.telegram_id, "the chart is ready")
    await until_printed(out, "the chart is ready")
    after = out.getvalue().split("the chart is ready", 1)[1]
    assert after.rstrip().endswith(sandbox.prompt().rstrip()), "the prompt is shown again"


async def test_photos_and_documents_are_saved_and_their_path_printed(
    terminal: tuple[Sandbox, io.StringIO], bot: Bot, tmp_path: Path
) -> None:
    sandbox, out = terminal
    await sandbox.handle(":as coordinator")
    image = png()
    sheet = b"PK\x03\x04 an excel workbook"
    await bot.send_file(COORDINATOR.telegram_id, "sendPhoto", "photo", "chart.png", image)
    await bot.send_file(COORDINATOR.telegram_id, "sendDocument", "document",
                        "openings 2026-09.xlsx", sheet)
    await until_printed(out, "openings_2026-09.xlsx")
    saved = sorted((tmp_path / "files").iterdir())
    assert [p.read_bytes() for p in saved] == [image, sheet]
    for path in saved:
        assert f"저장한 파일: {path.resolve()}" in out.getvalue()
