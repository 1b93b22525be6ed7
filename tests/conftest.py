from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adapters.runtime import Runtime
from bot.wiring import create_runtime, prepare_database
from core.clock import FrozenClock
from testing.fakeapi import FakeBotAPI
from tests.harness import (
    PG_MODE,
    SEOUL_START,
    TOKEN,
    BotHarness,
    drop_test_databases,
    make_settings,
)


@pytest.fixture(autouse=True)
def _fresh_databases() -> Iterator[None]:
    """In PostgreSQL mode, drop the databases a test created (after its other fixtures)."""
    yield
    if PG_MODE:
        drop_test_databases()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(SEOUL_START)


@pytest.fixture
async def runtime(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Runtime]:
    """A prepared database and the services of one process, without Telegram (service tests)."""
    rt = create_runtime(make_settings(tmp_path), clock)
    await prepare_database(rt)
    yield rt
    await rt.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN, bot_username="itda_test_bot")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def harness(
    api: FakeBotAPI, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[BotHarness]:
    settings = make_settings(tmp_path, TELEGRAM_API_URL=api.url, ADMIN_IDS="1")
    h = BotHarness(api, settings, clock)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
