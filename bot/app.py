"""The application factory: python-telegram-bot wired to ITDA's runtime, handlers and jobs."""

from __future__ import annotations

import gc
import logging
from typing import Any

from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from adapters import menus
from adapters.context import ItdaApplication, ItdaContext
from adapters.delivery import ItdaBot
from adapters.persistence import DatabasePersistence
from adapters.request import AiohttpRequest
from adapters.runtime import Runtime
from adapters.updates import PerChatUpdateProcessor
from handlers import register_handlers
from models import delivery as delivery_db

log = logging.getLogger(__name__)


# Updates handled at once (one at a time per chat, bot/updates.py). Most of an update's time is
# spent waiting for Telegram (about 250 ms a call from Korea, two or three calls a step), so at
# 100 updates a second some 200 are in flight: 64 places made them queue (docs/PERFORMANCE.md).
CONCURRENT_UPDATES = 256
# Keep-alive connections to the Bot API: every update in flight, the reminder sender's window
# and the new-opening notices may each wait for an answer at the same time.
API_CONNECTIONS = 384


def build_bot(runtime: Runtime, *, token: str | None = None) -> ItdaBot:
    settings = runtime.settings
    timeout = settings.request_timeout
    bot = ItdaBot(
        token=token or settings.token(),
        base_url=settings.bot_base_url,
        base_file_url=settings.file_base_url,
        defaults=Defaults(tzinfo=runtime.clock.tz, parse_mode=ParseMode.HTML),
        # aiohttp rather than httpx: httpx's pool took a third of the bot's CPU under load
        # (docs/PERFORMANCE.md).
        request=AiohttpRequest(
            connection_pool_size=API_CONNECTIONS, read_timeout=timeout, write_timeout=timeout,
            connect_timeout=min(timeout, 5.0),
        ),
        get_updates_request=AiohttpRequest(connection_pool_size=1, read_timeout=40),
    )

    async def blocked(chat_id: int) -> None:
        async with runtime.session() as session:
            marked = await delivery_db.mark_blocked(
                session=session, telegram_id=chat_id, at=runtime.clock.now()
            )
        if marked:
            log.info("user %s has blocked the bot; marked", chat_id)

    bot.report_blocked_to(blocked)
    return bot


def build_application(runtime: Runtime, *, token: str | None = None) -> ItdaApplication:
    builder: Any = (
        ApplicationBuilder()
        .application_class(ItdaApplication, kwargs={"runtime": runtime})
        .bot(build_bot(runtime, token=token))
        .context_types(ContextTypes(context=ItdaContext))
        .persistence(DatabasePersistence(runtime.sessions))
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
    )
    app: ItdaApplication = builder.build()
    register_handlers(app)
    return app


async def on_startup(app: Application) -> None:
    """After initialize: command menus (scheduler jobs are added by the scheduler package)."""
    try:
        await menus.set_default_menus(app.bot)
    except Exception as exc:  # noqa: BLE001 - a menu is a nicety; the bot still serves
        log.warning("could not set the command menus: %s", type(exc).__name__)
    from scheduler import install_jobs

    install_jobs(app)
    from handlers.form_faults import resume_open_forms

    try:  # a form screen written just before a crash is shown again (see handlers.forms)
        await resume_open_forms(app)
    except Exception as exc:  # noqa: BLE001 - resuming is a courtesy; the bot still serves
        log.warning("could not resume open forms: %s", type(exc).__name__)


def freeze_startup_heap() -> None:
    """Leave what start-up built (modules, handlers, SQLAlchemy's mappings) out of the garbage
    collector's full passes. Those passes walk every object of the process: with all of
    start-up in them each took 80-125 ms, and every update in flight waited for it (the
    benchmark's p99 latency, docs/PERFORMANCE.md). Called once by the long-running commands
    (`itda run`, `itda webhook`), after start-up."""
    gc.collect()
    gc.freeze()


async def on_shutdown(app: Application) -> None:
    await app.runtime.close()  # type: ignore[attr-defined]


async def start_polling(app: ItdaApplication, *, poll_timeout: int = 10) -> None:
    """Start like `run_polling` does, for callers that own the event loop (tests, sandbox)."""
    await app.initialize()
    await on_startup(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0.0, timeout=poll_timeout, drop_pending_updates=False
    )


async def stop_polling(app: ItdaApplication) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    await app.runtime.close()
