"""python-telegram-bot persistence in the bot's own database.

Conversation states and user/chat data are written after every update (see
`ItdaApplication.process_update`), so a restart or a crash loses no completed step. PTB hands over
the data of every user and chat an update touched, changed or not; what is unchanged since it was
loaded or last saved is not written again (most updates change nothing there, and each write is a
transaction: see docs/PERFORMANCE.md). Conversation states and data are also read back from the
database before every update (`refresh_*`, `load_conversations`), so
several processes sharing one database (webhook mode) can serve alternate updates of one form.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, delete, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from models.db import SessionFactory, session_scope
from models.tables import BotData, ConversationState

USER, CHAT, BOT = "user", "chat", "bot"


def _canonical(data: object) -> str:
    return json.dumps(data, default=str, sort_keys=True, ensure_ascii=False)


class DatabasePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    def __init__(self, session_factory: SessionFactory) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=60,
        )
        self._factory = session_factory
        # What the database holds, as canonical JSON text, per (kind, owner).
        self._stored: dict[tuple[str, int], str] = {}

    async def _load_data(self, kind: str) -> dict[int, dict[str, Any]]:
        async with session_scope(self._factory) as session:
            rows = (await session.exec(select(BotData).where(BotData.kind == kind))).all()
        result: dict[int, dict[str, Any]] = defaultdict(dict)
        for row in rows:
            result[row.owner_id] = dict(row.data)
            self._stored[(kind, row.owner_id)] = _canonical(row.data)
        return result

    async def _save_data(self, kind: str, owner_id: int, data: dict[str, Any]) -> None:
        text = _canonical(data)
        if self._stored.get((kind, owner_id), _canonical({})) == text:
            return  # unchanged (an owner without a row holds an empty dict)
        async with session_scope(self._factory) as session:
            payload = json.loads(text)
            row = await session.get(BotData, (kind, owner_id))
            if row is None:
                row = BotData(kind=kind, owner_id=owner_id, data=payload)
            else:
                row.data = payload
            session.add(row)
        self._stored[(kind, owner_id)] = text

    async def _drop_data(self, kind: str, owner_id: int) -> None:
        async with session_scope(self._factory) as session:
            await session.exec(
                delete(BotData).where(col(BotData.kind) == kind, col(BotData.owner_id) == owner_id)
            )
        self._stored.pop((kind, owner_id), None)

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return await self._load_data(USER)

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return await self._load_data(CHAT)

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        async with session_scope(self._factory) as session:
            rows = (
                await session.exec(select(ConversationState).where(ConversationState.name == name))
            ).all()
        return {tuple(json.loads(r.key)): json.loads(r.state) for r in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        key_text = json.dumps(list(key))
        async with session_scope(self._factory) as session:
            row = await session.get(ConversationState, (name, key_text))
            if new_state is None:
                if row is not None:
                    await session.delete(row)
                return
            if row is None:
                row = ConversationState(name=name, key=key_text, state=json.dumps(new_state))
            else:
                row.state = json.dumps(new_state)
            session.add(row)

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        await self._save_data(USER, user_id, data)

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        await self._save_data(CHAT, chat_id, data)

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._drop_data(CHAT, chat_id)

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop_data(USER, user_id)

    async def _refresh(self, kind: str, owner_id: int, data: dict[str, Any]) -> None:
        async with session_scope(self._factory) as session:
            row = await session.get(BotData, (kind, owner_id))
        data.clear()
        if row is not None:
            data.update(row.data)
            self._stored[(kind, owner_id)] = _canonical(row.data)
        else:
            self._stored.pop((kind, owner_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        """The database is the source of truth: another process may have served this user."""
        await self._refresh(USER, user_id, user_data)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        await self._refresh(CHAT, chat_id, chat_data)

    async def load_conversations(
        self, wanted: list[tuple[str, ConversationKey]]
    ) -> dict[tuple[str, ConversationKey], object]:
        """The stored states of some (conversation name, key) pairs; missing pairs are absent."""
        if not wanted:
            return {}
        texts = {(name, json.dumps(list(key))): (name, key) for name, key in wanted}
        clauses = [
            (col(ConversationState.name) == name) & (col(ConversationState.key) == key_text)
            for name, key_text in texts
        ]
        async with session_scope(self._factory) as session:
            rows = (await session.exec(select(ConversationState).where(or_(*clauses)))).all()
        return {texts[(r.name, r.key)]: json.loads(r.state) for r in rows}

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
