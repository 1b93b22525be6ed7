"""`itda run` as a real process: SIGTERM, kill -9, a second instance, 409 Conflict, backup."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from bot.instance import sqlite_path
from core.config import Settings
from testing.fakeapi import FakeBotAPI
from tests.harness import TOKEN, BotHarness
from tests.test_run_command import ITDA, env_for

ADMIN = 1
ADMIN_NAME = "홍길동"  # must never appear in the bot's output
PINNED_NOW = "2026-09-08T10:30:00+09:00"  # a Tuesday of the season
# What a stop must never print (issue 14).
SHUTDOWN_NOISE = ("Unclosed client session", "Unclosed connector", "never awaited", "Traceback")


class Bot:
    """One `itda run` process against the fake API, on the data folder of the test."""

    def __init__(self, api: FakeBotAPI, tmp_path: Path) -> None:
        self.api, self.tmp_path = api, tmp_path
        # The process's clock is pinned in the season (ITDA_NOW), never the wall clock's date;
        # no reminder passes either, so no notice lands among the messages this test reads.
        self.env = env_for(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url, ADMIN_IDS="1",
                           REMINDER_INTERVAL="0", ITDA_NOW=PINNED_NOW)
        self.proc: asyncio.subprocess.Process | None = None
        self.output = ""
        self.started_in = 0.0

    async def start(self) -> asyncio.subprocess.Process:
        polls = self.api._poll_generation  # noqa: SLF001 - counts getUpdates as they arrive
        proc = await asyncio.create_subprocess_exec(
            *ITDA, "run", cwd=self.tmp_path, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        self.proc = proc
        began = time.monotonic()
        deadline = began + 60
        while self.api._poll_generation == polls:  # noqa: SLF001
            assert proc.returncode is None, "itda run exited at start"
            assert time.monotonic() < deadline, "itda run did not start polling"
            await asyncio.sleep(0.05)
        self.started_in = time.monotonic() - began  # this machine's speed, measured here
        return proc

    async def finish(self, timeout: float = 15) -> tuple[int, float]:  # noqa: ASYNC109
        assert self.proc is not None
        began = time.monotonic()
        out, _ = await asyncio.wait_for(self.proc.communicate(), timeout=timeout)
        self.output += out.decode()
        assert self.proc.returncode is not None
        return self.proc.returncode, time.monotonic() - began


def conversation_state(tmp_path: Path, name: str) -> str | None:
    db = sqlite3.connect(tmp_path / "data" / "itda.db")
    try:
        row = db.execute("SELECT state FROM conversationstate WHERE name = ?", (name,)).fetchone()
    finally:
        db.close()
    return row[0] if row else None


async def until_state(tmp_path: Path, name: str, state: str, timeout: float = 5) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while conversation_state(tmp_path, name) != state:
        assert time.monotonic() < deadline, f"conversation {name} never reached {state}"
        await asyncio.sleep(0.05)


def invites(tmp_path: Path) -> int:
    db = sqlite3.connect(tmp_path / "data" / "itda.db")
    try:
        return int(db.execute("SELECT count(*) FROM invite").fetchone()[0])
    finally:
        db.close()


async def test_kill_9_mid_form_resumes_and_a_second_instance_refuses(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    api.add_user(ADMIN, ADMIN_NAME)
    bot = Bot(api, tmp_path)
    await bot.start()
    api.send_text(ADMIN, "/invite")
    agencies = await api.next_message(ADMIN, timeout=60)
    api.press(ADMIN, agencies, api.button(agencies, "천안새일센터"))
    roles = await api.next_message(ADMIN, timeout=60)
    assert api.buttons(roles)
    await until_state(tmp_path, "invite", "1")  # the completed step is saved

    # A second `itda run` on the same database refuses, with a clear message and status 3.
    second = await asyncio.create_subprocess_exec(
        *ITDA, "run", cwd=tmp_path, env=bot.env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(second.communicate(), timeout=120)
    assert second.returncode == 3
    assert "already running" in err.decode() and "Traceback" not in err.decode()

    assert bot.proc is not None
    bot.proc.send_signal(signal.SIGKILL)
    code, _ = await bot.finish()
    assert code == -signal.SIGKILL

    await bot.start()
    done = await asyncio.wait_for(_press(api, roles, "담당자"), timeout=60)
    assert "t.me/itda_test_bot?start=" in done["text"], "the form resumed after kill -9"
    assert invites(tmp_path) == 1
    assert bot.proc is not None
    bot.proc.send_signal(signal.SIGTERM)
    code, _ = await bot.finish()
    assert code == 0
    assert ADMIN_NAME not in bot.output and TOKEN not in bot.output
    # Each start said once that the clock is not today's date.
    warnings = [line for line in bot.output.splitlines() if "ITDA_NOW is set" in line]
    assert len(warnings) == 2 and all(PINNED_NOW in line for line in warnings), warnings
    assert not [n for n in SHUTDOWN_NOISE if n in bot.output], bot.output[-3000:]


async def _press(api: FakeBotAPI, message: dict, label: str) -> dict:
    api.drain(ADMIN)
    api.press(ADMIN, message, api.button(message, label))
    return await api.next_message(ADMIN, timeout=60)


async def test_sigterm_finishes_the_update_in_hand_saves_state_and_stops_fast(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    api.add_user(ADMIN, ADMIN_NAME)
    bot = Bot(api, tmp_path)
    await bot.start()
    api.send_text(ADMIN, "/invite")
    agencies = await api.next_message(ADMIN, timeout=60)
    api.timeout_sleep = 2.0
    api.fail("editMessageText", error="timeout", chat_id=ADMIN)  # this step takes 2 s
    api.press(ADMIN, agencies, api.button(agencies, "아산새일센터"))
    await api.wait_for(lambda c: c.method == "answerCallbackQuery", timeout=60)
    assert bot.proc is not None
    bot.proc.send_signal(signal.SIGTERM)  # while the step is still in hand
    code, took = await bot.finish()
    assert code == 0, bot.output
    # It did not wait for its long poll (10 s): stopping took less than the step in hand plus
    # what starting took on this machine (importing, migrating: far more work than stopping).
    assert took < api.timeout_sleep + bot.started_in, (took, bot.started_in)
    roles = await api.next_message(ADMIN, timeout=1)
    assert api.buttons(roles), "the update in hand was finished before stopping"
    assert conversation_state(tmp_path, "invite") == "1", "and its state was saved"

    # Restarted, the form goes on; then another poller appears (Telegram's 409 Conflict).
    await bot.start()
    done = await _press(api, roles, "담당자")
    assert "t.me/itda_test_bot?start=" in done["text"]
    async with httpx.AsyncClient() as client:
        await client.post(f"{api.url}/bot{TOKEN}/getUpdates", json={"timeout": 0})
    code, _ = await bot.finish(timeout=60)
    assert code == 3
    assert "409 Conflict" in bot.output
    assert ADMIN_NAME not in bot.output
    assert not [n for n in SHUTDOWN_NOISE if n in bot.output], bot.output[-3000:]


async def test_backup_copies_the_database_while_the_bot_runs(
    harness: BotHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    await harness.add_member(7, "이수진", "saeil-cheonan", "staff")
    database = sqlite_path(harness.settings.effective_database_url)
    if database is None:  # PostgreSQL: pg_dump writes the copy (or the command is explained)
        code = await asyncio.to_thread(main_cli, ["backup"], harness.settings)
        out = capsys.readouterr().out
        if shutil.which("pg_dump"):
            assert code == 0 and ".dump" in out, out
        else:
            assert code != 0 and "pg_dump" in out, out
        return
    live = sqlite3.connect(database)  # a writer in the middle of a transaction
    live.execute("BEGIN IMMEDIATE")
    live.execute("UPDATE agency SET name = name || '-' WHERE id = 1")
    target = harness.tmp_copy = database.parent / "copy.db"  # type: ignore[attr-defined]
    code = await asyncio.to_thread(main_cli, ["backup", "--to", str(target)], harness.settings)
    live.rollback()
    live.close()
    assert code == 0
    assert str(target) in capsys.readouterr().out
    reply = await harness.send(7, "/whoami")  # the bot kept serving
    assert "이수진" in reply["text"]
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM agency").fetchone()[0] == 18
        assert copy.execute("SELECT count(*) FROM member").fetchone()[0] == 1
        assert not copy.execute("SELECT 1 FROM agency WHERE name LIKE '%-'").fetchall()
    finally:
        copy.close()


def main_cli(argv: list[str], settings: Settings) -> int:
    """Run an `itda` subcommand in this process with the test's settings."""
    from bot.cli import build_parser

    args = build_parser().parse_args(argv)
    return int(args.func(args, settings))
