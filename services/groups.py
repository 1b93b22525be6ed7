"""The council's group chat: registered by a coordinator, shown aggregates only."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from models import groups as groups_db
from models.tables import GroupChat
from services.membership import Actor, require_lead
from services.trail import audit


async def other_council_group(
    *, session: AsyncSession, actor: Actor, chat_id: int
) -> GroupChat | None:
    """The council group registered elsewhere (before `chat_id` may be registered, the
    coordinator confirms moving it), or None."""
    require_lead(actor)
    for group in await groups_db.active_groups(session=session):
        if group.chat_id != chat_id:
            return group
    return None


async def register_group(
    *, session: AsyncSession, clock: Clock, actor: Actor, chat_id: int, title: str,
    move: bool = False,
) -> tuple[GroupChat, bool]:
    """Register (or re-activate) the council group; returns (group, newly registered).

    There is one council group: with another one registered, `move` (the coordinator
    confirmed) retires it, so it gets no more reminders; without, DomainError."""
    lead = require_lead(actor)
    group = await groups_db.get_group(session=session, chat_id=chat_id)
    if group is not None and group.active:
        return group, False
    others = [g for g in await groups_db.active_groups(session=session) if g.chat_id != chat_id]
    if others and not move:
        raise DomainError("group.other_registered", title=others[0].title)
    for old in others:
        old.active = False
        await groups_db.save_group(session=session, group=old)
    if group is None:
        group = GroupChat(chat_id=chat_id)
    group.title, group.active = title[:255], True
    group.registered_by, group.registered_at = lead.id, clock.now()
    await groups_db.save_group(session=session, group=group)
    detail: dict[str, object] = {"chat_id": chat_id}
    if others:
        detail["moved_from"] = [g.chat_id for g in others]
    await audit(session, clock.now(), actor, action="group.move" if others else "group.register",
                entity="group", entity_id=group.id, detail=detail)
    return group, True


async def is_registered(*, session: AsyncSession, chat_id: int) -> bool:
    group = await groups_db.get_group(session=session, chat_id=chat_id)
    return group is not None and group.active
