"""The application factory: python-telegram-bot wired to ITDA's runtime, handlers and jobs."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from adapters import menus
from adapters.context import ItdaApplication, ItdaContext
from adapters.delivery import ItdaBot
from adapters.leadership import step_down
from adapters.persistence import DatabasePersistence
from adapters.request import AiohttpRequest
from adapters.runtime import Runtime
from adapters.updates import PerChatUpdateProcessor
from core import calendar
from core.config import Settings
from handlers import register_handlers
from models import delivery as delivery_db
from models.locks import AdvisoryLocks

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


EXIT_TELEGRAM_UNREACHABLE = 1
EXIT_TOKEN_REJECTED = 2  # a setting is wrong, like any other configuration error
FIRST_RETRY = 1.0
LONGEST_RETRY = 15.0


class StartupProblem(Exception):
    """Telegram refused the bot or could not be reached at start: one line, an exit status."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _cause(exc: BaseException, token: str) -> str:
    """What went wrong, in one line, without the token (a URL in an error may contain it)."""
    inner = exc.__cause__ or exc
    text = " ".join(str(inner).split()) or type(inner).__name__
    if not isinstance(inner, TelegramError):
        text = f"{type(inner).__name__}: {text}"
    return text.replace(token, "<token>")


async def check_telegram(settings: Settings, token: str) -> str:
    """Ask Telegram who the bot is (getMe) before anything else starts; the bot's username.

    A rejected token raises `StartupProblem` at once (exit 2, naming BOT_TOKEN, never showing
    it); an unreachable server is retried, each try logged with the URL and the cause, until
    STARTUP_WAIT seconds have passed (exit 1). Once running, the bot retries for ever instead
    (adapters.delivery). Every client opened here is closed here."""
    url = settings.telegram_api_url
    deadline = time.monotonic() + settings.startup_wait
    delay = FIRST_RETRY
    while True:
        timeout = settings.request_timeout
        bot = Bot(
            token, base_url=settings.bot_base_url, base_file_url=settings.file_base_url,
            request=AiohttpRequest(connection_pool_size=1, read_timeout=timeout,
                                   write_timeout=timeout, connect_timeout=min(timeout, 5.0)),
        )
        try:
            async with bot:  # initialize() calls getMe; leaving closes the HTTP session
                return bot.username
        except InvalidToken as exc:
            answer = _cause(exc, token)
            if "not found" in answer.lower():  # 404: a wrong server path, or a wrong token
                raise StartupProblem(
                    f"BOT_TOKEN or TELEGRAM_API_URL is wrong: {url} answered {answer!r} to "
                    "getMe; check both settings", EXIT_TOKEN_REJECTED,
                ) from None
            raise StartupProblem(
                f"BOT_TOKEN was rejected by Telegram at {url} ({answer}): copy the token "
                "from @BotFather again (/mybots → API Token)", EXIT_TOKEN_REJECTED,
            ) from None
        except NetworkError as exc:  # TimedOut included
            cause = _cause(exc, token)
            left = deadline - time.monotonic()
            if left <= 0:
                raise StartupProblem(
                    f"Telegram is unreachable at {url} (TELEGRAM_API_URL): {cause}; gave up "
                    f"after {settings.startup_wait:g} s (STARTUP_WAIT)",
                    EXIT_TELEGRAM_UNREACHABLE,
                ) from None
            wait = min(delay, left)
            log.warning("Telegram is unreachable at %s: %s; retrying in %.0f s", url, cause, wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, LONGEST_RETRY)


def shared_locks(runtime: Runtime) -> AdvisoryLocks | None:
    """Per-chat turns across processes: needed (and possible) only on PostgreSQL."""
    if runtime.engine.dialect.name != "postgresql":
        return None
    return AdvisoryLocks(runtime.engine)


def build_application(runtime: Runtime, *, token: str | None = None) -> ItdaApplication:
    builder: Any = (
        ApplicationBuilder()
        .application_class(ItdaApplication, kwargs={"runtime": runtime})
        .bot(build_bot(runtime, token=token))
        .context_types(ContextTypes(context=ItdaContext))
        .persistence(DatabasePersistence(runtime.sessions))
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES, shared_locks(runtime)))
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
    )
    app: ItdaApplication = builder.build()
    register_handlers(app)
    return app


async def on_startup(app: Application) -> None:
    """After initialize: the holiday calendar, command menus (scheduler jobs are added by the
    scheduler package)."""
    calendar.prepare(app.runtime.clock.today())  # type: ignore[attr-defined]
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
    await step_down(app.runtime)  # type: ignore[attr-defined]
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
    await step_down(app.runtime)  # post_shutdown runs only under run_polling: let go here too
    await app.runtime.close()
