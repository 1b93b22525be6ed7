"""Queries for reminders: the plan's input (read from other features' tables) and the outbox.

The outbox (`ReminderLog`) has one row per (kind, recipient, occurrence), unique by `key`, with
a state (`core.statuses.OutboxState`): pending -> claimed -> sending -> sent / failed / pending
(a retry) / ambiguous; pending -> expired / skipped. Claims are atomic on both SQLite and
PostgreSQL: candidates are read with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite ignores the
clause and serialises writers anyway) and each row is then claimed by a conditional UPDATE
(``WHERE id = ? AND state = 'pending' AND attempts = ?``) whose row count says who won.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import local_zone
from core.statuses import OutboxState, Role
from models.rows import insert_for, per_dialect
from models.tables import (
    Agency,
    Attendance,
    GroupChat,
    JobOpening,
    JobSeeker,
    Meeting,
    Member,
    MonthlyReport,
    ProgrammeStep,
    ReminderClock,
    ReminderLog,
    Target,
)

PENDING, CLAIMED, SENDING = OutboxState.PENDING, OutboxState.CLAIMED, OutboxState.SENDING
SENT, FAILED, EXPIRED = OutboxState.SENT, OutboxState.FAILED, OutboxState.EXPIRED
SKIPPED, AMBIGUOUS = OutboxState.SKIPPED, OutboxState.AMBIGUOUS
HELD = (CLAIMED, SENDING)  # states in which a sender holds the row


# --- The plan's input (other features' tables, read directly) ----------------------------------
class ActiveMember(NamedTuple):
    telegram_id: int
    agency_id: int | None
    role: str


async def active_members(*, session: AsyncSession) -> list[ActiveMember]:
    """Who may get reminders: three columns, not whole rows (every pass reads every member)."""
    stmt = (
        select(Member.telegram_id, Member.agency_id, Member.role)
        .where(col(Member.active).is_(True))
        .order_by(col(Member.id))
    )
    return [ActiveMember(*row) for row in (await session.exec(stmt)).all()]


async def step_due_dates(
    *, session: AsyncSession, number: int, years: Sequence[int]
) -> dict[int, date]:
    """year -> due date of programme step `number`."""
    rows = await session.exec(
        select(ProgrammeStep).where(
            ProgrammeStep.number == number, col(ProgrammeStep.year).in_(list(years))
        )
    )
    return {s.year: s.due_on for s in rows.all()}


async def target_values(
    *, session: AsyncSession, years: Sequence[int]
) -> dict[tuple[int, int, str], int]:
    rows = await session.exec(select(Target).where(col(Target.year).in_(list(years))))
    return {(t.agency_id, t.year, t.metric): t.value for t in rows.all()}


async def progress_counts(*, session: AsyncSession, year: int) -> dict[tuple[int, int, str], int]:
    """Openings and seekers registered per agency in a year (deleted records do not count)."""
    start = datetime(year, 1, 1, tzinfo=local_zone())
    end = datetime(year + 1, 1, 1, tzinfo=local_zone())
    out: dict[tuple[int, int, str], int] = {}
    opening_rows = await session.exec(
        select(JobOpening.agency_id, func.count())
        .where(col(JobOpening.created_at) >= start, col(JobOpening.created_at) < end,
               col(JobOpening.deleted_at).is_(None))
        .group_by(col(JobOpening.agency_id))
    )
    for agency_id, n in opening_rows.all():
        out[(agency_id, year, "openings")] = int(n)
    seeker_rows = await session.exec(
        select(JobSeeker.agency_id, func.count())
        .where(col(JobSeeker.created_at) >= start, col(JobSeeker.created_at) < end,
               col(JobSeeker.deleted_at).is_(None))
        .group_by(col(JobSeeker.agency_id))
    )
    for agency_id, n in seeker_rows.all():
        out[(agency_id, year, "seekers")] = int(n)
    return out


async def submitted_reports(*, session: AsyncSession) -> set[tuple[int, str]]:
    """(agency id, "YYYY-MM") of every submitted monthly report."""
    rows = await session.exec(select(MonthlyReport.agency_id, MonthlyReport.month).distinct())
    return {(a, m) for a, m in rows.all()}


async def scheduled_meetings(
    *, session: AsyncSession, start: datetime, end: datetime
) -> Sequence[Meeting]:
    stmt = select(Meeting).where(
        col(Meeting.starts_at) >= start, col(Meeting.starts_at) <= end,
        Meeting.status == "scheduled",
    ).order_by(col(Meeting.starts_at), col(Meeting.id))
    return (await session.exec(stmt)).all()


async def rsvp_chats(
    *, session: AsyncSession, meeting_ids: Sequence[int], answers: Sequence[str]
) -> list[tuple[int, int, int | None]]:
    """(meeting id, telegram id, agency id) of active members whose RSVP is one of `answers`."""
    if not meeting_ids:
        return []
    rows = await session.exec(
        select(Attendance.meeting_id, Member.telegram_id, Member.agency_id)
        .join(Member, col(Member.id) == col(Attendance.member_id))
        .where(
            col(Attendance.meeting_id).in_(list(meeting_ids)),
            col(Attendance.rsvp).in_(list(answers)),
            col(Member.active).is_(True),
        )
        .order_by(col(Attendance.id))
    )
    return [(m, t, a) for m, t, a in rows.all()]


async def member_by_chat(*, session: AsyncSession, chat_id: int) -> Member | None:
    return (await session.exec(select(Member).where(Member.telegram_id == chat_id))).first()


async def coordinator_chats(*, session: AsyncSession) -> list[int]:
    rows = await session.exec(
        select(Member.telegram_id).where(
            col(Member.role).in_([Role.COORDINATOR, Role.ADMIN]), col(Member.active).is_(True)
        ).order_by(col(Member.id))
    )
    return list(rows.all())


async def group_by_chat(*, session: AsyncSession, chat_id: int) -> GroupChat | None:
    return (await session.exec(select(GroupChat).where(GroupChat.chat_id == chat_id))).first()


# --- The outbox --------------------------------------------------------------------------------
async def keys_due_between(*, session: AsyncSession, start: datetime, end: datetime) -> set[str]:
    """The keys of the rows due in [start, end]: what a pass planning that window has written
    before. One range read of ix_reminder_state_due (every state named, so that the index's
    first column is matched), not thousands of keys sent to ask about each (issue 18). A row
    whose key comes again with another due time is not in it; `add_rows` leaves it alone."""
    rows = await session.exec(
        select(ReminderLog.key).where(
            col(ReminderLog.state).in_(list(OutboxState)),
            col(ReminderLog.due_at) >= start,
            col(ReminderLog.due_at) <= end,
        )
    )
    return set(rows.all())


@dataclass(slots=True)
class OutboxEntry:
    """A row to write into the outbox. A plain record: a pass may plan thousands of rows (the past
    reminders of 500 members who just joined), and building a `ReminderLog` costs fifty times as
    much (about 0.1 ms each, in the event loop)."""

    key: str
    kind: str
    chat_id: int
    agency_id: int | None
    occurrence: str
    due_at: datetime
    state: str
    payload: dict[str, Any]
    id: int | None = None  # set by `add_rows` when the row is inserted


# One statement, INSERT ... ON CONFLICT (key) DO NOTHING RETURNING, run for ADD_CHUNK rows at a
# time (SQLAlchemy's insertmanyvalues batches them). A savepoint and a flush a row took 418 ms
# of the event loop for 980 rows (issue 18).
_OUTBOX = ReminderLog.__table__  # type: ignore[attr-defined]
_ADD = per_dialect(
    lambda dialect: insert_for(dialect)(_OUTBOX)
    .on_conflict_do_nothing(index_elements=[_OUTBOX.c.key])
    .returning(_OUTBOX.c.id, _OUTBOX.c.key)
)
ADD_CHUNK = 200


def _values(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "key": entry.key, "kind": entry.kind, "chat_id": entry.chat_id,
        "agency_id": entry.agency_id, "occurrence": entry.occurrence, "due_at": entry.due_at,
        "state": entry.state, "payload": entry.payload, "attempts": 0, "last_error": "",
        "claimed_by": None, "claimed_at": None, "sent_at": None,
    }


async def add_rows(*, session: AsyncSession, rows: Sequence[OutboxEntry]) -> list[OutboxEntry]:
    """Insert the rows whose key is new; returns those inserted, their `id` set.

    A key already in the outbox (another process inserted it meanwhile) or given twice is left
    alone (the first of a key is kept).
    """
    unique: dict[str, OutboxEntry] = {}
    for row in rows:
        unique.setdefault(row.key, row)
    if not unique:
        return []
    stmt = _ADD[(await session.connection()).dialect.name]
    fresh = list(unique.values())
    added: list[OutboxEntry] = []
    for i in range(0, len(fresh), ADD_CHUNK):
        chunk = fresh[i : i + ADD_CHUNK]
        result = await session.exec(stmt, params=[_values(row) for row in chunk])
        ids = {key: id_ for id_, key in result.all()}
        for row in chunk:
            if row.key in ids:
                row.id = ids[row.key]
                added.append(row)
    return added


async def pending_due(
    *, session: AsyncSession, now: datetime, limit: int = 200, lock: bool = True
) -> Sequence[ReminderLog]:
    """Pending rows due by `now`, oldest first; rows another process holds are skipped."""
    stmt = (
        select(ReminderLog)
        .where(ReminderLog.state == PENDING, col(ReminderLog.due_at) <= now)
        .order_by(col(ReminderLog.due_at), col(ReminderLog.id))
        .limit(limit)
    )
    if lock:
        stmt = stmt.with_for_update(skip_locked=True)
    return (await session.exec(stmt)).all()


def _claimable(now: datetime, exclude_chats: Sequence[int]) -> list[Any]:
    """Pending, due, and past its "not before" time (`claimed_at` of a pending row)."""
    conditions: list[Any] = [
        col(ReminderLog.state) == PENDING,
        col(ReminderLog.due_at) <= now,
        or_(col(ReminderLog.claimed_at).is_(None), col(ReminderLog.claimed_at) <= now),
    ]
    if exclude_chats:
        conditions.append(col(ReminderLog.chat_id).not_in(list(exclude_chats)))
    return conditions


async def claim_next(
    *, session: AsyncSession, now: datetime, worker: str, exclude_chats: Sequence[int] = ()
) -> ReminderLog | None:
    """Claim the oldest claimable row (not in `exclude_chats`) for `worker`, atomically.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets concurrent processes pick different rows; the
    conditional UPDATE is the actual claim on every database (row count 1 = ours).
    """
    for _ in range(5):
        stmt = (
            select(ReminderLog)
            .where(*_claimable(now, exclude_chats))
            .order_by(col(ReminderLog.due_at), col(ReminderLog.id))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = (await session.exec(stmt)).first()
        if row is None:
            return None
        if await claim(session=session, row_id=row.id or 0, attempts=row.attempts,
                       worker=worker, now=now):
            await session.refresh(row)
            return row
    return None


async def claimable_chats(
    *, session: AsyncSession, now: datetime, chats: Sequence[int]
) -> set[int]:
    """Which of `chats` have a claimable row (to know whether waiting for them is worth it)."""
    if not chats:
        return set()
    stmt = select(ReminderLog.chat_id).where(
        *_claimable(now, ()), col(ReminderLog.chat_id).in_(list(chats))
    ).distinct()
    return set((await session.exec(stmt)).all())


async def claim(
    *, session: AsyncSession, row_id: int, attempts: int, worker: str, now: datetime
) -> bool:
    """Atomically move one pending row to claimed; False if someone else got it first."""
    result = await session.exec(
        update(ReminderLog)
        .where(
            col(ReminderLog.id) == row_id,
            col(ReminderLog.state) == PENDING,
            col(ReminderLog.attempts) == attempts,
        )
        .values(state=CLAIMED, claimed_by=worker, claimed_at=now, attempts=attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def start_request(*, session: AsyncSession, row_id: int, worker: str) -> bool:
    """Claimed -> sending, committed right before the request is written: from here on,
    Telegram may have the message. False if the row is no longer this worker's."""
    result = await session.exec(
        update(ReminderLog)
        .where(col(ReminderLog.id) == row_id, col(ReminderLog.state) == CLAIMED,
               col(ReminderLog.claimed_by) == worker)
        .values(state=SENDING)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def finish(
    *, session: AsyncSession, row_id: int, worker: str, state: str, now: datetime,
    error: str = "", attempts: int | None = None, not_before: datetime | None = None,
) -> bool:
    """Record the outcome of this worker's send (only while it still holds the claim)."""
    values: dict[str, Any] = {"state": state, "last_error": error[:300]}
    if state == SENT:
        values["sent_at"] = now
    if attempts is not None:
        values["attempts"] = attempts
    if not_before is not None or state == PENDING:
        values["claimed_at"] = not_before
        values["claimed_by"] = None
    result = await session.exec(
        update(ReminderLog)
        .where(col(ReminderLog.id) == row_id, col(ReminderLog.state).in_(HELD),
               col(ReminderLog.claimed_by) == worker)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def set_state(
    *, session: AsyncSession, row_id: int, from_state: str, to_state: str, error: str = ""
) -> bool:
    result = await session.exec(
        update(ReminderLog)
        .where(col(ReminderLog.id) == row_id, col(ReminderLog.state) == from_state)
        .values(state=to_state, last_error=error[:300])
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def held_rows(*, session: AsyncSession) -> Sequence[ReminderLog]:
    """Rows a sender holds (claimed or sending): in flight, or left by a process that died."""
    stmt = select(ReminderLog).where(col(ReminderLog.state).in_(HELD))
    return (await session.exec(stmt.order_by(col(ReminderLog.id)))).all()


async def release(*, session: AsyncSession, row_id: int, worker: str | None) -> bool:
    """A claimed row whose request never started goes back to pending (the attempt is not
    counted); False if it moved on meanwhile."""
    result = await session.exec(
        update(ReminderLog)
        .where(col(ReminderLog.id) == row_id, col(ReminderLog.state) == CLAIMED,
               col(ReminderLog.claimed_by) == worker)
        .values(state=PENDING, claimed_by=None, claimed_at=None,
                attempts=col(ReminderLog.attempts) - 1)  # the claim counted it
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def settle_held(
    *, session: AsyncSession, row_id: int, worker: str | None, to_state: str, error: str
) -> bool:
    """A row left sending by a dead process (or one whose bookkeeping failed) is settled."""
    result = await session.exec(
        update(ReminderLog)
        .where(col(ReminderLog.id) == row_id, col(ReminderLog.state) == SENDING,
               col(ReminderLog.claimed_by) == worker)
        .values(state=to_state, last_error=error[:300])
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def list_outbox(
    *, session: AsyncSession, since: datetime, until: datetime | None = None,
    states: Sequence[str] | None = None,
) -> Sequence[ReminderLog]:
    stmt = select(ReminderLog).where(col(ReminderLog.due_at) >= since)
    if until is not None:
        stmt = stmt.where(col(ReminderLog.due_at) <= until)
    if states:
        stmt = stmt.where(col(ReminderLog.state).in_(states))
    return (await session.exec(stmt.order_by(col(ReminderLog.due_at), col(ReminderLog.id)))).all()


async def count_by_state(*, session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(ReminderLog.state, func.count()).group_by(col(ReminderLog.state))
    )
    return {state: int(n) for state, n in rows.all()}


async def existing_occurrences(
    *, session: AsyncSession, pairs: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which (kind, occurrence) pairs already have at least one outbox row."""
    found: set[tuple[str, str]] = set()
    for kind in {k for k, _ in pairs}:
        occurrences = [o for k, o in pairs if k == kind]
        rows = await session.exec(
            select(ReminderLog.occurrence).where(
                ReminderLog.kind == kind, col(ReminderLog.occurrence).in_(occurrences)
            ).distinct()
        )
        found.update((kind, o) for o in rows.all())
    return found


async def fail_pending_for_chat(*, session: AsyncSession, chat_id: int, error: str) -> int:
    result = await session.exec(
        update(ReminderLog)
        .where(col(ReminderLog.chat_id) == chat_id, col(ReminderLog.state) == PENDING)
        .values(state=FAILED, last_error=error[:300])
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def agency_name(*, session: AsyncSession, agency_id: int | None) -> str:
    if agency_id is None:
        return ""
    agency = await session.get(Agency, agency_id)
    return agency.short_name if agency is not None else ""


# --- When the passes ran (a fresh database, a stop) --------------------------------------------
async def note_pass(
    *, session: AsyncSession, now: datetime
) -> tuple[datetime, datetime | None]:
    """Record a reminder pass at `now`. Returns the first pass the database ever saw and the
    latest pass before this one (None when this is the first)."""
    row = await session.get(ReminderClock, 1)
    if row is None:
        try:
            async with session.begin_nested():
                session.add(ReminderClock(id=1, first_pass_at=now, last_pass_at=now))
            return now, None
        except IntegrityError:  # another process's first pass, at the same moment
            row = await session.get(ReminderClock, 1, populate_existing=True)
            assert row is not None
    assert row.first_pass_at is not None and row.last_pass_at is not None
    first, previous = row.first_pass_at, row.last_pass_at
    if now > previous:  # a clock set back (ITDA_NOW) never moves the record back
        row.last_pass_at = now
        session.add(row)
        await session.flush()
    return first, previous
