"""/members: coordinators see members per agency and can deactivate one (audited)."""

from __future__ import annotations

import html

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters import menus
from adapters.context import ItdaContext
from core.errors import DomainError
from handlers.common import answer, explain, in_rows, keyboard, requires, say
from locales import Translator
from models import council as council_db
from models import members as members_db
from services import membership


def _lead_actor(update: Update, context: ItdaContext) -> membership.Actor | None:
    user = update.effective_user
    assert user is not None
    actor = membership.Actor(user.id, context.member)
    return actor if actor.is_lead else None


@requires("members")
async def members_menu(update: Update, context: ItdaContext) -> None:
    """Agencies with their member counts, as buttons."""
    async with context.runtime.session() as session:
        agencies = await council_db.list_agencies(session=session)
        counts = await members_db.count_members_by_agency(session=session)
    buttons = [
        (f"{a.short_name} ({counts.get(a.id or 0, 0)})", f"mem:ag:{a.id}") for a in agencies
    ]
    await say(update, context, context.tr("members.choose_agency"), keyboard(in_rows(buttons, 2)))


async def show_agency(update: Update, context: ItdaContext) -> None:
    """The members of one agency, each with a deactivate button."""
    await answer(update)
    if _lead_actor(update, context) is None:
        await explain(update, context, DomainError("auth.leads_only"))
        return
    query = update.callback_query
    assert query is not None and query.data is not None
    agency_id = int(query.data.rsplit(":", 1)[1])
    async with context.runtime.session() as session:
        agency = await council_db.get_agency(session=session, agency_id=agency_id)
        members = await members_db.list_members(session=session, agency_id=agency_id)
    if agency is None:
        await explain(update, context, DomainError("invite.unknown_agency"))
        return
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
            (context.tr("members.btn_deactivate", name=m.display_name[:20]), f"mem:off:{m.id}")
        )
    await say(update, context, "\n".join(lines), keyboard(in_rows(buttons, 1)), edit=True)


async def confirm_deactivate(update: Update, context: ItdaContext) -> None:
    """Ask once more before deactivating."""
    await answer(update)
    if _lead_actor(update, context) is None:
        await explain(update, context, DomainError("auth.leads_only"))
        return
    query = update.callback_query
    assert query is not None and query.data is not None
    member_id = int(query.data.rsplit(":", 1)[1])
    async with context.runtime.session() as session:
        member = await members_db.get_member(session=session, member_id=member_id)
    if member is None:
        await explain(update, context, DomainError("members.unknown"))
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
    await answer(update)
    actor = _lead_actor(update, context)
    if actor is None:
        await explain(update, context, DomainError("auth.leads_only"))
        return
    query = update.callback_query
    assert query is not None and query.data is not None
    member_id = int(query.data.rsplit(":", 1)[1])
    try:
        async with context.runtime.session() as session:
            member = await membership.deactivate_member(
                session=session, clock=context.runtime.clock, actor=actor, member_id=member_id
            )
    except DomainError as error:
        await explain(update, context, error)
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
