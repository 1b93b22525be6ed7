"""What openings and seekers share: saving a confirmed draft once (its receipt), and once loaded
and checked, a field edit, a status change and a soft deletion, each audited. The record's own
module loads it, checks who may touch it and passes a hook for what only its kind does (an
opening's `closed_at`, a seeker's retired phone key)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from models import audit as audit_db
from models import council as council_db
from models import receipts as receipts_db
from models.rows import add_row
from models.tables import Member
from services.forms import FieldSpec
from services.membership import Actor


class Record(Protocol):
    """The columns a status change and a soft deletion touch (JobOpening, JobSeeker)."""

    id: int | None
    status: str
    updated_at: datetime | None
    deleted_at: datetime | None


R = TypeVar("R", bound=Record)
Hook = Callable[[R, datetime], None]  # the record and the time of the change


async def saved_before(
    *, session: AsyncSession, token: str | None, entity: str,
    load: Callable[[int], Awaitable[R | None]],
) -> R | None:
    """The record a 저장 of this draft (`token`) already created, when it is repeated after a
    crash."""
    if not token:
        return None
    done = await receipts_db.get_receipt(session=session, token=token, kind=entity)
    return await load(done) if done else None


async def check_draft(
    *, session: AsyncSession, draft: dict[str, Any], fields: Iterable[FieldSpec]
) -> None:
    """Refuse a draft with a required answer missing or a 시군 that is not the council's."""
    if any(not s.optional and draft.get(s.key) in (None, "") for s in fields):
        raise DomainError("records.incomplete")
    if await council_db.get_region(session=session, code=draft["region_code"]) is None:
        raise DomainError("records.unknown_region")


async def store_new(
    *, session: AsyncSession, at: datetime, actor: Actor, member: Member, record: R,
    entity: str, token: str | None, detail: dict[str, Any],
) -> R:
    """Add the new record with the draft's receipt (`token`), audited as `<entity>.create`."""
    await add_row(session=session, row=record)  # type: ignore[type-var]
    assert record.id is not None
    if token:
        await receipts_db.add_receipt(session=session, token=token, kind=entity,
                                      record_id=record.id, at=at)
    await audit_db.append_audit(
        session=session, at=at, action=f"{entity}.create", actor_telegram_id=actor.telegram_id,
        actor_member_id=member.id, entity=entity, entity_id=record.id, detail=detail,
    )
    return record


def check_field(key: str, fields: Iterable[FieldSpec]) -> None:
    """Refuse to edit a field the record's form does not have."""
    if key not in {spec.key for spec in fields}:
        raise DomainError("records.unknown_field")


async def store_edit(
    *, session: AsyncSession, at: datetime, actor: Actor, record: R, entity: str,
    detail: dict[str, Any],
) -> R:
    """A field changed: stamp `updated_at`, audited as `<entity>.edit` with `detail` (never
    personal data)."""
    record.updated_at = at
    await _store(session=session, at=at, actor=actor, record=record, action=f"{entity}.edit",
                 entity=entity, detail=detail)
    return record


async def change_status(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    record: R,
    entity: str,
    statuses: tuple[str, ...],
    status: str,
    also: Hook[R] | None = None,
) -> R:
    """Set one of `statuses`, audited as `<entity>.status` with the old and new status."""
    if status not in statuses:
        raise DomainError("records.unknown_status")
    old, now = record.status, clock.now()
    record.status, record.updated_at = status, now
    if also is not None:
        also(record, now)
    await _store(session=session, at=now, actor=actor, record=record, action=f"{entity}.status",
                 entity=entity, detail={"old": old, "new": status})
    return record


async def soft_delete(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    record: R,
    entity: str,
    also: Hook[R] | None = None,
) -> R:
    """Stamp `deleted_at` (the row stays, hidden from every query), audited as
    `<entity>.delete` with the status it had."""
    now = clock.now()
    record.deleted_at = record.updated_at = now
    if also is not None:
        also(record, now)
    await _store(session=session, at=now, actor=actor, record=record, action=f"{entity}.delete",
                 entity=entity, detail={"status": record.status})
    return record


async def _store(
    *,
    session: AsyncSession,
    at: datetime,
    actor: Actor,
    record: Record,
    action: str,
    entity: str,
    detail: dict[str, Any],
) -> None:
    """The changed record and its audit entry, in the caller's transaction."""
    session.add(record)
    await audit_db.append_audit(
        session=session, at=at, action=action, actor_telegram_id=actor.telegram_id,
        actor_member_id=actor.member.id if actor.member else None, entity=entity,
        entity_id=record.id, detail=detail,
    )
