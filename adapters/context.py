"""The application and callback context types: where handlers find the runtime and the member."""

from __future__ import annotations

import itertools
import logging
from contextvars import ContextVar
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.error import Conflict
from telegram.ext import Application, CallbackContext, ConversationHandler, ExtBot
from telegram.ext._utils.trackingdict import TrackingDict
from telegram.ext._utils.types import ConversationKey

from adapters.persistence import DatabasePersistence, batched, forget_prefetched, forget_update
from adapters.runtime import Runtime
from locales import Translator
from models import members as members_db
from models import updates as updates_db
from models.tables import Agency, Member

log = logging.getLogger(__name__)

# The callback queries answered while handling the current update (each update runs in its own
# task, so this is per update): a button is answered once even if a handler and a helper both try.
ANSWERED_QUERIES: ContextVar[set[str] | None] = ContextVar("answered_queries", default=None)


# The member (and agency) of the update's user as `_prepare` read them, for the gate:
# (telegram id, member, agency). Per update, like ANSWERED_QUERIES.
_MEMBER: ContextVar[tuple[int, Member | None, Agency | None] | None] = ContextVar(
    "itda_prefetched_member", default=None
)

# A persistent conversation, its name and an update's key in it (`_conversations_of`).
_Keyed = tuple[ConversationHandler, str, ConversationKey]


def prefetched_member(telegram_id: int) -> tuple[Member | None, Agency | None] | None:
    """The member row and agency read for this user at the start of the update (once), or None
    when they were not read."""
    found = _MEMBER.get()
    if found is None or found[0] != telegram_id:
        return None
    _MEMBER.set(None)
    return found[1], found[2]


class ItdaApplication(Application):
    """python-telegram-bot's Application with ITDA's runtime attached.

    Before each update: its update_id is recorded in the database and a repeated one is skipped
    (Telegram redelivers after a crash or a slow webhook answer), and the chat's conversation
    states are read from the database (another process sharing the database may have moved the
    form on). After each update the persistence is written at once (not on a timer), so a
    completed form step survives a crash or restart.
    """

    def __init__(self, *, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime

    async def process_update(self, update: object) -> None:
        ANSWERED_QUERIES.set(set())
        _MEMBER.set(None)
        if isinstance(update, Update) and not await self._prepare(update):
            log.info("update %s was already processed; skipped", update.update_id)
            return
        try:
            await super().process_update(update)
        finally:
            forget_prefetched()
            try:
                if self.persistence is not None and self.running:
                    async with batched(self.persistence):
                        await self.update_persistence()
            finally:
                forget_update()

    async def process_error(
        self, update: object | None, error: Exception, *args: Any, **kwargs: Any
    ) -> bool:
        if update is None and isinstance(error, Conflict):
            # Telegram says another process polls with this token: two bots would answer
            # every message twice. Stop with a clear message (exit status 3, see the CLI).
            problem = (
                "Telegram reports another bot polling with this token (409 Conflict); "
                "stop the other instance first"
            )
            if "refusal" not in self.runtime.extras:
                log.error(problem)
                self.runtime.extras["refusal"] = problem
                self.stop_running()
            return True
        return await super().process_error(update, error, *args, **kwargs)

    async def _prepare(self, update: Update) -> bool:
        """One transaction: record the update id (False if it was processed before), then read
        this update's conversation states, the user's and chat's data and the user's member
        row (for the gate)."""
        handlers = self._conversations_of(update)
        persistence = self.persistence
        user_id, chat_id = effective_ids(update)
        read = None
        if isinstance(persistence, DatabasePersistence):
            read = persistence.reader(
                wanted=[(name, key) for _, name, key in handlers], user_id=user_id,
                chat_id=chat_id,
            )
        at = self.runtime.clock.now()

        def claim_and_read(session: Session) -> tuple[Any, Any] | None:
            if not updates_db.claim_update(session=session, update_id=update.update_id, at=at):
                return None
            member = None
            if user_id is not None:
                member = members_db.member_and_agency(session=session, telegram_id=user_id)
            return member, (read(session) if read is not None else None)

        found = await self.runtime.transaction(claim_and_read)
        if found is None:
            return False
        member, prefetch = found
        if member is not None:
            _MEMBER.set((user_id, *member))
        if prefetch is None or not isinstance(persistence, DatabasePersistence):
            return True
        stored = persistence.prefetched(prefetch)
        for handler, name, key in handlers:
            states = handler._conversations  # noqa: SLF001 - the handler's own state dict
            # A persistent conversation's states become a TrackingDict when the application
            # initializes its persistence.
            assert isinstance(states, TrackingDict)
            state = stored.get((name, key), ConversationHandler.END)
            if state != ConversationHandler.END:
                states.update_no_track({key: state})
            else:
                states.data.pop(key, None)
        return True

    def _conversations_of(
        self, update: Update
    ) -> list[_Keyed]:
        """The persistent conversations this update belongs to, with each one's name and this
        update's key in it."""
        handlers: list[_Keyed] = []
        for handler in itertools.chain.from_iterable(self.handlers.values()):
            if not (isinstance(handler, ConversationHandler) and handler.persistent):
                continue
            name = handler.name
            assert name is not None  # PTB refuses a persistent conversation without a name
            try:
                key = handler._get_key(update)  # noqa: SLF001 - PTB offers no public way
            except RuntimeError:
                continue  # the update has no chat or user this conversation is keyed on
            handlers.append((handler, name, key))
        return handlers


class ItdaContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Per-update context: the gate fills in `member`, `agency` and `lang`."""

    member: Member | None
    agency: Agency | None
    lang: str

    def __init__(self, application: Application, chat_id: int | None = None,
                 user_id: int | None = None) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.member = None
        self.agency = None
        self.lang = application.runtime.settings.default_language  # type: ignore[attr-defined]

    @property
    def runtime(self) -> Runtime:
        return self.application.runtime  # type: ignore[attr-defined]

    @property
    def tr(self) -> Translator:
        return Translator(self.lang)


def effective_ids(update: Update) -> tuple[int | None, int | None]:
    user = update.effective_user
    chat = update.effective_chat
    return (user.id if user else None), (chat.id if chat else None)
