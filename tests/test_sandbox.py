"""`itda sandbox` driven through its terminal, as a person would type."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.test_run_command import ITDA, env_for

AT = "2026-09-01T10:00"  # the sandbox's clock, whatever today's date


async def sandbox(tmp_path: Path, lines: list[str], *options: str) -> str:
    """One `itda sandbox` session fed `lines`; everything it printed."""
    proc = await asyncio.create_subprocess_exec(
        *ITDA, "sandbox", "--at", AT, *options, cwd=tmp_path, env=env_for(tmp_path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    script = "\n".join(lines) + "\n"
    # Minutes, not seconds: a whole sandbox (demo seed, bot, fake Telegram) on a busy machine.
    out, err = await asyncio.wait_for(proc.communicate(script.encode()), timeout=900)
    assert proc.returncode == 0, err.decode()
    for noise in ("Traceback", "Unclosed client session", "never awaited"):
        assert noise not in err.decode(), err.decode()[-3000:]
    return out.decode()


async def test_sandbox_session_and_a_second_run_without_fresh(tmp_path: Path) -> None:
    text = await sandbox(
        tmp_path,
        [":as coordinator", "/help", "/invite", ":tap 10", ":tap 1", ":as saeil", "/whoami",
         ":group", "/help", ":quit"],
        "--fresh",
    )
    assert "시계: 2026-09-01 10:00에서 시작해" in text
    assert "/members" in text  # the coordinator's help
    assert "천안여성새로일하기센터: 어떤 역할로" in text  # tapped the agency button
    assert "초대 링크를 만들었어요" in text and "?start=" in text
    assert "소속: 천안여성새로일하기센터" in text  # /whoami as the 새일센터 user
    assert (tmp_path / "data" / "sandbox.db").exists()

    # The second run keeps the data and answers from its first input (its fake Telegram
    # numbers updates from 1 again).
    again = await sandbox(tmp_path, [":as saeil", "/whoami", ":quit"])
    assert "소속: 천안여성새로일하기센터" in again
