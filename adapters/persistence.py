"""python-telegram-bot persistence in the bot's own database.

Conversation states and user/chat data are written after every update (see
`ItdaApplication.process_update`), so a restart or a crash loses no completed step. PTB hands over
the data of every user and chat an update touched, changed or not; what is unchanged since it was
loaded or last saved is not written again (most updates change nothing there, and each write is a
transaction: see docs/PERFORMANCE.md). Conversation states and data are also read back from the
database before every update, so several processes sharing one database (webhook mode) can
serve alternate updates of one form. That read happens in the transaction that records the
update (`reader`, run by `ItdaApplication._prepare`; its result goes to `prefetched`): the
conversation states and the user's and chat's data together; `refresh_user_data` and
`refresh_chat_data` then use what it read instead of querying again. A conversation state
equal to what the database was just seen to hold is not written again (a form's every step
re-enters the same state).

Writes made inside `batched()` (the checkpoint of a form step, the flush after an update) go to
the database together in one transaction when the block ends. The SQL is in models/botstate.py.

An update's flush ends only once its own data and states are in the database, since then the
chat's turn passes to the next update, which may be served by another process. PTB keeps one set
per process of what to write, taken whole by whichever flush runs first, so another update's
batch may hold this update's data; the flush then waits for that batch (`_settle`). A batch's
writes never wait for anything, so the waits cannot go round in a circle.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from models import botstate
from models.db import SessionFactory, run_transaction

USER, CHAT, BOT = "user", "chat", "bot"

# The user's and chat's data as `reader` read them for the update in hand (each update runs in
# its own task, so this is per update): {(kind, owner id): data, or None when there is no row}.
_PREFETCHED: ContextVar[dict[tuple[str, int], dict[str, Any] | None] | None] = ContextVar(
    "itda_prefetched_data", default=None
)

# What a write writes: ("data", kind, owner) -> canonical JSON text, None to drop;
# ("state", name, key) -> state text or None to delete.
Written = tuple[str, str, Any]
Pending = dict[Written, str | None]


@dataclass(eq=False)
class _Batch:
    """Writes waiting for the end of a `batched()` block (or one write made alone), and the
    moment they are in the database (or failed)."""

    pending: Pending = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)


# The current `batched()` block. PTB's flush runs its writes as parallel tasks of the update's
# task; they share it.
_BATCH: ContextVar[_Batch | None] = ContextVar("itda_persistence_batch", default=None)

# What the update in hand is responsible for: its user's and chat's data and its conversation
# states, as `reader` read them (set by `prefetched`, per update like _PREFETCHED).
_OWN: ContextVar[frozenset[Written]] = ContextVar("itda_update_keys", default=frozenset())


def _canonical(data: object) -> str:
    return json.dumps(data, default=str, sort_keys=True, ensure_ascii=False)


_EMPTY = _canonical({})


def forget_prefetched() -> None:
    """The update in hand is done: what `reader` read is stale from now on."""
    _PREFETCHED.set(None)


def forget_update() -> None:
    """The update in hand is flushed: later flushes in this task wait for nothing of it."""
    _OWN.set(frozenset())


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
        # The batch each write not yet in the database waits in (the latest, if several).
        self._unwritten: dict[Written, _Batch] = {}

    # --- writing -----------------------------------------------------------------------------
    @asynccontextmanager
    async def batched(self) -> AsyncIterator[None]:
        """Writes inside the block are made together, in one transaction, when it ends (also
        when it ends with an error: what was handed over is kept). Nested blocks join the
        outer one. The outermost block ends once the update's own writes are in the database,
        also those another update's batch took (`_settle`)."""
        if _BATCH.get() is not None:
            yield
            return
        batch = _Batch()
        token = _BATCH.set(batch)
        try:
            yield
        finally:
            _BATCH.reset(token)
            await self._finish(batch)
        await self._settle(_OWN.get())

    async def _submit(self, what: Written, value: str | None) -> None:
        batch = _BATCH.get()
        if batch is None:
            batch = _Batch()
            batch.pending[what] = value
            self._unwritten[what] = batch
            await self._finish(batch)
            return
        batch.pending[what] = value
        self._unwritten[what] = batch

    async def _finish(self, batch: _Batch) -> None:
        try:
            await self._write(batch.pending)
        finally:
            batch.done.set()
            for what in batch.pending:
                if self._unwritten.get(what) is batch:
                    del self._unwritten[what]

    async def _settle(self, own: frozenset[Written]) -> None:
        """Wait until no batch holds a write of `own` (a batch another update's flush filled)."""
        while True:
            holders = {batch for what in own if (batch := self._unwritten.get(what)) is not None}
            if not holders:
                return
            for batch in holders:
                await batch.done.wait()

    def _known(self, what: Written) -> str | None:
        """What the database holds (or will, once the current batch is written)."""
        batch = _BATCH.get()
        if batch is not None and what in batch.pending:
            return batch.pending[what]
        if what[0] == "data":
            return self._stored.get((what[1], what[2]), _EMPTY)
        return self._states.get((what[1], what[2]), "unknown")

    async def _write(self, pending: Pending) -> None:
        if not pending:
            return
        writes = list(pending.items())

        def write(session: Session) -> None:
            for (what, first, second), value in writes:
                if what == "data" and value is None:
                    botstate.drop_data(session=session, kind=first, owner_id=second)
                elif what == "data":
                    assert value is not None
                    botstate.save_data(
                        session=session, kind=first, owner_id=second, data=json.loads(value)
                    )
                else:
                    botstate.save_state(session=session, name=first, key=second, state=value)

        await run_transaction(self._factory, write)
        for (what, first, second), value in writes:
            if what == "data" and value is None:
                self._stored.pop((first, second), None)
            elif what == "data":
                assert value is not None
                self._stored[(first, second)] = value
            else:
                self._states[(first, second)] = value

    async def _save_data(self, kind: str, owner_id: int, data: dict[str, Any]) -> None:
        text = _canonical(data)
        if self._known(("data", kind, owner_id)) == text:
            return  # unchanged (an owner without a row holds an empty dict)
        await self._submit(("data", kind, owner_id), text)

    async def _drop_data(self, kind: str, owner_id: int) -> None:
        await self._submit(("data", kind, owner_id), None)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        key_text = json.dumps(list(key))
        state_text = None if new_state is None else json.dumps(new_state)
        if self._known(("state", name, key_text)) == state_text:
            return  # the database holds this state already (read at the start of the update)
        await self._submit(("state", name, key_text), state_text)

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

    async def flush(self) -> None:
        return None

    # --- reading -----------------------------------------------------------------------------
    async def _load_data(self, kind: str) -> dict[int, dict[str, Any]]:
        found = await run_transaction(
            self._factory, lambda session: botstate.all_data(session=session, kind=kind)
        )
        result: dict[int, dict[str, Any]] = defaultdict(dict)
        for owner_id, data in found.items():
            result[owner_id] = data
            self._stored[(kind, owner_id)] = _canonical(data)
        return result

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return await self._load_data(USER)

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return await self._load_data(CHAT)

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        found = await run_transaction(
            self._factory, lambda session: botstate.all_states(session=session, name=name)
        )
        return {tuple(json.loads(key)): json.loads(state) for key, state in found.items()}

    async def _refresh(self, kind: str, owner_id: int, data: dict[str, Any]) -> None:
        prefetched = _PREFETCHED.get()
        if prefetched is not None and (kind, owner_id) in prefetched:
            stored = prefetched.pop((kind, owner_id))  # once: a later refresh reads again
        else:
            stored = await run_transaction(
                self._factory,
                lambda session: botstate.read_data(session=session, kind=kind, owner_id=owner_id),
            )
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

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def load_conversations(
        self, wanted: list[tuple[str, ConversationKey]]
    ) -> dict[tuple[str, ConversationKey], object]:
        """The stored states of some (conversation name, key) pairs; missing pairs are absent."""
        if not wanted:
            return {}
        read = self.reader(wanted=wanted, user_id=None, chat_id=None)
        return self.prefetched(await run_transaction(self._factory, read))

    def reader(
        self, *, wanted: list[tuple[str, ConversationKey]], user_id: int | None,
        chat_id: int | None,
    ) -> Callable[[Session], Prefetch]:
        """A read, to run in the caller's transaction (`ItdaApplication._prepare`), of the
        stored states of `wanted` and of the user's and chat's data; hand its result to
        `prefetched` in the update's task."""
        owners = [(kind, owner) for kind, owner in ((USER, user_id), (CHAT, chat_id))
                  if owner is not None]
        texts = {(name, json.dumps(list(key))): (name, key) for name, key in wanted}

        def read(session: Session) -> Prefetch:
            found = botstate.read_snapshot(
                session=session, owners=owners, keys=(key_text for _, key_text in texts)
            )
            return Prefetch(owners, texts, found)

        return read

    def prefetched(self, found: Prefetch) -> dict[tuple[str, ConversationKey], object]:
        """Keep what `reader` read for this update's `refresh_*_data` and return the states
        (as `load_conversations`)."""
        if found.owners:
            _PREFETCHED.set({owner: found.snapshot.data.get(owner) for owner in found.owners})
        _OWN.set(frozenset(
            [("data", kind, owner) for kind, owner in found.owners]
            + [("state", name, key_text) for name, key_text in found.texts]
        ))
        states: dict[tuple[str, ConversationKey], object] = {}
        for pair, original in found.texts.items():
            state = found.snapshot.states.get(pair)
            self._states[pair] = state
            if state is not None:
                states[original] = json.loads(state)
        return states


@dataclass(frozen=True)
class Prefetch:
    owners: list[tuple[str, int]]
    texts: dict[tuple[str, str], tuple[str, ConversationKey]]
    snapshot: botstate.Snapshot


def batched(persistence: object) -> contextlib.AbstractAsyncContextManager[None]:
    """`DatabasePersistence.batched()` of the application's persistence (nothing to batch for
    another persistence)."""
    if isinstance(persistence, DatabasePersistence):
        return persistence.batched()
    return contextlib.nullcontext()
