"""Demo data for the sandbox and `itda seed --demo`: people and a group of a believable season.

Feature modules add their demo records (openings, seekers, meetings, reports) through
`DEMO_STEPS`, so one command loads the whole season into any database, idempotently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.statuses import Role
from demo import followups, meetings, records, season
from models import council as council_db
from models import groups as groups_db
from models import members as members_db
from models.tables import GroupChat, Member
from services.crypto import Cipher


@dataclass(frozen=True)
class DemoUser:
    telegram_id: int
    name: str
    agency_code: str
    role: str
    label: str  # how the sandbox lists this user


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(900001, "Admin", "chungnam-province", Role.ADMIN, "admin"),
    DemoUser(900002, "김민지", "chungnam-province", Role.COORDINATOR, "coordinator"),
    DemoUser(900003, "이수진", "saeil-cheonan", Role.STAFF, "saeil"),
    DemoUser(900004, "박정호", "chungnam-north-chamber", Role.STAFF, "employer"),
    DemoUser(900005, "최은영", "saeil-asan", Role.STAFF, "saeil2"),
    DemoUser(900006, "정대현", "daejeon-employment", Role.COORDINATOR, "coordinator2"),
)
DEMO_GROUP_ID = -1009000001
DEMO_GROUP_TITLE = "충남 시간선택제 실무자협의회"

DemoStep = Callable[[AsyncSession, Clock, Cipher], Awaitable[None]]

# Each feature's demo records, run in this order after the people are in.
# A step must be idempotent (running `itda seed --demo` twice changes nothing the second time).
DEMO_STEPS: tuple[DemoStep, ...] = (
    records.load_season,  # openings, seekers (with consent), hires
    followups.demo_step,  # the hires' follow-up points, those due answered
    meetings.demo_step,  # council meeting and meeting days
    season.seed_reports_demo,  # targets and monthly reports
)


async def seed_demo(*, session: AsyncSession, clock: Clock, cipher: Cipher) -> int:
    """Demo members and the council group, then every feature's demo records."""
    now = clock.now()
    admin_id: int | None = None
    for user in DEMO_USERS:
        agency = await council_db.get_agency_by_code(session=session, code=user.agency_code)
        assert agency is not None, f"council file lacks {user.agency_code}"
        member = await members_db.get_member_by_telegram_id(
            session=session, telegram_id=user.telegram_id
        )
        if member is None:
            member = Member(telegram_id=user.telegram_id, display_name=user.name, joined_at=now)
        member.agency_id, member.role, member.active = agency.id, user.role, True
        session.add(member)
        await session.flush()
        if user.role == Role.ADMIN:
            admin_id = member.id
    if await groups_db.get_group(session=session, chat_id=DEMO_GROUP_ID) is None:
        await groups_db.save_group(
            session=session,
            group=GroupChat(
                chat_id=DEMO_GROUP_ID,
                title=DEMO_GROUP_TITLE,
                registered_by=admin_id,
                registered_at=now,
            ),
        )
    for step in DEMO_STEPS:
        await step(session, clock, cipher)
    return len(DEMO_USERS)
