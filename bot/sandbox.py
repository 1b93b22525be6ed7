"""`itda sandbox`: the whole bot offline on the fake Telegram, with a terminal chat.

A person switches between demo users (admin, coordinator, 새일센터 staff, employer association
staff) and the council group, types messages and taps buttons by number.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.app import build_application, start_polling, stop_polling
from bot.wiring import create_runtime, prepare_database
from core.config import Settings
from demo.seed import DEMO_GROUP_ID, DEMO_GROUP_TITLE, DEMO_USERS, seed_demo
from locales import Translator
from testing.fakeapi import FakeBotAPI

SANDBOX_TOKEN = "424242:SANDBOX-OFFLINE-TOKEN"
QUIET_SECONDS = 0.6  # how long to wait for the bot's last message after an input


class Sandbox:
    def __init__(self, api: FakeBotAPI, out: TextIO, tr: Translator) -> None:
        self.api = api
        self.out = out
        self.tr = tr
        self.user = DEMO_USERS[1]  # start as the coordinator
        self.chat_id: int = self.user.telegram_id
        self.last: dict[str, Any] | None = None
        self.seen: dict[int, int] = {}

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def prompt(self) -> str:
        where = self.tr("sandbox.in_group") if self.chat_id < 0 else self.tr("sandbox.in_private")
        return f"[{self.user.name} · {self.user.label} · {where}] > "

    def show_users(self) -> None:
        for index, user in enumerate(DEMO_USERS, 1):
            mark = "*" if user == self.user else " "
            self.print(
                f" {mark} {index}. {user.label:<13} {user.name} ({user.agency_code}, {user.role})"
            )

    def switch(self, who: str) -> None:
        for index, user in enumerate(DEMO_USERS, 1):
            if who in (str(index), user.label, user.name):
                self.user = user
                self.chat_id = user.telegram_id if self.chat_id > 0 else DEMO_GROUP_ID
                self.api.drain(self.chat_id)
                self.print(self.tr("sandbox.now_user", name=user.name, label=user.label))
                return
        self.print(self.tr("sandbox.no_such_user"))

    async def show_new(self) -> None:
        """Print what the bot sent or edited in this chat; other chats get a one-line notice."""
        timeout = QUIET_SECONDS
        while True:
            try:
                message = await self.api.next_message(self.chat_id, timeout=timeout)
            except TimeoutError:
                break
            self._render(message)
            timeout = QUIET_SECONDS / 3
        self.seen[self.chat_id] = len(self.api.sent_to(self.chat_id))
        chats = [u.telegram_id for u in DEMO_USERS] + [DEMO_GROUP_ID]
        for chat in chats:
            if chat == self.chat_id:
                continue
            count = len(self.api.sent_to(chat))
            fresh = count - self.seen.get(chat, 0)
            if fresh > 0:
                self.print(self.tr("sandbox.elsewhere", count=fresh, chat=self._chat_name(chat)))
            self.seen[chat] = count

    def _chat_name(self, chat_id: int) -> str:
        if chat_id == DEMO_GROUP_ID:
            return DEMO_GROUP_TITLE
        for user in DEMO_USERS:
            if user.telegram_id == chat_id:
                return user.name
        return str(chat_id)

    def _render(self, message: dict[str, Any]) -> None:
        current = self.api.message(message["chat"]["id"], message["message_id"]) or message
        body = current.get("text") or current.get("caption") or ""
        if current.get("document"):
            body = f"[{current['document'].get('file_name', 'file')}] {body}"
        if current.get("photo"):
            body = f"[image] {body}"
        self.print("─" * 40)
        self.print(body)
        buttons = self.api.buttons(current)
        for index, (label, _data) in enumerate(buttons, 1):
            self.print(f"  [{index}] {label}")
        if buttons:
            self.last = current

    async def handle(self, line: str) -> bool:
        """One line of input; False when the person wants to leave."""
        line = line.strip()
        if not line:
            return True
        if line in (":quit", ":q", ":exit"):
            return False
        if line == ":users":
            self.show_users()
        elif line.startswith(":as "):
            self.switch(line[4:].strip())
        elif line == ":group":
            self.chat_id = DEMO_GROUP_ID
            self.api.drain(self.chat_id)
        elif line == ":private":
            self.chat_id = self.user.telegram_id
            self.api.drain(self.chat_id)
        elif line.startswith(":tap "):
            await self.tap(line[5:].strip())
        elif line.startswith(":"):
            self.print(self.tr("sandbox.help"))
        else:
            self.api.send_text(self.user.telegram_id, line, chat_id=self.chat_id)
        await self.show_new()
        return True

    async def tap(self, number: str) -> None:
        if self.last is None or not number.isdigit():
            self.print(self.tr("sandbox.no_button"))
            return
        current = self.api.message(self.last["chat"]["id"], self.last["message_id"]) or self.last
        buttons = self.api.buttons(current)
        index = int(number) - 1
        if not 0 <= index < len(buttons):
            self.print(self.tr("sandbox.no_button"))
            return
        self.api.press(self.user.telegram_id, current, buttons[index][1])


async def _run(settings: Settings, fresh: bool, stdin: TextIO, out: TextIO) -> int:
    db_path = Path(settings.itda_data_dir) / "sandbox.db"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    api = FakeBotAPI(SANDBOX_TOKEN, bot_username="itda_sandbox_bot", bot_id=424242)
    await api.start()
    for user in DEMO_USERS:
        api.add_user(user.telegram_id, user.name)
    api.add_group(DEMO_GROUP_ID, DEMO_GROUP_TITLE, members=[u.telegram_id for u in DEMO_USERS])
    sandbox_settings = settings.model_copy(
        update={
            "telegram_api_url": api.url,
            "database_url": f"sqlite+aiosqlite:///{db_path.resolve()}",
            "admin_ids": [DEMO_USERS[0].telegram_id],
        }
    )
    runtime = create_runtime(sandbox_settings)
    await prepare_database(runtime)
    async with runtime.session() as session:
        await seed_demo(session=session, clock=runtime.clock)
    app = build_application(runtime, token=SANDBOX_TOKEN)
    await start_polling(app, poll_timeout=1)
    tr = Translator(settings.default_language)
    sandbox = Sandbox(api, out, tr)
    sandbox.print(tr("sandbox.welcome"))
    sandbox.print(tr("sandbox.help"))
    sandbox.show_users()
    loop = asyncio.get_running_loop()
    try:
        while True:
            out.write(sandbox.prompt())
            out.flush()
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:  # end of input
                break
            if not await sandbox.handle(line):
                break
    finally:
        await stop_polling(app)
        await api.stop()
    sandbox.print(tr("sandbox.bye"))
    return 0


def run_sandbox(settings: Settings, *, fresh: bool = False) -> int:
    return asyncio.run(_run(settings, fresh, sys.stdin, sys.stdout))
