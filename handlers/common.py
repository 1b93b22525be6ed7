"""Small pieces every handler uses: replying, buttons, the acting member, permission checks."""

from __future__ import annotations

import functools
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram import ext as tg
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from adapters.context import ANSWERED_QUERIES, ItdaContext
from core.errors import DomainError
from services import commands as command_table
from services import directory, groups
from services.membership import Actor

log = logging.getLogger(__name__)

Callback = Callable[[Update, ItdaContext], Coroutine[Any, Any, Any]]
T = TypeVar("T")
Button = tuple[str, str]  # (label, callback data)

END = ConversationHandler.END
MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data, in UTF-8 bytes
MAX_LABEL = 64  # longer button labels are cut (phones show about 30 characters anyway)


def actor(update: Update, context: ItdaContext) -> Actor:
    user = update.effective_user
    assert user is not None
    return Actor(telegram_id=user.id, member=context.member, agency=context.agency)


def role_of(context: ItdaContext) -> str:
    member = context.member
    if member is None or not member.active:
        return command_table.GUEST
    return member.role


def chat_kind(update: Update) -> str:
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        return command_table.PRIVATE
    return command_table.GROUP


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    """Inline buttons; callback data over 64 UTF-8 bytes is a programming error (ValueError)."""
    for row in rows:
        for _, data in row:
            if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
                raise ValueError(f"callback data longer than {MAX_CALLBACK_BYTES} bytes")
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label[:MAX_LABEL], callback_data=data) for label, data in row]
            for row in rows
        ]
    )


def callback_data(*parts: object) -> str:
    """`feature:action:id` cut to fit 64 UTF-8 bytes (never in the middle of a character)."""
    text = ":".join(str(p) for p in parts)
    raw = text.encode("utf-8")
    if len(raw) <= MAX_CALLBACK_BYTES:
        return text
    return raw[:MAX_CALLBACK_BYTES].decode("utf-8", errors="ignore")


def in_rows(buttons: Sequence[Button], per_row: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


async def say(
    update: Update,
    context: ItdaContext,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = False,
) -> Message | None:
    """Answer in the chat of the update; with `edit`, replace the pressed button's message.

    Texts longer than Telegram's 4,096 characters are split by the bot (`adapters.delivery`)."""
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        try:
            result = await query.edit_message_text(text, reply_markup=markup)
            return result if isinstance(result, Message) else None
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return None
            log.info("edit failed (%s); sending a new message", type(exc).__name__)
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(chat.id, text, reply_markup=markup)


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the pressed button first, so the phone stops its spinner (once per query)."""
    query = update.callback_query
    if query is not None:
        answered = ANSWERED_QUERIES.get()
        if answered is not None:
            if query.id in answered:
                return
            answered.add(query.id)
        try:
            await query.answer(text, show_alert=alert)
        except BadRequest:
            # The query is too old to answer (after a restart): nothing to undo.
            log.debug("callback query could not be answered")


async def explain(update: Update, context: ItdaContext, error: DomainError) -> None:
    """Show a rule's refusal in the user's language (refusals of permission are logged)."""
    if error.key.startswith("auth."):
        user = update.effective_user
        log.info("refused %s for user %s", error.key, user.id if user else "?")
    await answer(update)
    await say(update, context, context.tr(error.key, **error.shown))


async def passes(
    update: Update, context: ItdaContext, check: Callable[..., Awaitable[object]]
) -> bool:
    """Run a service check (`check(session=, actor=)`, e.g. `require_opening_author`) in a
    session of its own; a refusal is explained and False returned."""
    try:
        async with context.runtime.session() as session:
            await check(session=session, actor=actor(update, context))
    except DomainError as error:
        await explain(update, context, error)
        return False
    return True


def requires(name: str) -> Callable[[Callback], Callback]:
    """Check the command table before running an entry point; refuse in Korean otherwise."""
    spec = command_table.command(name)
    if spec is None:
        raise ValueError(f"unknown command {name!r}")

    def decorate(func: Callback) -> Callback:
        @functools.wraps(func)
        async def wrapper(update: Update, context: ItdaContext) -> Any:
            role = role_of(context)
            kind = context.agency.kind if context.agency else None
            where = chat_kind(update)
            if command_table.may_use(spec, role=role, agency_kind=kind, chat=where):
                if spec.council_group and not await in_council_chat(update, context):
                    return END
                return await func(update, context)
            await answer(update)
            key = refusal_key(spec, role=role, agency_kind=kind, chat=where)
            user = update.effective_user
            log.info(
                "refused /%s for user %s (role %s, chat %s)",
                name, user.id if user else "?", role, where,
            )
            markup = None
            if key == "auth.private_only":  # a button that opens the private chat there
                markup = private_chat_button(context, name)
            await say(update, context, context.tr(key, command=name), markup)
            return END

        return wrapper

    return decorate


async def is_member(update: Update, context: ItdaContext) -> bool:
    """An active member (a button's re-check of the actor); anyone else is told why not."""
    if context.member is None or not context.member.active:
        await explain(update, context, DomainError("auth.not_member"))
        return False
    return True


async def in_council_chat(update: Update, context: ItdaContext) -> bool:
    """A private chat or the registered council group; in any other group the user reads how a
    coordinator registers it, and False is returned."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    registered = await attempt(update, context, groups.is_registered, chat_id=chat.id)
    if registered is True:
        return True
    await answer(update)
    if registered is not REFUSED:
        await say(update, context, context.tr("group.not_registered"))
    return False


def council_chat_only(callback: Callback) -> Callback:
    """A button of a council-group screen (the chart): only in private or the council group."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: ItdaContext) -> Any:
        if not await in_council_chat(update, context):
            return None
        return await callback(update, context)

    return wrapper


START_COMMAND = "go-"  # /start go-<command>: the private chat opened from a group's button


def private_chat_button(context: ItdaContext, command: str) -> InlineKeyboardMarkup:
    """A URL button opening the private chat with the bot at `/start go-<command>`."""
    link = f"https://t.me/{context.bot.username}?start={START_COMMAND}{command}"
    label = context.tr("auth.btn_private")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=link)]])


def refusal_key(
    spec: command_table.CommandSpec, *, role: str, agency_kind: str | None, chat: str
) -> str:
    if role == command_table.GUEST:
        return "auth.not_member"
    allowed_somewhere = command_table.may_use(
        spec, role=role, agency_kind=agency_kind, chat=next(iter(spec.chats))
    )
    if chat not in spec.chats and allowed_somewhere:
        return "auth.private_only" if command_table.PRIVATE in spec.chats else "auth.group_only"
    return "auth.not_allowed"


def from_button(entry: Callback) -> Callback:
    """A command's entry point reached by a button (e.g. in a reminder): stop the spinner first."""

    @functools.wraps(entry)
    async def wrapper(update: Update, context: ItdaContext) -> Any:
        await answer(update)
        context.args = []
        return await entry(update, context)

    return wrapper


class Refused:
    """What `attempt` returns when the service refused (the refusal was already explained)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "REFUSED"


REFUSED = Refused()


@functools.cache
def _accepts(service: Callable[..., object]) -> frozenset[str]:
    return frozenset(inspect.signature(service).parameters)


async def call(
    update: Update,
    context: ItdaContext,
    service: Callable[..., Awaitable[T]],
    /,
    **kwargs: Any,
) -> T:
    """Run one service call in a session of its own; a `DomainError` is the caller's to explain
    (see `attempt`). The session is passed as `session=`; `actor=` and `clock=` are passed when
    the service takes them, and so is `cipher=` (services that read or write personal data)."""
    accepted = _accepts(service)
    if "actor" in accepted and "actor" not in kwargs:
        kwargs["actor"] = actor(update, context)
    if "clock" in accepted and "clock" not in kwargs:
        kwargs["clock"] = context.runtime.clock
    if "cipher" in accepted and "cipher" not in kwargs:
        kwargs["cipher"] = context.runtime.cipher
    async with context.runtime.session() as session:
        return await service(session=session, **kwargs)


async def attempt(
    update: Update,
    context: ItdaContext,
    service: Callable[..., Awaitable[T]],
    /,
    **kwargs: Any,
) -> T | Refused:
    """Run one service call in a session of its own and explain a refusal.

    The session is passed as `session=`; `actor=`, `clock=` and `cipher=` are passed when the
    service takes them. On a `DomainError` the user reads the refusal in their language and
    `REFUSED` is returned (nothing of the session is committed)."""
    try:
        return await call(update, context, service, **kwargs)
    except DomainError as error:
        await explain(update, context, error)
        return REFUSED


def typed(callback: Callback, *, private: bool = False) -> MessageHandler[Any, Any]:
    """A form's answer typed as text (not a command); `private`: in a private chat only."""
    text = filters.TEXT & ~filters.COMMAND
    return MessageHandler(text & filters.ChatType.PRIVATE if private else text, callback)


def not_command(callback: Callback) -> MessageHandler[Any, Any]:
    """Any message but a command (a photo, a sticker, text where a button was expected)."""
    return MessageHandler(~filters.COMMAND, callback)


class Press(CallbackQueryHandler[Any, Any]):
    """A button handler that answers the press before its callback runs: the one place where
    buttons are answered, so the phone's spinner stops at once whatever the callback does."""

    def __init__(self, callback: Callback, pattern: str | re.Pattern[str]) -> None:
        @functools.wraps(callback)
        async def answered(update: Update, context: ItdaContext) -> Any:
            await answer(update)
            return await callback(update, context)

        super().__init__(answered, pattern=pattern)


async def pressed(update: Update) -> str:
    """A button handler's first step: answer the press and return the button's data."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    return query.data


async def pressed_value(update: Update) -> str:
    """Answer the press and return the last part of its data (`feature:action:value`)."""
    return (await pressed(update)).rsplit(":", 1)[1]


async def pressed_id(update: Update) -> int:
    """Answer the press and return the number at the end of its data (`feature:action:id`)."""
    return int(await pressed_value(update))


def draft_of(context: ItdaContext, key: str) -> dict[str, Any] | None:
    """The form's draft kept under `key` in the user's data (None when it is gone)."""
    assert context.user_data is not None
    value = context.user_data.get(key)
    return value if isinstance(value, dict) else None


def drop_draft(context: ItdaContext, key: str) -> None:
    if context.user_data is not None:
        context.user_data.pop(key, None)


async def keep_pressed(
    update: Update, context: ItdaContext, key: str, field: str, *, number: bool = False
) -> dict[str, Any] | None:
    """A form's button: answer it and keep the last part of its data (an int with `number`) in
    the draft `key` as `field`. None when the draft is gone (the user was told)."""
    value = await pressed_value(update)
    draft = draft_of(context, key)
    if not draft:
        await stale(update, context)
        return None
    draft[field] = int(value) if number else value
    return draft


def canceller(
    *keys: str, said: str = "common.cancelled"
) -> Callable[[Update, ItdaContext], Coroutine[Any, Any, int]]:
    """A form's /cancel and cancel button: drop its drafts (`keys`), say so (`said`), end;
    nothing is saved."""

    async def cancel(update: Update, context: ItdaContext) -> int:
        await answer(update)
        for key in keys:
            drop_draft(context, key)
        await say(
            update, context, context.tr(said), edit=update.callback_query is not None
        )
        return END

    return cancel


def cancel_row(context: ItdaContext, prefix: str) -> list[Button]:
    """The row with a form's cancel button (`<prefix>:cancel`)."""
    return [(context.tr("common.btn_cancel"), f"{prefix}:cancel")]


async def ask_agency(update: Update, context: ItdaContext, prefix: str, key: str) -> bool:
    """Every agency as a button (`<prefix>:ag:<id>`, two a row, then cancel) under the question
    `key`; False when the service refused (the refusal was already explained)."""
    agencies = await attempt(update, context, directory.agencies)
    if isinstance(agencies, Refused):
        return False
    buttons = [(a.short_name, f"{prefix}:ag:{a.id}") for a in agencies]
    rows = in_rows(buttons, 2) + [cancel_row(context, prefix)]
    await say(update, context, context.tr(key), keyboard(rows))
    return True


async def stale(update: Update, context: ItdaContext) -> int:
    """A form's button or message whose draft is gone: say so and end the conversation."""
    await say(update, context, context.tr("stale.text"))
    return END


def form(
    name: str, entry_points: list[Any], states: dict[object, list[Any]], cancel: Callback,
    cancel_pattern: str,
) -> ConversationHandler[Any]:
    """A form's ConversationHandler as the forms here are built: persistent under `name`, its
    state saved with the bot's; /cancel and its cancel button (`cancel_pattern`) end it from any
    state; its entry points start it again."""
    return ConversationHandler(
        entry_points=entry_points, states=states,
        fallbacks=[tg.CommandHandler("cancel", cancel),
                   CallbackQueryHandler(cancel, pattern=cancel_pattern)],
        name=name, persistent=True, allow_reentry=True,
    )
