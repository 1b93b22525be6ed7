"""/invite (create an invite link for an agency and role) and /invites (list and revoke)."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from adapters.context import ItdaContext
from core.errors import DomainError
from handlers.common import END, answer, explain, in_rows, keyboard, requires, say
from models import council as council_db
from models import invites as invites_db
from services import membership

CHOOSE_AGENCY, CHOOSE_ROLE = range(2)
DRAFT = "invite_draft"


def _deep_link(username: str | None, code: str) -> str:
    return f"https://t.me/{username}?start={code}"


@requires("invite")
async def start_invite(update: Update, context: ItdaContext) -> int:
    """Ask which agency the invite is for."""
    async with context.runtime.session() as session:
        agencies = await council_db.list_agencies(session=session)
    buttons = [(a.short_name, f"inv:ag:{a.id}") for a in agencies]
    rows = in_rows(buttons, 2) + [[(context.tr("common.btn_cancel"), "inv:cancel")]]
    await say(update, context, context.tr("invite.choose_agency"), keyboard(rows))
    return CHOOSE_AGENCY


async def agency_chosen(update: Update, context: ItdaContext) -> int:
    """Agency picked: ask for the role."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    agency_id = int(query.data.rsplit(":", 1)[1])
    async with context.runtime.session() as session:
        agency = await council_db.get_agency(session=session, agency_id=agency_id)
    if agency is None:
        await explain(update, context, DomainError("invite.unknown_agency"))
        return END
    context.user_data[DRAFT] = {"agency_id": agency_id}
    roles = membership.allowed_invite_roles(
        membership.Actor(query.from_user.id, context.member), agency
    )
    buttons = [(context.tr(f"role.{r}"), f"inv:role:{r}") for r in roles]
    rows = [buttons, [(context.tr("common.btn_cancel"), "inv:cancel")]]
    await say(
        update,
        context,
        context.tr("invite.choose_role", agency=html.escape(agency.name)),
        keyboard(rows),
        edit=True,
    )
    return CHOOSE_ROLE


async def role_chosen(update: Update, context: ItdaContext) -> int:
    """Role picked: create the invite and show its link."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    draft = context.user_data.pop(DRAFT, None)
    if not draft:
        await say(update, context, context.tr("stale.text"))
        return END
    role = query.data.rsplit(":", 1)[1]
    runtime = context.runtime
    try:
        async with runtime.session() as session:
            invite, agency = await membership.create_invite(
                session=session,
                clock=runtime.clock,
                actor=membership.Actor(query.from_user.id, context.member),
                agency_id=draft["agency_id"],
                role=role,
                valid_days=runtime.settings.invite_days,
            )
    except DomainError as error:
        await explain(update, context, error)
        return END
    assert invite.expires_at is not None
    await say(
        update,
        context,
        context.tr(
            "invite.created",
            agency=html.escape(agency.name),
            role=context.tr(f"role.{invite.role}"),
            link=_deep_link(context.bot.username, invite.code),
            expires=invite.expires_at.strftime("%Y-%m-%d %H:%M"),
        ),
        edit=True,
    )
    return END


async def cancel(update: Update, context: ItdaContext) -> int:
    """Leave the invite form."""
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    await say(
        update, context, context.tr("common.cancelled"), edit=update.callback_query is not None
    )
    return END


@requires("invites")
async def list_invites(update: Update, context: ItdaContext) -> None:
    """Open invites with a revoke button each."""
    runtime = context.runtime
    async with runtime.session() as session:
        invites = await invites_db.list_open_invites(session=session, now=runtime.clock.now())
        agencies = {
            a.id: a for a in await council_db.list_agencies(session=session, active_only=False)
        }
    if not invites:
        await say(update, context, context.tr("invites.none"))
        return
    lines = [context.tr("invites.title", count=len(invites))]
    buttons = []
    for invite in invites:
        agency = agencies.get(invite.agency_id)
        assert invite.expires_at is not None
        lines.append(
            context.tr(
                "invites.line",
                id=invite.id,
                agency=html.escape(agency.short_name if agency else "-"),
                role=context.tr(f"role.{invite.role}"),
                expires=invite.expires_at.strftime("%m-%d %H:%M"),
            )
        )
        buttons.append((context.tr("invites.btn_revoke", id=invite.id), f"inv:rv:{invite.id}"))
    await say(update, context, "\n".join(lines), keyboard(in_rows(buttons, 2)))


async def revoke(update: Update, context: ItdaContext) -> None:
    """Revoke one invite (a double tap finds it already revoked and says so)."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    if context.member is None or not membership.Actor(query.from_user.id, context.member).is_lead:
        await explain(update, context, DomainError("auth.leads_only"))
        return
    invite_id = int(query.data.rsplit(":", 1)[1])
    try:
        async with context.runtime.session() as session:
            await membership.revoke_invite(
                session=session,
                clock=context.runtime.clock,
                actor=membership.Actor(query.from_user.id, context.member),
                invite_id=invite_id,
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    await say(update, context, context.tr("invites.revoked", id=invite_id))


def build_conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[CommandHandler("invite", start_invite)],
        states={
            CHOOSE_AGENCY: [CallbackQueryHandler(agency_chosen, pattern=r"^inv:ag:\d{1,9}$")],
            CHOOSE_ROLE: [CallbackQueryHandler(role_chosen, pattern=r"^inv:role:\w+$")],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern="^inv:cancel$"),
        ],
        name="invite",
        persistent=True,
        allow_reentry=True,
    )


HANDLERS = [
    CommandHandler("invites", list_invites),
    CallbackQueryHandler(revoke, pattern=r"^inv:rv:\d{1,9}$"),
]
