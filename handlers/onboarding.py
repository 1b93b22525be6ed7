"""/start: the welcome, and joining the council through an invite link (deep link)."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from adapters import menus
from adapters.context import ItdaContext
from core.errors import DomainError
from core.text import person_name
from handlers.basics import ONBOARDING_DRAFT
from handlers.common import (
    END,
    START_COMMAND,
    answer,
    call,
    explain,
    keyboard,
    not_command,
    requires,
    say,
    typed,
)
from locales import normalize_language
from services import commands as command_table
from services import membership

CONFIRM_NAME, TYPE_NAME = range(2)


@requires("start")
async def start(update: Update, context: ItdaContext) -> int:
    """Welcome; with an invite code, show the invite and ask the user to confirm their name."""
    user = update.effective_user
    assert user is not None and context.user_data is not None
    code = context.args[0] if context.args else None
    if not code:
        await _welcome(update, context)
        return END
    if code.startswith(START_COMMAND):  # from a group's "open the private chat" button
        await _continue_here(update, context, code.removeprefix(START_COMMAND))
        return END
    try:
        async with context.runtime.session() as session:
            invite, agency = await membership.open_invite(
                session=session, clock=context.runtime.clock, code=code[:64]
            )
    except DomainError as error:
        await explain(update, context, error)
        return END
    member = context.member
    if member is not None and member.active and member.agency_id is not None:
        current = context.agency.short_name if context.agency else "-"
        await explain(update, context, DomainError("invite.already_member", agency=current))
        return END
    suggested = user.full_name
    try:
        suggested = person_name(suggested)
    except DomainError:
        suggested = ""
    context.user_data[ONBOARDING_DRAFT] = {"code": invite.code, "name": suggested}
    text = context.tr(
        "onboarding.invited",
        agency=html.escape(agency.name),
        role=context.tr(f"role.{invite.role}"),
    )
    if not suggested:
        await say(update, context, text + "\n\n" + context.tr("onboarding.type_name"))
        return TYPE_NAME
    await say(update, context, text)
    return await _ask_confirm(update, context)


async def _continue_here(update: Update, context: ItdaContext, command: str) -> None:
    """Sent here from a group: the command to send in this private chat (members only)."""
    member = context.member
    if member is None or not member.active or command_table.command(command) is None:
        await _welcome(update, context)
        return
    await say(update, context, context.tr("start.continue_here", command=command))


async def _welcome(update: Update, context: ItdaContext) -> None:
    member = context.member
    if member is not None and member.active:
        await say(
            update,
            context,
            context.tr("start.member", name=html.escape(member.display_name)),
        )
        menus.update_member_menu(context.application, member, context.agency)
    else:
        await say(update, context, context.tr("start.guest"))


async def _ask_confirm(update: Update, context: ItdaContext) -> int:
    assert context.user_data is not None
    name = context.user_data[ONBOARDING_DRAFT]["name"]
    markup = keyboard(
        [
            [
                (context.tr("onboarding.btn_yes"), "onb:yes"),
                (context.tr("onboarding.btn_edit"), "onb:edit"),
            ],
            [(context.tr("common.btn_cancel"), "onb:cancel")],
        ]
    )
    await say(
        update, context, context.tr("onboarding.confirm_name", name=html.escape(name)), markup
    )
    return CONFIRM_NAME


async def name_confirmed(update: Update, context: ItdaContext) -> int:
    """The user confirmed the name: join the agency (the invite is used now, once)."""
    await answer(update)
    assert context.user_data is not None
    draft = context.user_data.get(ONBOARDING_DRAFT)
    if not draft:
        await say(update, context, context.tr("stale.text"))
        return END
    user = update.effective_user
    assert user is not None
    try:
        member, agency = await call(
            update, context, membership.accept_invite, code=draft["code"], telegram_id=user.id,
            display_name=draft["name"], username=user.username,
            language=context.lang or normalize_language(user.language_code),
        )
    except DomainError as error:
        context.user_data.pop(ONBOARDING_DRAFT, None)
        await explain(update, context, error)
        return END
    context.user_data.pop(ONBOARDING_DRAFT, None)
    context.member, context.agency = member, agency
    await say(
        update,
        context,
        context.tr(
            "onboarding.joined",
            name=html.escape(member.display_name),
            agency=html.escape(agency.name),
            role=context.tr(f"role.{member.role}"),
        ),
        edit=True,
    )
    menus.update_member_menu(context.application, member, agency)
    return END


async def edit_name(update: Update, context: ItdaContext) -> int:
    """The user wants another name: ask for it."""
    await answer(update)
    await say(update, context, context.tr("onboarding.type_name"), edit=True)
    return TYPE_NAME


async def name_typed(update: Update, context: ItdaContext) -> int:
    """A typed name: check it, then ask to confirm."""
    assert update.message is not None and context.user_data is not None
    try:
        name = person_name(update.message.text)
    except DomainError as error:
        await explain(update, context, error)
        return TYPE_NAME
    draft = context.user_data.get(ONBOARDING_DRAFT)
    if not draft:
        await say(update, context, context.tr("stale.text"))
        return END
    draft["name"] = name
    return await _ask_confirm(update, context)


async def cancel(update: Update, context: ItdaContext) -> int:
    """Leave onboarding; nothing was stored."""
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop(ONBOARDING_DRAFT, None)
    await say(
        update, context, context.tr("onboarding.cancelled"), edit=update.callback_query is not None
    )
    return END


async def expect_text(update: Update, context: ItdaContext) -> int:
    """Something other than the name arrived: say what is expected."""
    await say(update, context, context.tr("onboarding.type_name"))
    return TYPE_NAME


def build_conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states={
            CONFIRM_NAME: [
                CallbackQueryHandler(name_confirmed, pattern="^onb:yes$"),
                CallbackQueryHandler(edit_name, pattern="^onb:edit$"),
            ],
            TYPE_NAME: [
                typed(name_typed),
                not_command(expect_text),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern="^onb:cancel$"),
            CommandHandler("start", start),
        ],
        name="onboarding",
        persistent=True,
        allow_reentry=True,
    )
