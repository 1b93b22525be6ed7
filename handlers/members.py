"""/members: coordinators see members per agency and can deactivate one (audited)."""

from __future__ import annotations

import html

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters import menus
from adapters.context import ItdaContext
from core.errors import DomainError
from core.text import shorten
from handlers.common import Refused, answer, attempt, explain, in_rows, keyboard, requires, say
from locales import Translator
from services import directory, membership


async def _pressed_id(update: Update, context: ItdaContext) -> int | None:
    """A lead's button: answer it and return the id at the end of its data; anyone else is
    refused (None)."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    if not membership.Actor(query.from_user.id, context.member).is_lead:
        await explain(update, context, DomainError("auth.leads_only"))
        return None
    return int(query.data.rsplit(":", 1)[1])


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
    agency_id = await _pressed_id(update, context)
    if agency_id is None:
        return
    found = await attempt(update, context, directory.agency_members, agency_id=agency_id)
    if isinstance(found, Refused):
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
    member_id = await _pressed_id(update, context)
    if member_id is None:
        return
    member = await attempt(update, context, directory.member, member_id=member_id)
    if isinstance(member, Refused):
        return
    markup = keyboard(
        [
            [
                (context.tr("members.btn_confirm"), f"mem:offok:{member_id}"),
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
    member_id = await _pressed_id(update, context)
    if member_id is None:
        return
    member = await attempt(update, context, membership.deactivate_member, member_id=member_id)
    if isinstance(member, Refused):
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
