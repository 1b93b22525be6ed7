"""The real `itda` command as a subprocess: it connects with a token, and bad settings exit 2."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from testing.fakeapi import FakeBotAPI
from tests.harness import TOKEN

ITDA = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parent.parent


def env_for(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ITDA_", "ADMIN_"))}
    env.pop("DATABASE_URL", None)
    env.pop("TELEGRAM_API_URL", None)
    env.update({"ITDA_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)})
    env.update(values)
    return env


async def test_run_connects_and_answers(api: FakeBotAPI, tmp_path: Path) -> None:
    env = env_for(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url, ADMIN_IDS="1")
    proc = await asyncio.create_subprocess_exec(
        *ITDA,
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await api.wait_for(lambda c: c.method == "getUpdates", timeout=180)
        api.add_user(1, "Admin")
        api.send_text(1, "/whoami")
        reply = await api.next_message(1, timeout=60)
        assert "관리자" in reply["text"]
        menus = [c for c in api.calls if c.method == "setMyCommands"]
        assert menus, "the command menus were set at start"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    logs = out.decode() + err.decode()
    assert TOKEN not in logs and "TEST-TOKEN" not in logs
    assert (tmp_path / "data" / "itda.db").exists()


@pytest.mark.parametrize(
    ("values", "setting"),
    [
        ({}, "BOT_TOKEN"),
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN"),
        ({"BOT_TOKEN": TOKEN, "ADMIN_IDS": "12,abc"}, "ADMIN_IDS"),
        ({"BOT_TOKEN": TOKEN, "TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "ftp://example"}, "TELEGRAM_API_URL"),
        ({"BOT_TOKEN": TOKEN, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"BOT_TOKEN": TOKEN, "INVITE_DAYS": "0"}, "INVITE_DAYS"),
    ],
)
async def test_bad_settings_exit_2_with_one_line(
    tmp_path: Path, values: dict[str, str], setting: str
) -> None:
    proc = await asyncio.create_subprocess_exec(
        *ITDA,
        "run",
        cwd=tmp_path,
        env=env_for(tmp_path, **values),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert setting in lines[0] and "expected" in lines[0]
    assert "Traceback" not in err.decode() and TOKEN not in err.decode()


async def test_help_and_db_upgrade(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *ITDA, "--help", cwd=tmp_path, env=env_for(tmp_path), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0 and b"sandbox" in out and b"seed" in out
    proc = await asyncio.create_subprocess_exec(
        *ITDA,
        "seed",
        "--demo",
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0 and b"18 agencies" in out
