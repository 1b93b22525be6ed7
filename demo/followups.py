"""Demo follow-up (사후관리): the season's hires get their points, and the points already due are
answered as a centre would have (most still working, some left, one unreachable), with the
latest left open, so /followups, /status and the workbook show retention."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock
from core.statuses import FollowUpState, LeaveReason
from models.tables import FollowUp, Hire
from services import followups
from services.council import FollowUpConfig
from services.crypto import Cipher

OPEN_DAYS = 10  # points due in the last days before "today" stay to be answered


async def demo_step(session: AsyncSession, clock: Clock, cipher: Cipher) -> None:
    """Idempotent: points are created once per hire, and only unanswered ones are answered."""
    now = clock.now()
    await followups.backfill(session=session, config=FollowUpConfig(), now=now)
    today = clock.today()
    rng = random.Random(17)
    stmt = (
        select(FollowUp, Hire)
        .join(Hire, col(Hire.id) == col(FollowUp.hire_id))
        .where(FollowUp.state == FollowUpState.DUE,
               col(FollowUp.due_on) <= today - timedelta(days=OPEN_DAYS))
        .order_by(col(FollowUp.hire_id), col(FollowUp.months))
    )
    left: dict[int, FollowUp] = {}  # hire id -> the point at which she had left
    for point, hire in (await session.exec(stmt)).all():
        roll = rng.random()
        answered = datetime.combine(point.due_on + timedelta(days=2), time(11), tzinfo=clock.tz)
        if hire.id in left:
            point.state = FollowUpState.LEFT
            point.left_on, point.left_reason = left[hire.id].left_on, left[hire.id].left_reason
        elif roll < 0.75:
            point.state = FollowUpState.EMPLOYED
        elif roll < 0.92:
            point.state = FollowUpState.LEFT
            point.left_on = point.due_on - timedelta(days=rng.randint(3, 20))
            point.left_reason = rng.choice(list(LeaveReason))
            left[hire.id or 0] = point
        else:
            point.state = FollowUpState.UNREACHABLE
        point.answered_at = min(answered, now)
        session.add(point)
    await session.flush()
