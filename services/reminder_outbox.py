"""The reminders outbox at the service level: planning into it, expiry, notices, the outcome of a
send. No Telegram here; `scheduler.reminders` does the sending.

States: pending -> sending -> sent / failed / expired.

- Every reminder due is written to the outbox (unique key kind|recipient|occurrence) *before* it
  is sent, so a restart or a second process can never plan it twice.
- A reminder not sent on the day it fell due (or past its stale time, e.g. a meeting that has
  started) is expired instead of sent; coordinators are told and see them in /reminders.
- What fell due before the database's first reminder pass (a fresh install, a demo season
  loaded before the first start) is skipped, silently: nobody missed it, the bot was not there
  yet. So is a reminder whose data came later than its time while the bot ran. Only a
  reminder due while the bot was really stopped (no pass for longer than `STOP_GAP`) counts as
  missed; the one notice then says how long the bot was stopped and lists what was missed.
- For a pending row, `claimed_at` is "not before": a failed attempt sets it to the time of the
  next attempt (exponential backoff); for a sending row it is the time of the claim.

About a crash in the middle of a send (why a row is never sent twice and, in practice, never
lost): Telegram's sendMessage has no idempotency key, so after a crash nobody can tell whether a
row left in `sending` reached Telegram. Each row is claimed just before its HTTP request and
marked sent just after the answer, so only the requests awaiting their answer are ever in that
state (at most `scheduler.reminders.MAX_IN_FLIGHT` per process, about 7 at Telegram's pace and
250 ms a round trip), and a cooperative stop (task cancellation, SIGTERM) waits for the
requests in flight to be answered and recorded (see `scheduler.reminders`). Only a hard kill
(kill -9, power loss) can leave rows in `sending`; when their lease has run out they are marked
**sent, unconfirmed** rather than sent again: their requests had already been handed to
Telegram (a claim is committed microseconds before its request is written) so resending would
almost surely double them, while marking them sent risks losing only a message whose process
died between those two instructions. Unconfirmed rows are shown to the coordinators in
/reminders so a person can check. We chose "never doubled" for these ambiguous rows because a
double nudge to public servants erodes trust in every later one, and the coordinators see the
rare unconfirmed case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core import calendar as cal
from core.clock import Clock, local_zone
from models import reminders as outbox_db
from models.tables import Member, ReminderLog
from services import openings as openings_service
from services import reminders as planner

LOOKBACK = timedelta(days=7)  # how far back each pass looks for reminders the bot missed
LEASE = timedelta(minutes=2)  # a row in sending longer than this was left by a dead process
MAX_ATTEMPTS = 5
BACKOFF = timedelta(seconds=30)  # doubled after each failed attempt, up to BACKOFF_MAX
BACKOFF_MAX = timedelta(minutes=15)
UNCONFIRMED = "unconfirmed: the process stopped during the send"
BLOCKED = "blocked: 403"
# Passes come every REMINDER_INTERVAL (30 s): no pass for longer than this means the bot was
# stopped (or its machine asleep) and what fell due meanwhile was missed.
STOP_GAP = timedelta(minutes=5)
NOTICE_ITEMS = 12  # missed reminders listed in one notice (the rest is counted)


@dataclass
class PlanPass:
    pending: int = 0
    expired: int = 0
    skipped: int = 0
    unconfirmed: int = 0
    closed_openings: int = 0
    expired_rows: list[ReminderLog] = field(default_factory=list)


@dataclass(frozen=True)
class PassClock:
    """What the database knows of earlier passes, as seen by the pass at `now`."""

    first_pass_at: datetime  # the database's first reminder pass (this one, on a fresh install)
    stopped_since: datetime | None = None  # the latest pass before a stop that ends now


async def note_pass(*, session: AsyncSession, now: datetime) -> PassClock:
    """Record this pass; was the bot stopped since the one before?"""
    first, previous = await outbox_db.note_pass(session=session, now=now)
    stopped = previous if previous is not None and now - previous > STOP_GAP else None
    return PassClock(first_pass_at=first, stopped_since=stopped)


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _row(r: planner.Reminder, state: str) -> ReminderLog:
    payload = dict(r.payload)
    if r.stale_after is not None:
        payload["stale_after"] = r.stale_after.isoformat()
    return ReminderLog(
        key=r.key, kind=r.kind, chat_id=r.chat_id, agency_id=r.agency_id,
        occurrence=r.occurrence[:60], due_at=r.due_at, state=state, payload=payload,
    )


def stale_after(row: ReminderLog) -> datetime | None:
    raw = row.payload.get("stale_after") if row.payload else None
    return datetime.fromisoformat(raw) if raw else None


async def plan_into_outbox(
    *, session: AsyncSession, now: datetime, clock: PassClock, lookback: timedelta = LOOKBACK
) -> PlanPass:
    """Write every reminder due in [now - lookback, now] that the outbox does not have yet.

    Reminders due earlier today go in as pending (sent at once). Those due before the first
    pass go in as skipped. Older ones go in as expired when they fell due while the bot was
    stopped (`clock.stopped_since`) and nobody got that occurrence (a member who joined or
    answered an RSVP late is not listed as a missed reminder); as skipped when they fell due
    while the bot ran, before their data existed (a demo season loaded into a running bot).
    """
    data = await planner.load_plan_data(session=session, start=now - lookback, end=now)
    due = planner.reminders_of(planner.plan(data, start=now - lookback, end=now))
    known = await outbox_db.existing_keys(session=session, keys=[r.key for r in due])
    new = [r for r in due if r.key not in known]
    late = [r for r in new if r.due_at >= clock.first_pass_at
            and planner.is_expired(due_at=r.due_at, stale_after=r.stale_after, now=now)]
    seen = await outbox_db.existing_occurrences(
        session=session, pairs={(r.kind, r.occurrence[:60]) for r in late}
    )
    rows = []
    for r in new:
        if r.due_at < clock.first_pass_at:
            rows.append(_row(r, outbox_db.SKIPPED))
        elif r not in late:
            rows.append(_row(r, outbox_db.PENDING))
        elif (r.kind, r.occurrence[:60]) in seen:
            continue
        elif clock.stopped_since is not None and r.due_at > clock.stopped_since:
            rows.append(_row(r, outbox_db.EXPIRED))
        else:
            rows.append(_row(r, outbox_db.SKIPPED))
    added = await outbox_db.add_rows(session=session, rows=rows)
    result = PlanPass()
    for row in added:
        if row.state == outbox_db.EXPIRED:
            result.expired += 1
            result.expired_rows.append(row)
        elif row.state == outbox_db.SKIPPED:
            result.skipped += 1
        else:
            result.pending += 1
    return result


async def expire_and_recover(*, session: AsyncSession, now: datetime) -> PlanPass:
    """Expire pending rows that are too old; settle rows a dead process left in sending."""
    result = PlanPass()
    for row in await outbox_db.pending_due(session=session, now=now, limit=5000, lock=False):
        if planner.is_expired(due_at=row.due_at or now, stale_after=stale_after(row), now=now):
            if await outbox_db.set_state(session=session, row_id=row.id or 0,
                                         from_state=outbox_db.PENDING,
                                         to_state=outbox_db.EXPIRED, error=row.last_error):
                result.expired += 1
                result.expired_rows.append(row)
    for row in await outbox_db.stale_sending(session=session, before=now - LEASE):
        if await outbox_db.set_state(session=session, row_id=row.id or 0,
                                     from_state=outbox_db.SENDING, to_state=outbox_db.SENT,
                                     error=UNCONFIRMED):
            result.unconfirmed += 1
    return result


async def enqueue_notice(
    *, session: AsyncSession, kind: str, chat_ids: Sequence[int], occurrence: str,
    now: datetime, payload: dict[str, Any], agency_id: int | None = None,
) -> int:
    """Put a notice for some chats into the outbox, due now (or at 08:00 after quiet hours)."""
    due = cal.next_send_time(now)
    reminders = [
        planner.Reminder(kind=kind, chat_id=c, agency_id=agency_id, occurrence=occurrence,
                         due_at=due, payload=payload)
        for c in dict.fromkeys(chat_ids)
    ]
    added = await outbox_db.add_rows(
        session=session, rows=[_row(r, outbox_db.PENDING) for r in reminders]
    )
    return len(added)


async def notify_expired(
    *, session: AsyncSession, now: datetime, rows: Sequence[ReminderLog], clock: PassClock
) -> None:
    """Tell the coordinators, in one message, which reminders were missed; after a stop, for
    how long the bot was stopped. Once per stop (or once a day for other expiries)."""
    if not rows:
        return
    groups: dict[tuple[str, str, int | None, bool], list[ReminderLog]] = {}
    for row in sorted(rows, key=lambda r: (r.due_at or now, r.kind, r.agency_id or 0)):
        group_key = (row.kind, row.occurrence, row.agency_id, row.chat_id < 0)
        groups.setdefault(group_key, []).append(row)
    names: dict[int, str] = {}
    items = []
    for (kind, _occurrence, agency_id, group), members in list(groups.items())[:NOTICE_ITEMS]:
        if agency_id is not None and agency_id not in names:
            names[agency_id] = await outbox_db.agency_name(session=session, agency_id=agency_id)
        due = members[0].due_at or now
        items.append({"kind": kind, "due": due.isoformat(), "group": group,
                      "agency": names.get(agency_id, "") if agency_id is not None else "",
                      "chats": len(members)})
    payload: dict[str, Any] = {"count": len(rows), "items": items,
                               "more": max(len(groups) - NOTICE_ITEMS, 0)}
    if clock.stopped_since is not None:
        payload["stopped_since"] = clock.stopped_since.isoformat()
        payload["resumed_at"] = now.isoformat()
        occurrence = f"stop:{clock.stopped_since.astimezone(local_zone()):%Y%m%dT%H%M%S}"
    else:
        occurrence = now.astimezone(local_zone()).date().isoformat()
    chats = await outbox_db.coordinator_chats(session=session)
    await enqueue_notice(
        session=session, kind=planner.EXPIRED_NOTICE, chat_ids=chats,
        occurrence=occurrence, now=now, payload=payload,
    )


async def close_openings(*, session: AsyncSession, clock: Clock) -> int:
    """The daily closing of openings past their deadline; each owner is told once."""
    closed = await openings_service.close_expired_openings(session=session, clock=clock)
    now = clock.now()
    for opening in closed:
        chats: list[int] = []
        if opening.created_by is not None:
            owner = await session.get(Member, opening.created_by)
            if owner is not None and owner.active:
                chats = [owner.telegram_id]
        if not chats:
            chats = [m.telegram_id for m in await outbox_db.active_members(session=session)
                     if m.agency_id == opening.agency_id]
        await enqueue_notice(
            session=session, kind=planner.OPENING_CLOSED, chat_ids=chats,
            occurrence=str(opening.id), now=now, agency_id=opening.agency_id,
            payload={"opening_id": opening.id, "company": opening.company_name,
                     "title": opening.job_title,
                     "deadline": opening.deadline.isoformat() if opening.deadline else ""},
        )
    return len(closed)


async def mark_blocked(*, session: AsyncSession, chat_id: int, now: datetime) -> str | None:
    """A 403 from a chat: the member becomes inactive (or the group is dropped) and the
    coordinators are told; the chat's other pending reminders fail at once. Returns the
    notice kind, or None when the chat is unknown."""
    await outbox_db.fail_pending_for_chat(session=session, chat_id=chat_id, error=BLOCKED)
    coordinators = await outbox_db.coordinator_chats(session=session)
    if chat_id > 0:
        member = await outbox_db.member_by_chat(session=session, chat_id=chat_id)
        if member is None:
            return None
        if member.active:
            member.active, member.blocked_at = False, now
            session.add(member)
            await session.flush()
        agency = await outbox_db.agency_name(session=session, agency_id=member.agency_id)
        await enqueue_notice(
            session=session, kind=planner.MEMBER_BLOCKED,
            chat_ids=[c for c in coordinators if c != chat_id],
            occurrence=f"{member.id}:{now.astimezone(local_zone()).date().isoformat()}", now=now,
            payload={"name": member.display_name, "agency": agency},
        )
        return planner.MEMBER_BLOCKED
    group = await outbox_db.group_by_chat(session=session, chat_id=chat_id)
    if group is None:
        return None
    if group.active:
        group.active = False
        session.add(group)
        await session.flush()
    await enqueue_notice(
        session=session, kind=planner.GROUP_LOST, chat_ids=coordinators,
        occurrence=f"{group.id}:{now.astimezone(local_zone()).date().isoformat()}", now=now,
        payload={"title": group.title},
    )
    return planner.GROUP_LOST


@dataclass
class Overview:
    """What /reminders shows: the coming week's plan and the last week's outbox."""

    plan: list[planner.Notice]
    counts: dict[str, int]
    failed: list[ReminderLog]
    expired: list[ReminderLog]
    unconfirmed: list[ReminderLog]
    agency_names: dict[int, str]


async def overview(*, session: AsyncSession, now: datetime, days: int = 7) -> Overview:
    ahead = now + timedelta(days=days)
    data = await planner.load_plan_data(session=session, start=now, end=ahead)
    coming = planner.plan(data, start=now, end=ahead)
    rows = await outbox_db.list_outbox(session=session, since=now - timedelta(days=days),
                                       until=now)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return Overview(
        plan=coming,
        counts=counts,
        failed=[r for r in rows if r.state == outbox_db.FAILED],
        expired=[r for r in rows if r.state == outbox_db.EXPIRED],
        unconfirmed=[r for r in rows if r.state == outbox_db.SENT and r.last_error == UNCONFIRMED],
        agency_names={a.id: a.short_name for a in data.agencies},
    )
