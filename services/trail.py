"""The audit trail as services write it: who acted (an `Actor`, or a member acting on their own
row, e.g. joining), what they did and to which record."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models import audit as audit_db
from models.tables import Member

if TYPE_CHECKING:  # services.membership writes the trail too
    from services.membership import Actor


async def audit(
    session: AsyncSession,
    at: datetime,
    who: Actor | Member,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit line in the caller's transaction (ids only, never personal data in `detail`)."""
    member = who if isinstance(who, Member) else who.member
    await audit_db.append_audit(
        session=session, at=at, action=action, actor_telegram_id=who.telegram_id,
        actor_member_id=member.id if member is not None else None, entity=entity,
        entity_id=entity_id, detail=detail,
    )
