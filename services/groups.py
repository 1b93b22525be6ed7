"""The council's group chat: registered by a coordinator, shown aggregates only."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from models import audit as audit_db
from models import groups as groups_db
from models.tables import GroupChat
from services.membership import Actor, require_lead


async def register_group(
    *, session: AsyncSession, clock: Clock, actor: Actor, chat_id: int, title: str
) -> tuple[GroupChat, bool]:
    """Register (or re-activate) a council group; returns (group, newly registered)."""
    lead = require_lead(actor)
    group = await groups_db.get_group(session=session, chat_id=chat_id)
    if group is not None and group.active:
        return group, False
    if group is None:
        group = GroupChat(chat_id=chat_id)
    group.title, group.active = title[:255], True
    group.registered_by, group.registered_at = lead.id, clock.now()
    await groups_db.save_group(session=session, group=group)
    await audit_db.append_audit(
        session=session,
        at=clock.now(),
        action="group.register",
        actor_telegram_id=actor.telegram_id,
        actor_member_id=lead.id,
        entity="group",
        entity_id=group.id,
        detail={"chat_id": chat_id},
    )
    return group, True


async def is_registered(*, session: AsyncSession, chat_id: int) -> bool:
    group = await groups_db.get_group(session=session, chat_id=chat_id)
    return group is not None and group.active
