"""`itda sandbox` driven through its terminal, as a person would type."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.test_run_command import ITDA, env_for


async def test_sandbox_session(tmp_path: Path) -> None:
    script = (
        "\n".join(
            [
                ":as coordinator",
                "/help",
                "/invite",
                ":tap 10",
                ":tap 1",
                ":as saeil",
                "/whoami",
                ":group",
                "/help",
                ":quit",
            ]
        )
        + "\n"
    )
    proc = await asyncio.create_subprocess_exec(
        *ITDA,
        "sandbox",
        "--fresh",
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(script.encode()), timeout=300)
    text = out.decode()
    assert proc.returncode == 0, err.decode()
    assert "/members" in text  # the coordinator's help
    assert "천안여성새로일하기센터: 어떤 역할로" in text  # tapped the agency button
    assert "초대 링크를 만들었어요" in text and "?start=" in text
    assert "소속: 천안여성새로일하기센터" in text  # /whoami as the 새일센터 user
    assert (tmp_path / "data" / "sandbox.db").exists()
    assert "Traceback" not in err.decode()
