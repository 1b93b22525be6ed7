"""Start-up and shutdown say what is wrong in one line: the real `itda run` as a process
(issue 14)."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from pathlib import Path

from testing.fakeapi import FakeBotAPI
from tests.harness import TOKEN
from tests.test_process_lifecycle import PINNED_NOW, SHUTDOWN_NOISE
from tests.test_run_command import ITDA, ROOT, env_for

OTHER_TOKEN = "987654:" + "R" * 35  # well formed, and not the token the fake API knows


async def itda_run(tmp_path: Path, timeout: float = 180, **values: str) -> tuple[int, str]:  # noqa: ASYNC109
    """`itda run` to its end: the exit status and everything it wrote (stdout and stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *ITDA, "run", cwd=tmp_path, env=env_for(tmp_path, ITDA_NOW=PINNED_NOW, **values),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def without_clock_warning(output: str) -> list[str]:
    return [line for line in output.strip().splitlines() if "ITDA_NOW is set" not in line]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


async def test_a_rejected_token_is_one_line_naming_bot_token_and_exit_2(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    code, output = await itda_run(tmp_path, BOT_TOKEN=OTHER_TOKEN, TELEGRAM_API_URL=api.url)
    assert code == 2, output
    lines = without_clock_warning(output)
    assert len(lines) == 1, lines
    assert "BOT_TOKEN was rejected" in lines[0] and api.url in lines[0]
    assert OTHER_TOKEN not in output and OTHER_TOKEN.split(":")[1] not in output
    assert not [noise for noise in SHUTDOWN_NOISE if noise in output]
    assert not (tmp_path / "data" / "itda.db").exists(), "nothing was done with a wrong token"


async def test_the_placeholder_token_of_env_example_is_refused(tmp_path: Path) -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    placeholder = next(
        line.split("=", 1)[1].split("#")[0].strip() for line in example.splitlines()
        if line.startswith("BOT_TOKEN=")
    )
    code, output = await itda_run(tmp_path, BOT_TOKEN=placeholder)
    assert code == 2
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "BOT_TOKEN" in lines[0] and ".env.example" in lines[0], lines
    assert placeholder not in output and "Traceback" not in output


async def test_an_unreachable_telegram_is_retried_with_url_and_cause_then_exit_1(
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    began = time.monotonic()
    code, output = await itda_run(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url,
                                  STARTUP_WAIT="3")
    took = time.monotonic() - began
    assert code == 1, output
    lines = without_clock_warning(output)
    retries, last = lines[:-1], lines[-1]
    assert retries and all(url in line and "Cannot connect" in line for line in retries), lines
    assert last.startswith("itda: Telegram is unreachable at " + url) and "Cannot connect" in last
    assert "STARTUP_WAIT" in last
    assert took < 120, "a bounded wait (3 s and the start of Python)"
    assert not [noise for noise in SHUTDOWN_NOISE if noise in output]
    assert TOKEN not in output


async def test_a_database_in_a_missing_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "itda.db"
    code, output = await itda_run(
        tmp_path, BOT_TOKEN=TOKEN, DATABASE_URL=f"sqlite+aiosqlite:///{missing}"
    )
    assert code == 2
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and str(missing.parent) in lines[0]
    assert not missing.parent.exists(), "the folder was not created behind the operator's back"


async def test_a_stop_with_sigint_leaves_no_unclosed_session_or_unawaited_coroutine(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    proc = await asyncio.create_subprocess_exec(
        *ITDA, "run", cwd=tmp_path,
        env=env_for(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url, ITDA_NOW=PINNED_NOW),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await api.wait_for(lambda c: c.method == "getUpdates", timeout=180)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    output = out.decode()
    assert proc.returncode == 0, output
    assert not [noise for noise in SHUTDOWN_NOISE if noise in output], output[-3000:]
    warnings = [line for line in output.splitlines() if "ITDA_NOW is set" in line]
    assert len(warnings) == 1, "one warning line when the clock is pinned"
