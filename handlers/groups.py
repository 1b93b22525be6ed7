"""/register_group: a coordinator makes this group the council's group chat."""

from __future__ import annotations

import html
from typing import Any

from telegram import Update
from telegram.ext import CommandHandler

from adapters.context import ItdaContext
from core.errors import DomainError
from handlers.common import actor, explain, requires, say
from services import groups


@requires("register_group")
async def register_group(update: Update, context: ItdaContext) -> None:
    """Register the group (idempotent: a second time says it is already registered)."""
    chat = update.effective_chat
    assert chat is not None
    try:
        async with context.runtime.session() as session:
            group, created = await groups.register_group(
                session=session,
                clock=context.runtime.clock,
                actor=actor(update, context),
                chat_id=chat.id,
                title=chat.title or "",
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    key = "group.registered" if created else "group.already"
    await say(update, context, context.tr(key, title=html.escape(group.title)))


HANDLERS: list[CommandHandler[Any, Any]] = [CommandHandler("register_group", register_group)]
