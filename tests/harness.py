"""End-to-end harness: the real python-telegram-bot Application against the fake Bot API."""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.context import ItdaApplication
from adapters.runtime import Runtime
from bot.app import build_application, start_polling, stop_polling
from bot.wiring import create_runtime, prepare_database
from core.clock import FrozenClock
from core.config import Settings, load_settings
from models import council as council_db
from models.tables import Member
from testing.fakeapi import FakeBotAPI

TOKEN = "123456:TEST-TOKEN"
# How long a test waits for a reply it expects: a bound that only turns a hang into a failure, so
# generous enough for a busy shared 2-core machine (a wait for a message that must NOT come passes
# its own short timeout instead).
PATIENCE = 30.0
SEOUL_START = datetime.fromisoformat("2026-09-01T10:00:00+09:00")


# `ITDA_TEST_DATABASE=postgres` runs the suite on PostgreSQL: every `make_settings` gets a fresh
# database on ITDA_TEST_PG_HOST (127.0.0.1:5432, user postgres, trust), dropped after the test.
PG_MODE = os.environ.get("ITDA_TEST_DATABASE", "sqlite").lower() in ("postgres", "postgresql")
PG_SERVER = os.environ.get("ITDA_TEST_PG_HOST", "postgres@127.0.0.1:5432")
CREATED_DATABASES: list[str] = []


def _in_thread(coro_factory: Any) -> None:
    """Run a coroutine on a loop of its own (callers may be inside a running loop)."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro_factory())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _admin_sql(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(f"postgresql://{PG_SERVER}/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _in_thread(run)


def postgres_database() -> str:
    name = f"itda_test_{uuid.uuid4().hex[:16]}"
    _admin_sql(f'CREATE DATABASE "{name}"')
    CREATED_DATABASES.append(name)
    return f"postgresql+asyncpg://{PG_SERVER}/{name}"


def drop_test_databases() -> None:
    while CREATED_DATABASES:
        name = CREATED_DATABASES.pop()
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "BOT_TOKEN": TOKEN,
        "ITDA_DATA_DIR": str(tmp_path / "data"),
        # The reminders job is off in tests unless a test turns it on; tests call
        # scheduler.reminders.send_due with the frozen clock instead.
        "REMINDER_INTERVAL": "0",
    }
    if "DATABASE_URL" not in overrides:
        values["DATABASE_URL"] = (
            postgres_database() if PG_MODE else f"sqlite+aiosqlite:///{tmp_path / 'itda.db'}"
        )
    values.update(overrides)
    return load_settings(**values)


_FORGED = itertools.count(1)


class BotHarness:
    """Starts, stops and restarts the bot; plays users; reads what the bot sent."""

    def __init__(self, api: FakeBotAPI, settings: Settings, clock: FrozenClock) -> None:
        self.api = api
        self.settings = settings
        self.clock = clock
        self.app: ItdaApplication | None = None
        self.runtime: Runtime | None = None

    async def start(self) -> None:
        runtime = create_runtime(self.settings, self.clock)
        await prepare_database(runtime)
        self.runtime = runtime
        self.app = build_application(runtime)
        await start_polling(self.app, poll_timeout=1)

    async def stop(self) -> None:
        if self.app is not None:
            await stop_polling(self.app)
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # --- people --------------------------------------------------------------------------------
    async def add_member(
        self, telegram_id: int, name: str, agency_code: str, role: str = "staff"
    ) -> Member:
        """A member joined earlier (set up directly in the database)."""
        assert self.runtime is not None
        self.api.add_user(telegram_id, name)
        async with self.runtime.session() as session:
            agency = await council_db.get_agency_by_code(session=session, code=agency_code)
            assert agency is not None
            member = Member(
                telegram_id=telegram_id,
                display_name=name,
                agency_id=agency.id,
                role=role,
                joined_at=self.clock.now(),
            )
            session.add(member)
        return member

    # --- conversation --------------------------------------------------------------------------
    async def send(
        self, user_id: int, text: str, *, chat_id: int | None = None, timeout: float = PATIENCE
    ) -> dict[str, Any]:
        """The user sends text; returns the bot's next message in that chat."""
        chat = chat_id if chat_id is not None else user_id
        self.api.drain(chat)
        self.api.send_text(user_id, text, chat_id=chat_id)
        return await self.api.next_message(chat, timeout=timeout)

    async def press(
        self,
        user_id: int,
        message: dict[str, Any],
        label: str,
        *,
        chat_id: int | None = None,
        timeout: float = PATIENCE,
    ) -> dict[str, Any]:
        """The user taps the button whose label contains `label`; returns the bot's answer."""
        chat = chat_id if chat_id is not None else user_id
        data = self.api.button(message, label)
        self.api.drain(chat)
        self.api.press(user_id, message, data)
        return await self.api.next_message(chat, timeout=timeout)

    def press_data(self, user_id: int, message: dict[str, Any], data: str | None) -> str:
        """A callback query with any data, or none (as an old, forged or garbled button sends)
        on `message`; returns the query's id."""
        query_id = f"forged-{next(_FORGED)}"
        self.api._open_callbacks.add(query_id)  # noqa: SLF001 - Telegram knows the query
        query: dict[str, Any] = {"id": query_id, "from": self.api.users[user_id],
                                 "message": message, "chat_instance": "1"}
        if data is not None:
            query["data"] = data
        self.api.send_update({"callback_query": query})
        return query_id

    def add_bot_to_group(
        self, chat_id: int, title: str, *, by: int, members: list[int] | None = None,
        status: str = "member", before: str = "left",
    ) -> dict[str, Any]:
        """User `by` adds the bot to a group (a `my_chat_member` update, as Telegram sends);
        `status`/`before` give other changes (made an administrator, removed)."""
        chat = self.api.add_group(chat_id, title, members=[by, *(members or [])])
        bot = self.api.bot_user
        new: dict[str, Any] = {"user": bot, "status": status}
        change = {
            "chat": chat, "from": self.api.users[by], "date": int(self.clock.now().timestamp()),
            "old_chat_member": {"user": bot, "status": before}, "new_chat_member": new,
        }
        if status == "administrator":
            new.update(
                can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                can_delete_messages=False, can_manage_video_chats=False,
                can_restrict_members=False, can_promote_members=False, can_change_info=False,
                can_invite_users=False, can_post_stories=False, can_edit_stories=False,
                can_delete_stories=False)
        return self.api.send_update({"my_chat_member": change})

    async def expect(self, chat_id: int, timeout: float = PATIENCE) -> dict[str, Any]:
        return await self.api.next_message(chat_id, timeout=timeout)

    async def settled(self) -> None:
        """Wait until the bot has handled every update sent so far, with all it sends for them
        (instead of a sleep that assumes how fast the machine is): no update left at the fake
        API, none in PTB's queue, none in hand, for a few turns of the event loop in a row."""
        assert self.app is not None
        app = self.app
        calm = 0
        async with asyncio.timeout(60):  # only turns a hang into a failure
            while calm < 3:
                busy = (self.api._updates  # noqa: SLF001 - not yet fetched and confirmed
                        or not app.update_queue.empty()
                        or app.update_processor.current_concurrent_updates)
                calm = 0 if busy else calm + 1
                await asyncio.sleep(0.01)


async def put_target(session: Any, *, agency_id: int, year: int, metric: str, value: int) -> None:
    """Set a target row whatever the council file seeded for it."""
    from models import programme as programme_db
    from models.tables import Target

    target = await programme_db.get_target(
        session=session, agency_id=agency_id, year=year, metric=metric
    )
    if target is None:
        target = Target(agency_id=agency_id, year=year, metric=metric, value=value)
    target.value = value
    await programme_db.save_target(session=session, target=target)


async def clear_targets(session: Any) -> None:
    """Forget the targets the council file seeded, so a test sets exactly the ones it needs."""
    from sqlmodel import delete

    from models.tables import Target

    await session.exec(delete(Target))
