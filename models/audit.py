"""The audit log: append-only, each row hash-chained to the previous one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import AuditLog


def _row_hash(prev_hash: str, entry: AuditLog) -> str:
    assert entry.at is not None
    body = json.dumps(
        {
            "prev": prev_hash,
            "at": entry.at.isoformat(),
            "actor": entry.actor_telegram_id,
            "member": entry.actor_member_id,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "detail": entry.detail,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


async def append_audit(
    *,
    session: AsyncSession,
    at: datetime,
    action: str,
    actor_telegram_id: int | None = None,
    actor_member_id: int | None = None,
    entity: str = "",
    entity_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    last = (
        await session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(1))
    ).first()
    prev_hash = last.hash if last else ""
    entry = AuditLog(
        at=at,
        action=action,
        actor_telegram_id=actor_telegram_id,
        actor_member_id=actor_member_id,
        entity=entity,
        entity_id=entity_id,
        detail=json.loads(json.dumps(detail or {}, default=str, ensure_ascii=False)),
        prev_hash=prev_hash,
    )
    entry.hash = _row_hash(prev_hash, entry)
    session.add(entry)
    await session.flush()
    return entry


async def list_audit(
    *, session: AsyncSession, action_prefix: str | None = None
) -> Sequence[AuditLog]:
    stmt = select(AuditLog)
    if action_prefix:
        stmt = stmt.where(col(AuditLog.action).startswith(action_prefix))
    return (await session.exec(stmt.order_by(col(AuditLog.id)))).all()


def verify_chain(entries: Sequence[AuditLog]) -> int | None:
    """The id of the first entry whose hash does not match, or None if the chain is intact."""
    prev = ""
    for entry in entries:
        if entry.prev_hash != prev or entry.hash != _row_hash(prev, entry):
            return entry.id
        prev = entry.hash
    return None


async def audit_until(*, session: AsyncSession, before: datetime) -> Sequence[AuditLog]:
    """Every entry older than `before`, oldest first (the chain is checked from its start)."""
    stmt = select(AuditLog).where(col(AuditLog.at) < before).order_by(col(AuditLog.id))
    return (await session.exec(stmt)).all()
