"""python-telegram-bot persistence in the bot's own database.

Conversation states and user/chat data are written after every update (see
`ItdaApplication.process_update`), so a restart or a crash loses no completed step. PTB hands over
the data of every user and chat an update touched, changed or not; what is unchanged since it was
loaded or last saved is not written again (most updates change nothing there, and each write is a
transaction: see docs/PERFORMANCE.md). Conversation states and data are also read back from the
database before every update, so several processes sharing one database (webhook mode) can
serve alternate updates of one form. That read is one query in the transaction that records the
update (`prefetch`, called by `ItdaApplication.process_update`): the conversation states and the
user's and chat's data together; `refresh_user_data`/`refresh_chat_data` then use what it read
instead of querying again. A conversation state equal to what the database was just seen to hold
is not written again (a form's every step re-enters the same state).
"""

from __future__ import annotations

import json
from collections import defaultdict
from contextvars import ContextVar
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from models.db import SessionFactory, session_scope
from models.tables import BotData, ConversationState

USER, CHAT, BOT = "user", "chat", "bot"

# The user's and chat's data as `prefetch` read them for the update in hand (each update runs in
# its own task, so this is per update): {(kind, owner id): data, or None when there is no row}.
_PREFETCHED: ContextVar[dict[tuple[str, int], dict[str, Any] | None] | None] = ContextVar(
    "itda_prefetched_data", default=None
)


def _canonical(data: object) -> str:
    return json.dumps(data, default=str, sort_keys=True, ensure_ascii=False)


def forget_prefetched() -> None:
    """The update in hand is done: what `prefetch` read is stale from now on."""
    _PREFETCHED.set(None)


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
        # Conversation states (JSON text, None: no row) last read from or written to the database.
        self._states: dict[tuple[str, str], str | None] = {}

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
            if (kind, owner_id) in self._stored:  # a row was read this update: update it
                result = await session.exec(  # type: ignore[call-overload]
                    update(BotData)
                    .where(col(BotData.kind) == kind, col(BotData.owner_id) == owner_id)
                    .values(data=payload)
                )
                if result.rowcount == 1:
                    self._stored[(kind, owner_id)] = text
                    return
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
        state_text = None if new_state is None else json.dumps(new_state)
        seen = self._states.get((name, key_text), "unknown")
        if seen == state_text:
            return  # the database holds this state already (read at the start of the update)
        async with session_scope(self._factory) as session:
            row = await session.get(ConversationState, (name, key_text))
            if state_text is None:
                if row is not None:
                    await session.delete(row)
            elif row is None:
                session.add(ConversationState(name=name, key=key_text, state=state_text))
            else:
                row.state = state_text
                session.add(row)
        self._states[(name, key_text)] = state_text

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
        prefetched = _PREFETCHED.get()
        if prefetched is not None and (kind, owner_id) in prefetched:
            stored = prefetched.pop((kind, owner_id))  # once: a later refresh reads again
        else:
            async with session_scope(self._factory) as session:
                row = await session.get(BotData, (kind, owner_id))
            stored = dict(row.data) if row is not None else None
        data.clear()
        if stored is not None:
            data.update(stored)
            self._stored[(kind, owner_id)] = _canonical(stored)
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
            return await self._read_states(session, texts, clauses)

    async def _read_states(
        self, session: AsyncSession, texts: dict[tuple[str, str], tuple[str, ConversationKey]],
        clauses: list[Any],
    ) -> dict[tuple[str, ConversationKey], object]:
        rows = (await session.exec(select(ConversationState).where(or_(*clauses)))).all()
        for pair in texts:
            self._states[pair] = None
        for r in rows:
            self._states[(r.name, r.key)] = r.state
        return {texts[(r.name, r.key)]: json.loads(r.state) for r in rows}

    async def prefetch(
        self, *, session: AsyncSession, wanted: list[tuple[str, ConversationKey]],
        user_id: int | None, chat_id: int | None,
    ) -> dict[tuple[str, ConversationKey], object]:
        """In the caller's transaction: the stored states of `wanted` (as `load_conversations`),
        and the user's and chat's data, kept for this update's `refresh_*_data`."""
        owners = [(kind, owner) for kind, owner in ((USER, user_id), (CHAT, chat_id))
                  if owner is not None]
        found: dict[tuple[str, int], dict[str, Any] | None] = dict.fromkeys(owners)
        if owners:
            rows = (await session.exec(select(BotData).where(or_(*(
                (col(BotData.kind) == kind) & (col(BotData.owner_id) == owner)
                for kind, owner in owners
            ))))).all()
            for row in rows:
                found[(row.kind, row.owner_id)] = dict(row.data)
        _PREFETCHED.set(found)
        if not wanted:
            return {}
        texts = {(name, json.dumps(list(key))): (name, key) for name, key in wanted}
        clauses = [
            (col(ConversationState.name) == name) & (col(ConversationState.key) == key_text)
            for name, key_text in texts
        ]
        return await self._read_states(session, texts, clauses)

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
