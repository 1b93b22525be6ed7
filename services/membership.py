"""Members, roles and invites: the rules of joining the council and of managing its members."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.errors import DomainError, NotAllowed
from core.statuses import AgencyKind, Role
from core.text import person_name
from models import council as council_db
from models import delivery as delivery_db
from models import invites as invites_db
from models import members as members_db
from models.tables import Agency, Invite, Member
from services.trail import audit

INVITE_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
INVITE_CODE_BYTES = 12  # 16 URL-safe characters: well inside Telegram's 64-character start limit
COORDINATOR_KINDS = frozenset({AgencyKind.PROVINCE, AgencyKind.EMPLOYMENT_OFFICE})


@dataclass(frozen=True)
class Actor:
    """Who is acting: the member (None for a stranger) and their Telegram id."""

    telegram_id: int
    member: Member | None
    # The member's agency when the caller has it already (the gate reads it with the member).
    agency: Agency | None = None

    @property
    def role(self) -> str | None:
        if self.member is None or not self.member.active:
            return None
        return self.member.role

    @property
    def is_lead(self) -> bool:
        return self.role in (Role.ADMIN, Role.COORDINATOR)


def require_lead(actor: Actor) -> Member:
    if not actor.is_lead or actor.member is None:
        raise NotAllowed("auth.leads_only")
    return actor.member


async def _make_admin(*, session: AsyncSession, clock: Clock, member: Member) -> Member:
    """An ADMIN_IDS user is an admin from their first message, even before any invite."""
    member.role, member.active, member.deactivated_at = Role.ADMIN, True, None
    session.add(member)
    await session.flush()
    await audit(
        session, clock.now(), member, action="member.admin_bootstrap", entity="member",
        entity_id=member.id,
    )
    return member


def _fallback_name(name: str) -> str:
    try:
        return person_name(name)
    except DomainError:
        return "admin"


def allowed_invite_roles(actor: Actor, agency: Agency) -> list[str]:
    """The roles this actor may invite someone to, at this agency."""
    roles = [Role.STAFF.value]
    if agency.kind in COORDINATOR_KINDS:
        roles.append(Role.COORDINATOR.value)
    if actor.role == Role.ADMIN:
        roles.append(Role.ADMIN.value)
    return roles


async def create_invite(
    *,
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    agency_id: int,
    role: str,
    valid_days: int,
) -> tuple[Invite, Agency]:
    lead = require_lead(actor)
    agency = await council_db.get_agency(session=session, agency_id=agency_id)
    if agency is None or not agency.active:
        raise DomainError("invite.unknown_agency")
    if role not in allowed_invite_roles(actor, agency):
        raise NotAllowed("invite.role_not_allowed")
    now = clock.now()
    invite = Invite(
        code=secrets.token_urlsafe(INVITE_CODE_BYTES),
        agency_id=agency_id,
        role=role,
        created_by=lead.id,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    await invites_db.add_invite(session=session, invite=invite)
    await audit(
        session, now, actor, action="invite.create", entity="invite", entity_id=invite.id,
        detail={"agency_id": agency_id, "role": role, "expires_at": invite.expires_at},
    )
    return invite, agency


async def open_invite(*, session: AsyncSession, clock: Clock, code: str) -> tuple[Invite, Agency]:
    """The invite behind a deep link, if it can still be used; otherwise say why not."""
    if not INVITE_CODE_RE.fullmatch(code):  # not one of ours (and never sent to the database)
        raise DomainError("invite.unknown")
    invite = await invites_db.get_invite_by_code(session=session, code=code)
    if invite is None:
        raise DomainError("invite.unknown")
    if invite.revoked_at is not None:
        raise DomainError("invite.revoked")
    if invite.used_at is not None:
        raise DomainError("invite.used")
    assert invite.expires_at is not None
    if invite.expires_at <= clock.now():
        raise DomainError("invite.expired")
    agency = await council_db.get_agency(session=session, agency_id=invite.agency_id)
    if agency is None or not agency.active:
        raise DomainError("invite.unknown_agency")
    return invite, agency


async def accept_invite(
    *,
    session: AsyncSession,
    clock: Clock,
    code: str,
    telegram_id: int,
    display_name: str,
    username: str | None,
    language: str,
) -> tuple[Member, Agency]:
    """Bind the user to the invite's agency and role; the invite is used exactly once."""
    invite, agency = await open_invite(session=session, clock=clock, code=code)
    name = person_name(display_name)
    member = await members_db.get_member_by_telegram_id(session=session, telegram_id=telegram_id)
    if member is not None and member.active and member.agency_id is not None:
        current = await council_db.get_agency(session=session, agency_id=member.agency_id)
        raise DomainError(
            "invite.already_member", agency=current.short_name if current else "-"
        )
    now = clock.now()
    if member is None:
        member = Member(telegram_id=telegram_id, display_name=name, joined_at=now)
    # An admin keeps the admin role when joining an agency.
    role = Role.ADMIN.value if member.role == Role.ADMIN and member.active else invite.role
    member.display_name, member.username, member.language = name, username, language
    member.agency_id, member.role = agency.id, role
    member.active, member.deactivated_at, member.blocked_at = True, None, None
    member.joined_at = now
    session.add(member)
    await session.flush()
    assert invite.id is not None and member.id is not None
    if not await invites_db.claim_invite(
        session=session, invite_id=invite.id, member_id=member.id, now=now
    ):
        raise DomainError("invite.used")
    await audit(
        session, now, member, action="member.join", entity="member",
        entity_id=member.id, detail={"agency_id": agency.id, "role": role, "invite_id": invite.id},
    )
    return member, agency


async def revoke_invite(
    *, session: AsyncSession, clock: Clock, actor: Actor, invite_id: int
) -> Invite:
    require_lead(actor)
    invite = await invites_db.get_invite(session=session, invite_id=invite_id)
    if invite is None:
        raise DomainError("invite.unknown")
    if not await invites_db.revoke_invite(session=session, invite_id=invite_id, now=clock.now()):
        raise DomainError("invite.not_revocable")
    await audit(
        session, clock.now(), actor, action="invite.revoke", entity="invite",
        entity_id=invite_id,
    )
    await session.refresh(invite)
    return invite


async def deactivate_member(
    *, session: AsyncSession, clock: Clock, actor: Actor, member_id: int
) -> Member:
    lead = require_lead(actor)
    member = await members_db.get_member(session=session, member_id=member_id)
    if member is None:
        raise DomainError("members.unknown")
    if member.id == lead.id:
        raise DomainError("members.not_self")
    if member.role == Role.ADMIN and lead.role != Role.ADMIN:
        raise NotAllowed("members.admin_protected")
    if not member.active:
        raise DomainError("members.already_inactive", name=member.display_name)
    member.active, member.deactivated_at = False, clock.now()
    session.add(member)
    await audit(
        session, clock.now(), actor, action="member.deactivate", entity="member",
        entity_id=member.id, detail={"agency_id": member.agency_id, "role": member.role},
    )
    return member


async def set_language(*, session: AsyncSession, member_id: int, language: str) -> Member | None:
    """Store a member's language (None when the member row is gone)."""
    member = await members_db.get_member(session=session, member_id=member_id)
    if member is None:
        return None
    member.language = language
    session.add(member)
    await session.flush()
    return member


async def member_at_gate(
    *,
    session: AsyncSession,
    clock: Clock,
    telegram_id: int,
    admin_ids: list[int],
    display_name: str,
    username: str | None,
    language: str,
) -> tuple[Member | None, Agency | None]:
    """The user's member row and agency, making an ADMIN_IDS user an admin and marking someone
    who had blocked the bot as reachable again (they write to the bot, so they unblocked it)."""
    member = await members_db.get_member_by_telegram_id(session=session, telegram_id=telegram_id)
    is_admin = member is not None and member.active and member.role == Role.ADMIN
    if telegram_id in admin_ids and not is_admin:
        member = await _make_admin(session=session, clock=clock, member=member or Member(
            telegram_id=telegram_id, display_name=_fallback_name(display_name),
            username=username, language=language, joined_at=clock.now(),
        ))
    if member is not None and member.blocked_at is not None:
        await delivery_db.mark_reachable(session=session, telegram_id=telegram_id)
        member.blocked_at = None
    agency = None
    if member is not None and member.agency_id is not None:
        agency = await council_db.get_agency(session=session, agency_id=member.agency_id)
    return member, agency


async def language_of(*, session: AsyncSession, telegram_id: int) -> str | None:
    """The language a member chose (None for someone who is not a member)."""
    member = await members_db.get_member_by_telegram_id(session=session, telegram_id=telegram_id)
    return member.language if member is not None and member.language else None
