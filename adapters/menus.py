"""Telegram command menus: per chat scope and language, and per member by role."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from locales import LANGUAGES, Translator
from models.tables import Agency, Member
from services import commands as command_table

log = logging.getLogger(__name__)


def menu(lang: str, *, role: str, agency_kind: str | None, chat: str) -> list[BotCommand]:
    tr = Translator(lang)
    specs = command_table.commands_for(role=role, agency_kind=agency_kind, chat=chat)
    return [BotCommand(s.name, tr(s.description_key)[:256]) for s in specs]


async def set_default_menus(bot: Bot) -> None:
    """Strangers' menu in private chats and the group menu, in Korean and in English."""
    for lang in LANGUAGES:
        code = None if lang == "ko" else lang
        private = menu(lang, role=command_table.GUEST, agency_kind=None, chat="private")
        group = menu(lang, role="coordinator", agency_kind=None, chat="group")
        await bot.set_my_commands(
            private, scope=BotCommandScopeAllPrivateChats(), language_code=code
        )
        await bot.set_my_commands(group, scope=BotCommandScopeAllGroupChats(), language_code=code)


async def set_member_menu(bot: Bot, member: Member, agency: Agency | None) -> None:
    """The member's own menu in their private chat, in their language; removed when inactive."""
    scope = BotCommandScopeChat(member.telegram_id)
    try:
        if not member.active:
            await bot.delete_my_commands(scope=scope)
            return
        commands = menu(
            member.language,
            role=member.role,
            agency_kind=agency.kind if agency else None,
            chat="private",
        )
        await bot.set_my_commands(commands, scope=scope)
    except TelegramError as exc:
        log.warning("could not set a member's menu: %s", type(exc).__name__)


def update_member_menu(application: Any, member: Member, agency: Agency | None) -> None:
    """`set_member_menu` in its own task: nothing the member sees waits for it, and the
    member's next message is not held behind it (updates of one chat are handled in order)."""
    application.create_task(
        set_member_menu(application.bot, member, agency), name="itda:member_menu"
    )
