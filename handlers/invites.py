"""/invite (create an invite link for an agency and role) and /invites (list and revoke)."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from adapters.context import ItdaContext
from handlers.common import (
    END,
    Refused,
    actor,
    ask_agency,
    attempt,
    cancel_row,
    canceller,
    draft_of,
    drop_draft,
    in_rows,
    keyboard,
    pressed_id,
    pressed_value,
    requires,
    say,
    stale,
)
from services import directory, membership

CHOOSE_AGENCY, CHOOSE_ROLE = range(2)
DRAFT = "invite_draft"


def _deep_link(username: str | None, code: str) -> str:
    return f"https://t.me/{username}?start={code}"


@requires("invite")
async def start_invite(update: Update, context: ItdaContext) -> int:
    """Ask which agency the invite is for."""
    asked = await ask_agency(update, context, "inv", "invite.choose_agency")
    return CHOOSE_AGENCY if asked else END


async def agency_chosen(update: Update, context: ItdaContext) -> int:
    """Agency picked: ask for the role."""
    agency_id = await pressed_id(update)
    assert context.user_data is not None
    agency = await attempt(update, context, directory.agency, agency_id=agency_id)
    if isinstance(agency, Refused):
        return END
    context.user_data[DRAFT] = {"agency_id": agency_id}
    roles = membership.allowed_invite_roles(actor(update, context), agency)
    buttons = [(context.tr(f"role.{r}"), f"inv:role:{r}") for r in roles]
    rows = [buttons, cancel_row(context, "inv")]
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
    role = await pressed_value(update)
    draft = draft_of(context, DRAFT)
    drop_draft(context, DRAFT)
    if not draft:
        return await stale(update, context)
    created = await attempt(
        update, context, membership.create_invite,
        agency_id=draft["agency_id"], role=role, valid_days=context.runtime.settings.invite_days,
    )
    if isinstance(created, Refused):
        return END
    invite, agency = created
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


cancel = canceller(DRAFT)  # leave the invite form


@requires("invites")
async def list_invites(update: Update, context: ItdaContext) -> None:
    """Open invites with a revoke button each."""
    invites = await attempt(update, context, directory.open_invites)
    if isinstance(invites, Refused):
        return
    if not invites:
        await say(update, context, context.tr("invites.none"))
        return
    lines = [context.tr("invites.title", count=len(invites))]
    buttons = []
    for row in invites:
        invite, agency = row.invite, row.agency
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
    invite_id = await pressed_id(update)
    revoked = await attempt(update, context, membership.revoke_invite, invite_id=invite_id)
    if isinstance(revoked, Refused):
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
