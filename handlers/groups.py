"""/register_group: a coordinator makes this group the council's group chat (there is one:
registering a second asks to move it, and the old one gets no more reminders)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, ChatMemberHandler, CommandHandler

from adapters.context import ItdaContext
from core.errors import DomainError
from core.text import escape
from handlers.common import Refused, answer, attempt, call, explain, keyboard, requires, say
from services import groups

log = logging.getLogger(__name__)

MOVE, KEEP = "grp:move", "grp:keep"


@requires("register_group")
async def register_group(update: Update, context: ItdaContext) -> None:
    """Register the group (idempotent: a second time says it is already registered); with the
    council group elsewhere, ask to move it here."""
    chat = update.effective_chat
    assert chat is not None
    try:
        group, created = await call(
            update, context, groups.register_group, chat_id=chat.id, title=chat.title or ""
        )
    except DomainError as error:
        if error.key != "group.other_registered":
            await explain(update, context, error)
            return
        markup = keyboard([[(context.tr("group.btn_move"), MOVE),
                            (context.tr("group.btn_keep"), KEEP)]])
        text = context.tr("group.confirm_move", **error.shown, here=escape(chat.title or ""))
        await say(update, context, text, markup)
        return
    key = "group.registered" if created else "group.already"
    await say(update, context, context.tr(key, title=escape(group.title)))


async def move_here(update: Update, context: ItdaContext) -> None:
    """이 그룹으로 옮기기: this group becomes the council group (the coordinator is checked
    again); the old group is told it gets no more reminders."""
    await answer(update)
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        await say(update, context, context.tr("stale.text"))
        return
    before = await attempt(update, context, groups.other_council_group, chat_id=chat.id)
    if isinstance(before, Refused):
        return
    done = await attempt(update, context, groups.register_group, chat_id=chat.id,
                         title=chat.title or "", move=True)
    if isinstance(done, Refused):
        return
    group, created = done
    here = escape(group.title)
    if not created or before is None:
        await say(update, context, context.tr("group.already", title=here), edit=True)
        return
    old = escape(before.title)
    await say(update, context, context.tr("group.moved", here=here, title=old), edit=True)
    try:
        await context.bot.send_message(before.chat_id, context.tr("group.moved_away", here=here))
    except TelegramError as exc:  # the bot may have left the old group: nothing to tell
        log.info("old council group %s not told of the move: %s", before.chat_id,
                 type(exc).__name__)


async def keep_old(update: Update, context: ItdaContext) -> None:
    """그대로 두기: nothing changes."""
    await answer(update)
    await say(update, context, context.tr("group.kept"), edit=True)


OUT = frozenset({ChatMember.LEFT, ChatMember.BANNED})
IN = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


async def bot_added(update: Update, context: ItdaContext) -> None:
    """The bot was added to a group: say once what it does there and how the group is
    registered (not again when it is made an administrator, or on its removal)."""
    change = update.my_chat_member
    chat = update.effective_chat
    if change is None or chat is None or chat.type == ChatType.PRIVATE:
        return
    if change.old_chat_member.status not in OUT or change.new_chat_member.status not in IN:
        return
    registered = await attempt(update, context, groups.is_registered, chat_id=chat.id)
    lines = [context.tr("group.welcome")]
    if registered is not True:
        lines.append(context.tr("group.not_registered"))
    await say(update, context, "\n\n".join(lines))


HANDLERS: list[BaseHandler[Any, Any, Any]] = [
    ChatMemberHandler(bot_added, ChatMemberHandler.MY_CHAT_MEMBER),
    CommandHandler("register_group", register_group),
    CallbackQueryHandler(move_here, pattern=rf"^{MOVE}$"),
    CallbackQueryHandler(keep_old, pattern=rf"^{KEEP}$"),
]
