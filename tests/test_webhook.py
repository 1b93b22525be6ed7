"""Webhook mode: the secret token is checked, and several processes on one database serve
alternate updates of one conversation (state read from the database for every update)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlmodel import select

from adapters.context import ItdaApplication
from bot.app import build_application, on_startup
from bot.webhook import SECRET_HEADER, start_webhook_server
from bot.wiring import create_runtime, prepare_database
from core.clock import FrozenClock
from core.config import ConfigError, Settings
from models.tables import ConversationState
from testing.fakeapi import FakeBotAPI
from tests.harness import make_settings
from tests.test_process_lifecycle import main_cli

SECRET = "s3cret-token_for-tests"
ADMIN = 1


class Node:
    """One bot process in webhook mode (here: one Application with its own web server)."""

    def __init__(self, app: ItdaApplication, runner: web.AppRunner) -> None:
        self.app, self.runner = app, runner
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/hook"

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with httpx.AsyncClient() as client:
            response = await client.post(self.url, json=update, headers=headers)
        return response.status_code


async def start_node(settings: Settings, clock: FrozenClock) -> Node:
    runtime = create_runtime(settings, clock)
    await prepare_database(runtime)
    app = build_application(runtime)
    await app.initialize()
    await on_startup(app)
    await app.start()
    runner = await start_webhook_server(app, secret=SECRET, path="/hook", host="127.0.0.1", port=0)
    return Node(app, runner)


async def stop_node(node: Node) -> None:
    await node.runner.cleanup()
    await node.app.stop()
    await node.app.shutdown()
    await node.app.runtime.close()


async def saved(node: Node, name: str, state: int | None) -> None:
    """Wait until the node has written the conversation state (right after its reply);
    None: until the conversation is over (no row)."""
    for _ in range(500):  # a bound that only turns a hang into a failure
        async with node.app.runtime.session() as s:
            rows = (await s.exec(select(ConversationState).where(
                ConversationState.name == name))).all()
        if any(json.loads(r.state) == state for r in rows) or (state is None and not rows):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"state {state} of {name} never saved")


@pytest.fixture
async def nodes(
    api: FakeBotAPI, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[tuple[Node, Node]]:
    settings = make_settings(tmp_path, TELEGRAM_API_URL=api.url, ADMIN_IDS="1")
    first = await start_node(settings, clock)
    second = await start_node(settings, clock)
    try:
        yield first, second
    finally:
        await stop_node(first)
        await stop_node(second)


async def test_secret_token_is_required(nodes: tuple[Node, Node], api: FakeBotAPI) -> None:
    node, _ = nodes
    api.add_user(ADMIN, "Admin")
    update = api.send_text(ADMIN, "/whoami")
    assert await node.post(update, secret=None) == 403
    assert await node.post(update, secret="wrong") == 403
    with pytest.raises(TimeoutError):
        await api.next_message(ADMIN, timeout=0.5)
    assert await node.post(update) == 200
    reply = await api.next_message(ADMIN)
    assert "관리자" in reply["text"]
    # Telegram retries a delivery it thinks failed: the repeat changes nothing.
    assert await node.post(update) == 200
    with pytest.raises(TimeoutError):
        await api.next_message(ADMIN, timeout=0.5)


async def test_two_processes_serve_alternate_steps_of_one_form(
    nodes: tuple[Node, Node], api: FakeBotAPI
) -> None:
    first, second = nodes
    api.add_user(ADMIN, "Admin")
    assert await first.post(api.send_text(ADMIN, "/invite")) == 200
    agencies = await api.next_message(ADMIN)
    await saved(first, "invite", 0)  # a person reads before tapping; the step is saved by then
    tap = api.press(ADMIN, agencies, api.button(agencies, "천안새일센터"))
    assert await second.post(tap) == 200
    roles = await api.next_message(ADMIN)
    assert api.buttons(roles), roles["text"]
    await saved(second, "invite", 1)
    assert await first.post(api.press(ADMIN, roles, api.button(roles, "담당자"))) == 200
    done = await api.next_message(ADMIN)
    assert "t.me/itda_test_bot?start=" in done["text"], done["text"]
    # The form is over for both processes: a cancel on either finds nothing open.
    await saved(first, "invite", None)
    assert await second.post(api.send_text(ADMIN, "/cancel")) == 200
    nothing = await api.next_message(ADMIN)
    assert "취소할 입력이 없어요" in nothing["text"]


async def test_webhook_command_needs_url_and_secret(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with pytest.raises(ConfigError, match="WEBHOOK_URL"):
        main_cli(["webhook"], settings)
    settings = make_settings(tmp_path, WEBHOOK_URL="https://bot.example.org/hook")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        main_cli(["webhook"], settings)
