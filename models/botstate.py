"""The bot's own state rows: python-telegram-bot's user/chat data and conversation states.

These are read and written on every update (bot/persistence.py), so they are plain SQL
statements built once, with bound parameters: SQLAlchemy compiles each of them once and then
only binds values (building an ORM query per update cost a few milliseconds of CPU per step,
docs/PERFORMANCE.md). Writes are upserts in the dialect of the session (SQLite or PostgreSQL).
The functions are synchronous: callers run them with `models.db.run_transaction`, which runs a
whole transaction in one trip to the database thread on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from models.rows import insert_for, per_dialect
from models.tables import BotData, ConversationState

_DATA = BotData.__table__  # type: ignore[attr-defined]
_STATES = ConversationState.__table__  # type: ignore[attr-defined]

# 0 is no Telegram user or chat: it stands for "no owner" in the two-owner read below.
NO_OWNER = 0

_READ_DATA = select(_DATA.c.kind, _DATA.c.owner_id, _DATA.c.data).where(
    or_(
        and_(_DATA.c.kind == bindparam("kind_a"), _DATA.c.owner_id == bindparam("owner_a")),
        and_(_DATA.c.kind == bindparam("kind_b"), _DATA.c.owner_id == bindparam("owner_b")),
    )
)
_READ_STATES = select(_STATES.c.name, _STATES.c.key, _STATES.c.state).where(
    _STATES.c.key.in_(bindparam("keys", expanding=True))
)
_DELETE_STATE = delete(_STATES).where(
    _STATES.c.name == bindparam("name"), _STATES.c.key == bindparam("key")
)
_DELETE_DATA = delete(_DATA).where(
    _DATA.c.kind == bindparam("kind"), _DATA.c.owner_id == bindparam("owner_id")
)


def _upserts(dialect: str) -> tuple[Any, Any]:
    insert = insert_for(dialect)
    data = insert(_DATA)
    data = data.on_conflict_do_update(
        index_elements=[_DATA.c.kind, _DATA.c.owner_id], set_={"data": data.excluded.data}
    )
    state = insert(_STATES)
    state = state.on_conflict_do_update(
        index_elements=[_STATES.c.name, _STATES.c.key], set_={"state": state.excluded.state}
    )
    return data, state


_UPSERTS = per_dialect(_upserts)


def connection_of(session: Session) -> Connection:
    """The session's connection, for Core statements without the ORM's per-statement work."""
    return session.connection()


@dataclass(frozen=True)
class Snapshot:
    """What one read found: data by (kind, owner) and states by (name, key text)."""

    data: dict[tuple[str, int], dict[str, Any]]
    states: dict[tuple[str, str], str]


def read_snapshot(
    *, session: Session, owners: Sequence[tuple[str, int]], keys: Iterable[str]
) -> Snapshot:
    """The data of up to two owners (kind, id) and the conversation states stored under some
    keys (JSON text of a conversation key), whatever the conversation."""
    conn = connection_of(session)
    data: dict[tuple[str, int], dict[str, Any]] = {}
    if owners:
        (kind_a, owner_a), (kind_b, owner_b) = owners[0], owners[-1]
        rows = conn.execute(
            _READ_DATA,
            {"kind_a": kind_a, "owner_a": owner_a, "kind_b": kind_b, "owner_b": owner_b},
        )
        data = {(kind, owner): dict(value) for kind, owner, value in rows}
    states: dict[tuple[str, str], str] = {}
    wanted = list(dict.fromkeys(keys))
    if wanted:
        rows = conn.execute(_READ_STATES, {"keys": wanted})
        states = {(name, key): state for name, key, state in rows}
    return Snapshot(data, states)


def read_data(*, session: Session, kind: str, owner_id: int) -> dict[str, Any] | None:
    found = read_snapshot(session=session, owners=[(kind, owner_id)], keys=())
    return found.data.get((kind, owner_id))


def save_data(
    *, session: Session, kind: str, owner_id: int, data: dict[str, Any]
) -> None:
    conn = connection_of(session)
    upsert, _ = _UPSERTS[conn.dialect.name]
    conn.execute(upsert, {"kind": kind, "owner_id": owner_id, "data": data})


def drop_data(*, session: Session, kind: str, owner_id: int) -> None:
    conn = connection_of(session)
    conn.execute(_DELETE_DATA, {"kind": kind, "owner_id": owner_id})


def save_state(*, session: Session, name: str, key: str, state: str | None) -> None:
    """Store a conversation's state under a key; None deletes it (the conversation ended)."""
    conn = connection_of(session)
    if state is None:
        conn.execute(_DELETE_STATE, {"name": name, "key": key})
        return
    _, upsert = _UPSERTS[conn.dialect.name]
    conn.execute(upsert, {"name": name, "key": key, "state": state})


def all_data(*, session: Session, kind: str) -> dict[int, dict[str, Any]]:
    conn = connection_of(session)
    rows = conn.execute(select(_DATA.c.owner_id, _DATA.c.data).where(_DATA.c.kind == kind))
    return {owner: dict(value) for owner, value in rows}


def all_states(*, session: Session, name: str) -> dict[str, str]:
    conn = connection_of(session)
    rows = conn.execute(
        select(_STATES.c.key, _STATES.c.state).where(_STATES.c.name == name)
    )
    return {key: state for key, state in rows}
