"""The framework limit: a bare python-telegram-bot echo bot, nothing of ITDA in it.

Run as a separate process by the benchmark (``python -m bench.echo_bot``) with the environment
variables ``TELEGRAM_API_URL`` and ``BOT_TOKEN``. It echoes every text message and answers every
button press, with the same update concurrency as ITDA (see ``bot.app``) so that the ratio
ITDA ÷ echo compares the work done per update, not the scheduling.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from adapters.updates import PerChatUpdateProcessor


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await context.bot.send_message(message.chat_id, message.text)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


def build() -> Application:
    root = os.environ["TELEGRAM_API_URL"].rstrip("/")
    app = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .concurrent_updates(PerChatUpdateProcessor(64))
        .request(HTTPXRequest(connection_pool_size=64, read_timeout=15, write_timeout=15))
        .get_updates_request(HTTPXRequest(read_timeout=40))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


def main() -> None:
    build().run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


if __name__ == "__main__":
    main()
