"""/members: coordinators see members per agency and can deactivate one (audited)."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters import menus
from adapters.context import ItdaContext
from core.errors import DomainError
from core.text import shorten
from handlers.common import (
    Refused,
    actor,
    answer,
    attempt,
    explain,
    in_rows,
    keyboard,
    pressed_id,
    requires,
    say,
)
from locales import Translator
from services import directory, membership

T = TypeVar("T")


async def _lead_press(
    update: Update, context: ItdaContext, service: Callable[..., Awaitable[T]], name: str
) -> T | None:
    """A lead's button: answer it and run `service` with the id at the end of its data (as
    `name`). Anyone else, or a refusal, is explained and gives None."""
    record_id = await pressed_id(update)
    if not actor(update, context).is_lead:
        await explain(update, context, DomainError("auth.leads_only"))
        return None
    found = await attempt(update, context, service, **{name: record_id})
    return None if isinstance(found, Refused) else found


@requires("members")
async def members_menu(update: Update, context: ItdaContext) -> None:
    """Agencies with their member counts, as buttons."""
    agencies = await attempt(update, context, directory.agencies_with_counts)
    if isinstance(agencies, Refused):
        return
    buttons = [(f"{a.short_name} ({count})", f"mem:ag:{a.id}") for a, count in agencies]
    await say(update, context, context.tr("members.choose_agency"), keyboard(in_rows(buttons, 2)))


async def show_agency(update: Update, context: ItdaContext) -> None:
    """The members of one agency, each with a deactivate button."""
    found = await _lead_press(update, context, directory.agency_members, "agency_id")
    if found is None:
        return
    agency, members = found
    if not members:
        await say(
            update, context, context.tr("members.none", agency=html.escape(agency.name)), edit=True
        )
        return
    lines = [context.tr("members.title", agency=html.escape(agency.name), count=len(members))]
    buttons = []
    for m in members:
        lines.append(
            context.tr(
                "members.line", name=html.escape(m.display_name), role=context.tr(f"role.{m.role}")
            )
        )
        buttons.append(
            (context.tr("members.btn_deactivate", name=shorten(m.display_name, 20)),
             f"mem:off:{m.id}")
        )
    await say(update, context, "\n".join(lines), keyboard(in_rows(buttons, 1)), edit=True)


async def confirm_deactivate(update: Update, context: ItdaContext) -> None:
    """Ask once more before deactivating."""
    member = await _lead_press(update, context, directory.member, "member_id")
    if member is None:
        return
    markup = keyboard(
        [
            [
                (context.tr("members.btn_confirm"), f"mem:offok:{member.id}"),
                (context.tr("common.btn_cancel"), "mem:keep"),
            ]
        ]
    )
    await say(
        update,
        context,
        context.tr("members.confirm", name=html.escape(member.display_name)),
        markup,
        edit=True,
    )


async def deactivate(update: Update, context: ItdaContext) -> None:
    """Deactivate the member, tell them, and take their menu away."""
    member = await _lead_press(update, context, membership.deactivate_member, "member_id")
    if member is None:
        return
    await say(
        update,
        context,
        context.tr("members.deactivated", name=html.escape(member.display_name)),
        edit=True,
    )
    menus.update_member_menu(context.application, member, None)
    try:
        await context.bot.send_message(
            member.telegram_id, Translator(member.language)("members.you_were_deactivated")
        )
    except TelegramError:
        pass  # they may have blocked the bot; the deactivation stands


async def keep(update: Update, context: ItdaContext) -> None:
    """The coordinator changed their mind."""
    await answer(update)
    await say(update, context, context.tr("common.cancelled"), edit=True)


HANDLERS = [
    CommandHandler("members", members_menu),
    CallbackQueryHandler(show_agency, pattern=r"^mem:ag:\d{1,9}$"),
    CallbackQueryHandler(confirm_deactivate, pattern=r"^mem:off:\d{1,9}$"),
    CallbackQueryHandler(deactivate, pattern=r"^mem:offok:\d{1,9}$"),
    CallbackQueryHandler(keep, pattern=r"^mem:keep$"),
]
