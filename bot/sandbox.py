"""`itda sandbox`: the whole bot offline on the fake Telegram, with a terminal chat.

A person switches between demo users (admin, coordinator, 새일센터 staff, employer association
staff) and the council group, types messages and taps buttons by number. What the bot sends to
the chat on screen is printed as it arrives (a chart that takes a few seconds too); what it sends
elsewhere is announced in one line and shown on switching there (`:as`, `:group`). Photos and
documents are saved to a folder and their path printed.

Every run starts a new fake Telegram, which numbers updates from 1 again: the update ids the
last run handled are forgotten at start, so a second run answers like the first (its data, and
any form left open, are kept; `--fresh` starts from an empty database).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.app import build_application, start_polling, stop_polling
from bot.wiring import create_runtime, prepare_database
from core.config import Settings
from demo.seed import DEMO_GROUP_ID, DEMO_GROUP_TITLE, DEMO_USERS, seed_demo
from locales import Translator
from models.updates import purge_updates
from testing.fakeapi import FakeBotAPI

SANDBOX_TOKEN = "424242:SANDBOX-OFFLINE-TOKEN"
QUIET_SECONDS = 0.6  # how long to wait for the bot's first message after an input
WATCH_SECONDS = 0.1  # how often the watcher looks again (and notices a switch of chat)
FILES_FOLDER = "sandbox-files"  # under ITDA_DATA_DIR
_UNSAFE = re.compile(r"[^\w.\-]+")


class Sandbox:
    def __init__(
        self, api: FakeBotAPI, out: TextIO, tr: Translator, files: Path | None = None
    ) -> None:
        self.api = api
        self.out = out
        self.tr = tr
        self.files = files
        self.user = DEMO_USERS[1]  # start as the coordinator
        self.chat_id: int = self.user.telegram_id
        self.last: dict[str, Any] | None = None
        self.seen: dict[int, int] = {}
        self.saved: dict[str, Path] = {}  # file_id -> where it was saved
        self.at_prompt = False  # the prompt is on screen, waiting for a line
        self.printed_at = 0.0  # loop time of the latest message printed
        self._watcher: asyncio.Task[None] | None = None
        self._watching = False
        self._held: dict[int, list[dict[str, Any]]] = {}

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def prompt(self) -> str:
        where = self.tr("sandbox.in_group") if self.chat_id < 0 else self.tr("sandbox.in_private")
        return f"[{self.user.name} · {self.user.label} · {where}] > "

    def show_prompt(self) -> None:
        self.out.write(self.prompt())
        self.out.flush()
        self.at_prompt = True

    def show_users(self) -> None:
        for index, user in enumerate(DEMO_USERS, 1):
            mark = "*" if user == self.user else " "
            self.print(
                f" {mark} {index}. {user.label:<13} {user.name} ({user.agency_code}, {user.role})"
            )

    def switch(self, who: str) -> None:
        """Become another demo user; what they received meanwhile is shown by the watcher."""
        for index, user in enumerate(DEMO_USERS, 1):
            if who in (str(index), user.label, user.name):
                self.user = user
                self.chat_id = user.telegram_id if self.chat_id > 0 else DEMO_GROUP_ID
                self.print(self.tr("sandbox.now_user", name=user.name, label=user.label))
                return
        self.print(self.tr("sandbox.no_such_user"))

    # The watcher: the only reader of the bot's messages -------------------------------------
    def start_watching(self) -> None:
        self._watching = True
        self._watcher = asyncio.create_task(self._watch(), name="sandbox-watcher")

    async def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watching = False  # ends the loop even if a wait swallowed the cancellation
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def _watch(self) -> None:
        """Print each message or edit of the chat on screen as it arrives, also while the
        person is at the prompt (the prompt is shown again below it)."""
        while self._watching:
            chat = self.chat_id
            batch = self._held.pop(chat, [])  # read for this chat while it was not on screen
            if not batch:
                try:
                    batch.append(await self.api.next_message(chat, timeout=WATCH_SECONDS))
                except TimeoutError:
                    continue
            while True:  # whatever else is already there, so an edited message prints once
                try:
                    batch.append(await self.api.next_message(chat, timeout=0))
                except TimeoutError:
                    break
            if chat != self.chat_id:  # switched while waiting: kept for when it is back
                self._held[chat] = batch
                continue
            interrupted = self.at_prompt
            if interrupted:
                self.out.write("\n")
            printed: set[int] = set()
            for message in batch:
                if message["message_id"] not in printed:
                    printed.add(message["message_id"])
                    self._render(message)
            self.printed_at = asyncio.get_running_loop().time()
            if interrupted:
                self.show_prompt()

    async def settle(self) -> None:
        """Wait for the bot's answer to an input: until it has been quiet for a moment."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        while True:
            answered = self.printed_at >= began
            quiet_for = QUIET_SECONDS / 3 if answered else QUIET_SECONDS
            left = max(began, self.printed_at) + quiet_for - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(left)

    def announce_elsewhere(self) -> None:
        """One line for each other chat that received messages since it was last on screen."""
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
        self.print("─" * 40)
        if current.get("document"):
            document = current["document"]
            self.print(f"[{document.get('file_name', 'file')}]")
            self._save(document["file_id"], document.get("file_name"))
        if current.get("photo"):
            self.print("[image]")
            self._save(current["photo"][-1]["file_id"], None)  # the largest size
        if body:
            self.print(body)
        buttons = self.api.buttons(current)
        for index, (label, _data) in enumerate(buttons, 1):
            self.print(f"  [{index}] {label}")
        if buttons:
            self.last = current

    def _save(self, file_id: str, name: str | None) -> None:
        """Write a file the bot sent into the files folder and print where it is."""
        stored = self.api.files.get(file_id)
        if stored is None or self.files is None:
            return
        path = self.saved.get(file_id)
        if path is None:
            suffix = Path(stored.file_path).suffix
            base = _UNSAFE.sub("_", Path(name).name) if name else f"image{suffix}"
            self.files.mkdir(parents=True, exist_ok=True)
            number = sum(1 for _ in self.files.iterdir()) + 1  # never over an earlier run's
            path = self.files / f"{number:03d}-{base}"
            path.write_bytes(stored.data)
            self.saved[file_id] = path
        self.print(self.tr("sandbox.saved", path=str(path.resolve())))

    async def handle(self, line: str) -> bool:
        """One line of input; False when the person wants to leave."""
        self.at_prompt = False
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
        elif line == ":private":
            self.chat_id = self.user.telegram_id
        elif line.startswith(":tap "):
            await self.tap(line[5:].strip())
        elif line.startswith(":"):
            self.print(self.tr("sandbox.help"))
        else:
            self.api.send_text(self.user.telegram_id, line, chat_id=self.chat_id)
        await self.settle()
        self.announce_elsewhere()
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
    data_dir = Path(settings.itda_data_dir)
    db_path = data_dir / "sandbox.db"
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
        await seed_demo(session=session, clock=runtime.clock, cipher=runtime.cipher)
        # This run's fake Telegram numbers updates from 1 again: forget the last run's ids,
        # which would otherwise be skipped as already handled.
        await purge_updates(session=session, before=datetime.max.replace(tzinfo=UTC))
    app = build_application(runtime, token=SANDBOX_TOKEN)
    await start_polling(app, poll_timeout=1)
    tr = Translator(settings.default_language)
    sandbox = Sandbox(api, out, tr, files=data_dir / FILES_FOLDER)
    sandbox.print(tr("sandbox.welcome"))
    if settings.itda_now is not None:
        at = settings.itda_now.astimezone(runtime.clock.tz)
        sandbox.print(tr("sandbox.clock", at=at.strftime("%Y-%m-%d %H:%M")))
    sandbox.print(tr("sandbox.help"))
    sandbox.show_users()
    loop = asyncio.get_running_loop()
    sandbox.start_watching()
    try:
        while True:
            sandbox.show_prompt()
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:  # end of input
                break
            if not await sandbox.handle(line):
                break
    finally:
        await sandbox.stop_watching()
        await stop_polling(app)
        await api.stop()
    sandbox.print(tr("sandbox.bye"))
    return 0


def run_sandbox(settings: Settings, *, fresh: bool = False) -> int:
    return asyncio.run(_run(settings, fresh, sys.stdin, sys.stdout))
