"""`itda webhook`: updates pushed by Telegram over HTTPS (terminated by a reverse proxy).

Telegram sends every update with the secret token given to setWebhook in the header
`X-Telegram-Bot-Api-Secret-Token`; a request with a wrong or missing token gets 403 and is
never processed. Accepted updates go into the application's update queue, the same path as in
long polling (update_id deduplication, per-chat ordering, state saved on every step).

Several webhook processes may share one PostgreSQL database behind a load balancer: before each
update a process reads the chat's conversation state and user data from the database (see
`ItdaApplication.process_update` and `DatabasePersistence.refresh_*`), so alternate updates of
one form may reach different processes.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from adapters.context import ItdaApplication
from adapters.leadership import step_down

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def webhook_path(public_url: str) -> str:
    return urlsplit(public_url).path or "/"


def make_webhook_app(app: ItdaApplication, *, secret: str, path: str = "/") -> web.Application:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook request with a wrong or missing secret token refused")
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            update = Update.de_json(data, app.bot)
        except (ValueError, TypeError, KeyError, json.JSONDecodeError):
            return web.Response(status=400, text="not an update")
        if update is None:
            return web.Response(status=400, text="not an update")
        await app.update_queue.put(update)
        return web.Response(status=200, text="ok")

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok" if app.running else "starting")

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(path, receive)
    web_app.router.add_get("/healthz", health)
    return web_app


async def start_webhook_server(
    app: ItdaApplication, *, secret: str, path: str, host: str, port: int
) -> web.AppRunner:
    runner = web.AppRunner(make_webhook_app(app, secret=secret, path=path), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


async def serve(
    app: ItdaApplication, *, public_url: str, secret: str, host: str, port: int
) -> None:
    """Run until SIGTERM/SIGINT: start the bot, register the webhook, serve, then stop cleanly."""
    from bot.app import on_startup

    await app.initialize()
    await on_startup(app)
    await app.start()
    runner = await start_webhook_server(
        app, secret=secret, path=webhook_path(public_url), host=host, port=port
    )
    await app.bot.set_webhook(
        url=public_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
    )
    log.info("serving the webhook on %s:%s", host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("stopping: finishing the updates in hand")
        await runner.cleanup()  # no new updates; Telegram keeps them until a process answers
        if app.running:
            await app.stop()
        await app.shutdown()
        await step_down(app.runtime)  # another process may send the reminders now
        await app.runtime.close()
