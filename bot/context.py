"""The application and callback context types: where handlers find the runtime and the member."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.runtime import Runtime
from locales import Translator
from models.tables import Agency, Member


class ItdaApplication(Application):  # type: ignore[type-arg]
    """python-telegram-bot's Application with ITDA's runtime attached.

    After each update the persistence is written at once (not on a timer), so a completed form
    step survives a crash or restart.
    """

    def __init__(self, *, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if self.persistence is not None and self.running:
                await self.update_persistence()


class ItdaContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Per-update context: the gate fills in `member`, `agency` and `lang`."""

    member: Member | None
    agency: Agency | None
    lang: str

    def __init__(self, application: Application, chat_id: int | None = None,  # type: ignore[type-arg]
                 user_id: int | None = None) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.member = None
        self.agency = None
        self.lang = application.runtime.settings.default_language  # type: ignore[attr-defined]

    @property
    def runtime(self) -> Runtime:
        return self.application.runtime  # type: ignore[attr-defined,no-any-return]

    @property
    def tr(self) -> Translator:
        return Translator(self.lang)


def effective_ids(update: Update) -> tuple[int | None, int | None]:
    user = update.effective_user
    chat = update.effective_chat
    return (user.id if user else None), (chat.id if chat else None)
