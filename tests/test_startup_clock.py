"""ITDA_NOW: the bot's clock starts at a chosen moment and runs on in real time (issue 14)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import build_parser
from bot.wiring import clock_for, clock_warning
from core import calendar
from core.clock import FrozenClock, StartedClock, SystemClock
from core.config import ConfigError, load_settings
from testing.fakeapi import FakeBotAPI
from tests.harness import BotHarness, make_settings
from tests.test_run_command import ITDA, env_for

KST = ZoneInfo("Asia/Seoul")


def test_started_clock_begins_at_the_moment_and_runs_forward() -> None:
    start = datetime(2026, 9, 1, 10, 0, tzinfo=KST)
    clock = StartedClock(start, KST)
    first = clock.now()
    assert start <= first < start + timedelta(seconds=5)
    time.sleep(0.05)
    later = clock.now()
    assert later - first >= timedelta(seconds=0.04)  # it runs, at the real pace
    assert later.tzinfo == KST and clock.today().isoformat() == "2026-09-01"


def test_started_clock_reads_a_moment_in_another_offset_in_the_council_zone() -> None:
    clock = StartedClock(datetime.fromisoformat("2026-09-01T01:00:00+00:00"), KST)
    assert clock.now().hour == 10 and clock.now().utcoffset() == timedelta(hours=9)


def test_itda_now_setting_picks_the_started_clock(tmp_path: Path) -> None:
    settings = load_settings(ITDA_NOW="2027-03-02T10:00:00+09:00", ITDA_DATA_DIR=tmp_path)
    clock = clock_for(settings)
    assert isinstance(clock, StartedClock)
    assert clock.today().isoformat() == "2027-03-02"
    warning = clock_warning(settings)
    assert warning is not None and "2027-03-02T10:00:00+09:00" in warning
    plain = load_settings(ITDA_DATA_DIR=tmp_path)
    assert isinstance(clock_for(plain), SystemClock) and clock_warning(plain) is None


@pytest.mark.parametrize("value", ["2026-09-01T10:00", "tomorrow", "2026-13-01T10:00+09:00"])
def test_itda_now_without_offset_or_malformed_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="ITDA_NOW is malformed: expected an ISO timestamp"):
        load_settings(ITDA_NOW=value, ITDA_DATA_DIR=tmp_path)


def test_sandbox_at_takes_a_local_time() -> None:
    args = build_parser().parse_args(["sandbox", "--at", "2026-09-01T10:00"])
    assert args.at == datetime(2026, 9, 1, 10, 0)
    assert build_parser().parse_args(["sandbox"]).at is None


async def test_itda_run_with_a_malformed_itda_now_exits_2_in_one_line(tmp_path: Path) -> None:
    env = env_for(tmp_path, BOT_TOKEN="123456:" + "A" * 35, ITDA_NOW="2026-09-01 10h")
    proc = await asyncio.create_subprocess_exec(
        *ITDA, "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "ITDA_NOW" in lines[0], lines


async def test_the_holiday_calendar_is_loaded_at_start_up_for_the_clocks_year(
    api: FakeBotAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading it takes 150-600 ms; in the first reminder pass it held up every update."""
    loaded: list[int] = []
    original = calendar._korean_holidays  # noqa: SLF001 - the cached loader, watched

    def watched(year: int) -> object:
        loaded.append(year)
        return original(year)

    monkeypatch.setattr(calendar, "_korean_holidays", watched)
    clock = FrozenClock(datetime(2031, 12, 30, 10, 0, tzinfo=KST))
    harness = BotHarness(api, make_settings(tmp_path, TELEGRAM_API_URL=api.url), clock)
    await harness.start()
    try:
        assert loaded[:2] == [2031, 2032]
    finally:
        await harness.stop()
