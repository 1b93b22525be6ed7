"""The gate for every update, /help, /whoami, /language, /cancel, stale buttons and errors."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from adapters import menus
from adapters.context import ItdaContext, prefetched_member
from handlers.common import END, answer, chat_kind, keyboard, requires, role_of, say
from locales import LANGUAGES, normalize_language
from services import commands as command_table
from services import membership
from services.membership import Agency, Member

log = logging.getLogger(__name__)

# What a stranger may do: read the welcome and help, pick a language, and join with an invite.
GUEST_COMMANDS = frozenset({"start", "help", "language", "cancel"})
GUEST_CALLBACK_PREFIXES = ("onb:", "lang:")
ONBOARDING_DRAFT = "onboarding"


def _command_name(update: Update) -> str | None:
    message = update.effective_message
    text = message.text if message and message.text else ""
    if not text.startswith("/"):
        return None
    word = text.split()[0][1:]
    return word.split("@", 1)[0].lower()


def _needs_write(member: Member | None, telegram_id: int, admin_ids: list[int]) -> bool:
    """The gate changes the member row: an ADMIN_IDS user not yet an active admin, or someone
    marked as having blocked the bot who writes again."""
    if telegram_id in admin_ids and not (
        member is not None and member.active and member.role == "admin"
    ):
        return True
    return member is not None and member.blocked_at is not None


async def _member_of(update: Update, context: ItdaContext) -> tuple[Member | None, Agency | None]:
    """The user's member row and agency (see `services.membership.member_at_gate`)."""
    user = update.effective_user
    assert user is not None
    runtime = context.runtime
    async with runtime.session() as session:
        return await membership.member_at_gate(
            session=session,
            clock=runtime.clock,
            telegram_id=user.id,
            admin_ids=runtime.settings.admin_ids,
            display_name=user.full_name,
            username=user.username,
            language=normalize_language(user.language_code),
        )


async def gate(update: Update, context: ItdaContext) -> None:
    """Group -1: who is this, in which language; strangers only get the way in."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        raise ApplicationHandlerStop
    runtime = context.runtime
    found = prefetched_member(user.id)
    if found is not None and not _needs_write(found[0], user.id, runtime.settings.admin_ids):
        member, agency = found
    else:
        member, agency = await _member_of(update, context)
    context.member, context.agency = member, agency
    chosen = context.user_data.get("lang") if context.user_data is not None else None
    if member is not None and member.active:
        context.lang = member.language
    elif chosen in LANGUAGES:
        context.lang = chosen
    else:
        context.lang = normalize_language(user.language_code)

    if update.my_chat_member is not None:
        return  # the bot was added to (or removed from) a chat: handlers.groups says hello
    query = update.callback_query
    if query is not None and not query.data and not query.game_short_name:
        # Empty or missing data: python-telegram-bot would give it to the first button handler
        # of any pattern (CallbackQueryHandler matches it), which cannot parse it.
        await stale_button(update, context)
        raise ApplicationHandlerStop
    command = _command_name(update)
    if chat.type != ChatType.PRIVATE:
        # In groups the bot answers commands only (and its own buttons), never chatter.
        if command is None and update.callback_query is None:
            raise ApplicationHandlerStop
    if member is not None and member.active:
        return
    if command in GUEST_COMMANDS:
        return
    if query is not None and (query.data or "").startswith(GUEST_CALLBACK_PREFIXES):
        return
    drafting = context.user_data is not None and ONBOARDING_DRAFT in context.user_data
    if drafting and chat.type == ChatType.PRIVATE and command is None:
        return
    await answer(update)
    key = "auth.deactivated" if member is not None else "auth.not_member"
    log.info(
        "refused %s for stranger %s (%s)",
        f"/{command}" if command else ("button" if query else "text"),
        user.id,
        "inactive" if member else "unknown",
    )
    await say(update, context, context.tr(key))
    raise ApplicationHandlerStop


@requires("help")
async def show_help(update: Update, context: ItdaContext) -> None:
    """List the commands this user may use here."""
    role = role_of(context)
    kind = context.agency.kind if context.agency else None
    specs = command_table.commands_for(role=role, agency_kind=kind, chat=chat_kind(update),
                                       has_agency=context.agency is not None)
    lines = [context.tr("help.title")]
    lines += [f"/{s.name} — {context.tr(s.description_key)}" for s in specs]
    if role == command_table.GUEST:
        lines += ["", context.tr("help.guest_hint")]
    await say(update, context, "\n".join(lines))


@requires("whoami")
async def whoami(update: Update, context: ItdaContext) -> None:
    """Show the member's agency and role."""
    member = context.member
    assert member is not None
    agency = context.agency.name if context.agency else context.tr("whoami.no_agency")
    await say(
        update,
        context,
        context.tr(
            "whoami.text",
            name=html.escape(member.display_name),
            agency=html.escape(agency),
            role=context.tr(f"role.{member.role}"),
        ),
    )


@requires("language")
async def choose_language(update: Update, context: ItdaContext) -> None:
    """Offer the languages as buttons."""
    markup = keyboard(
        [[(context.tr("language.ko"), "lang:ko"), (context.tr("language.en"), "lang:en")]]
    )
    await say(update, context, context.tr("language.choose"), markup)


async def set_language(update: Update, context: ItdaContext) -> None:
    """Store the chosen language (member record, or the stranger's user data)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = query.data.split(":", 1)[1]
    await answer(update)
    if lang not in LANGUAGES:
        return
    if context.user_data is not None:
        context.user_data["lang"] = lang
    member = context.member
    if member is not None and member.active:
        async with context.runtime.session() as session:
            member = await membership.set_language(
                session=session, member_id=member.id or 0, language=lang
            )
        context.member = member
    context.lang = lang
    await say(update, context, context.tr("language.set"), edit=True)
    if member is not None and member.active:
        menus.update_member_menu(context.application, member, context.agency)


@requires("cancel")
async def cancel_outside(update: Update, context: ItdaContext) -> int:
    """/cancel when no form is open."""
    await say(update, context, context.tr("cancel.nothing"))
    return END


async def stale_button(update: Update, context: ItdaContext) -> None:
    """A button from an old message (finished form, restart): say so and show the way on."""
    await answer(update, context.tr("stale.toast"))
    await say(update, context, context.tr("stale.text"))


async def unknown_text(update: Update, context: ItdaContext) -> None:
    """Text in private chat that no form is waiting for."""
    if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
        return
    await say(update, context, context.tr("unknown.text"))


async def on_error(update: object, context: ItdaContext) -> None:
    """Log without personal data, then apologise with a way forward."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "error while handling update %s: %s",
        update_id,
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error else None,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await answer(update)
        await context.bot.send_message(update.effective_chat.id, context.tr("error.generic"))
    except Exception as exc:  # noqa: BLE001 - the apology itself failed (blocked, network)
        log.warning("could not send the apology: %s", type(exc).__name__)
