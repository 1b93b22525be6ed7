"""The reminders outbox at the service level: planning into it, expiry, notices, the outcome of a
send. No Telegram here; `scheduler.reminders` does the sending.

States (`core.statuses.OutboxState`): pending -> claimed -> sending -> sent / failed / ambiguous
(or back to pending for a retry); pending -> expired / skipped.

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
  next attempt (exponential backoff); for a claimed or sending row it is the time of the claim.

Sent once, never lost (issue 13). Telegram's sendMessage has no idempotency key: once a request
has been written nobody can tell, without its answer, whether the message was delivered. So a
row says exactly how far its request got:

- **claimed**: a sender took it; its request has not started. A sender marks the row
  **sending** (its own commit) immediately before the request is written, after everything
  else the send needs (the recipient's language, the text) is ready.
- A request that may have reached Telegram and got no answer (a read timeout, a connection
  broken after the request was written) ends **ambiguous**: never sent again by itself, shown to
  the coordinators in /reminders so a person can check. (A request that provably never left, a
  refused connection or a connect timeout, is retried; so is a 429 or a 5xx answer.)
- After a crash (kill -9, power loss) a row left **claimed** goes back to pending (its request
  never left: it is sent after the restart) and a row left **sending** becomes ambiguous (its
  request was in flight). A row is known to be left by a dead process when its worker ran on this
  machine and that process is gone (worker ids are host:pid:nonce), or when its `LEASE` has run
  out (a worker elsewhere). Only the requests really in flight at the crash (at most
  `scheduler.reminders.MAX_IN_FLIGHT`, about one at a time at a quick API) can be ambiguous.
- A 403, or a 400 that says the chat is gone ("chat not found"), fails at once and marks the
  recipient like one who blocked the bot; any other 400 fails at once (the same request would
  fail again). Other errors are retried with backoff up to `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core import calendar as cal
from core.clock import Clock, local_zone
from core.statuses import OutboxState
from models import reminders as outbox_db
from models.tables import Member, ReminderLog
from services import openings as openings_service
from services import reminders as planner

LOOKBACK = timedelta(days=7)  # how far back each pass looks for reminders the bot missed
LEASE = timedelta(minutes=2)  # a row in sending longer than this was left by a dead process
MAX_ATTEMPTS = 5
BACKOFF = timedelta(seconds=30)  # doubled after each failed attempt, up to BACKOFF_MAX
BACKOFF_MAX = timedelta(minutes=15)
# Why a row is ambiguous (last_error). UNCONFIRMED marked such rows "sent" before issue 13.
AMBIGUOUS_NO_ANSWER = "ambiguous: no answer after the request was written"
AMBIGUOUS_CRASH = "ambiguous: the process stopped during the send"
UNCONFIRMED = "unconfirmed: the process stopped during the send"
BLOCKED = "blocked: 403"
CHAT_GONE = "blocked: 400 chat not found"
BLOCKED_ERRORS = (BLOCKED, CHAT_GONE)
# The row type the sender handles (the scheduler reaches the outbox only through this module).
OutboxRow = ReminderLog
# Passes come every REMINDER_INTERVAL (30 s): no pass for longer than this means the bot was
# stopped (or its machine asleep) and what fell due meanwhile was missed.
STOP_GAP = timedelta(minutes=5)
NOTICE_ITEMS = 12  # missed reminders listed in one notice (the rest is counted)


@dataclass
class PlanPass:
    pending: int = 0
    expired: int = 0
    skipped: int = 0
    ambiguous: int = 0  # rows a dead process left sending
    released: int = 0  # rows a dead process had claimed but not started: pending again
    closed_openings: int = 0
    expired_rows: list[ReminderLog | outbox_db.OutboxEntry] = field(default_factory=list)


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


def _row(r: planner.Reminder, state: str) -> outbox_db.OutboxEntry:
    payload = dict(r.payload)
    if r.stale_after is not None:
        payload["stale_after"] = r.stale_after.isoformat()
    return outbox_db.OutboxEntry(
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
    start = now - lookback
    data = await planner.load_plan_data(session=session, start=start, end=now)
    due = planner.reminders_of(planner.plan(data, start=start, end=now))
    known = await outbox_db.keys_due_between(session=session, start=start, end=now)
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


async def expire_and_recover(
    *, session: AsyncSession, now: datetime, worker: str = ""
) -> PlanPass:
    """Expire pending rows that are too old; settle rows a dead process left claimed or sending.

    `worker` is the caller's own sender, which has nothing in flight while it prepares a pass
    (its passes take turns): a row it still holds was orphaned by a failure of its bookkeeping.
    """
    result = PlanPass()
    for row in await outbox_db.pending_due(session=session, now=now, limit=5000, lock=False):
        if planner.is_expired(due_at=row.due_at or now, stale_after=stale_after(row), now=now):
            if await outbox_db.set_state(session=session, row_id=row.id or 0,
                                         from_state=outbox_db.PENDING,
                                         to_state=outbox_db.EXPIRED, error=row.last_error):
                result.expired += 1
                result.expired_rows.append(row)
    for row in await outbox_db.held_rows(session=session):
        holder = row.claimed_by
        leased_out = row.claimed_at is None or row.claimed_at < now - LEASE
        if not (holder == worker or leased_out or worker_is_gone(holder)):
            continue  # in flight in a live process
        if row.state == OutboxState.CLAIMED:
            if await outbox_db.release(session=session, row_id=row.id or 0, worker=holder):
                result.released += 1
        elif await outbox_db.settle_held(session=session, row_id=row.id or 0, worker=holder,
                                         to_state=outbox_db.AMBIGUOUS, error=AMBIGUOUS_CRASH):
            result.ambiguous += 1
    return result


# --- The sender's side of a send (scheduler.reminders does the Telegram part) -----------------
def new_worker_id() -> str:
    """A sender's id: host:pid:nonce (so a restarted bot knows the rows of a dead one)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def worker_is_gone(worker: str | None) -> bool:
    """True when `worker` ran on this machine in a process that no longer exists. (A worker of
    another machine, or one whose pid is alive again, is left to its lease.)"""
    if not worker or worker.count(":") < 2:
        return False
    host, pid_text, _nonce = worker.rsplit(":", 2)
    if host != socket.gethostname()[:30] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


async def claim_next(
    *, session: AsyncSession, now: datetime, worker: str, exclude_chats: Sequence[int] = ()
) -> ReminderLog | None:
    """Claim the oldest row due for a chat not in `exclude_chats` (its request not started)."""
    return await outbox_db.claim_next(session=session, now=now, worker=worker,
                                      exclude_chats=exclude_chats)


async def claimable_chats(
    *, session: AsyncSession, now: datetime, chats: Sequence[int]
) -> set[int]:
    return await outbox_db.claimable_chats(session=session, now=now, chats=chats)


async def start_request(*, session: AsyncSession, row_id: int, worker: str) -> bool:
    """Mark the row sending: call right before the request is written (and commit first)."""
    return await outbox_db.start_request(session=session, row_id=row_id, worker=worker)


async def language_of(*, session: AsyncSession, chat_id: int, default: str) -> str:
    """The language a chat's reminders are written in (a group: the default)."""
    if chat_id < 0:
        return default
    member = await outbox_db.member_by_chat(session=session, chat_id=chat_id)
    return member.language if member is not None else default


async def record_sent(*, session: AsyncSession, row_id: int, worker: str, now: datetime) -> bool:
    return await outbox_db.finish(session=session, row_id=row_id, worker=worker,
                                  state=outbox_db.SENT, now=now)


async def record_failed(
    *, session: AsyncSession, row_id: int, worker: str, now: datetime, error: str
) -> bool:
    return await outbox_db.finish(session=session, row_id=row_id, worker=worker,
                                  state=outbox_db.FAILED, now=now, error=error)


async def record_moot(
    *, session: AsyncSession, row_id: int, worker: str, now: datetime, error: str
) -> bool:
    """Nothing to say any more (a follow-up question answered meanwhile): expired, not sent."""
    return await outbox_db.finish(session=session, row_id=row_id, worker=worker,
                                  state=outbox_db.EXPIRED, now=now, error=error)


async def record_ambiguous(
    *, session: AsyncSession, row_id: int, worker: str, now: datetime, error: str = ""
) -> bool:
    """The request may have reached Telegram without an answer: never repeated by itself."""
    detail = f"{AMBIGUOUS_NO_ANSWER} ({error})" if error else AMBIGUOUS_NO_ANSWER
    return await outbox_db.finish(session=session, row_id=row_id, worker=worker,
                                  state=outbox_db.AMBIGUOUS, now=now, error=detail)


async def record_retry(
    *, session: AsyncSession, row: ReminderLog, worker: str, now: datetime, error: str,
    rate_limited: bool = False,
) -> bool:
    """Back to pending: after a 429 at once and without counting the attempt (Telegram pacing
    us), otherwise after the backoff of its attempts."""
    if rate_limited:
        return await outbox_db.finish(session=session, row_id=row.id or 0, worker=worker,
                                      state=outbox_db.PENDING, now=now, error=error,
                                      attempts=row.attempts - 1)
    return await outbox_db.finish(session=session, row_id=row.id or 0, worker=worker,
                                  state=outbox_db.PENDING, now=now, error=error,
                                  not_before=now + backoff(row.attempts))


async def record_unreachable(
    *, session: AsyncSession, row_id: int, worker: str, now: datetime, chat_id: int,
    error: str = BLOCKED,
) -> str | None:
    """The chat is gone (403 blocked, 400 chat not found): the row fails and the recipient is
    marked blocked (see `mark_blocked`)."""
    await outbox_db.finish(session=session, row_id=row_id, worker=worker,
                           state=outbox_db.FAILED, now=now, error=error)
    return await mark_blocked(session=session, chat_id=chat_id, now=now, error=error)


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
    *, session: AsyncSession, now: datetime, clock: PassClock,
    rows: Sequence[ReminderLog | outbox_db.OutboxEntry],
) -> None:
    """Tell the coordinators, in one message, which reminders were missed; after a stop, for
    how long the bot was stopped. Once per stop (or once a day for other expiries)."""
    if not rows:
        return
    groups: dict[tuple[str, str, int | None, bool], list[ReminderLog | outbox_db.OutboxEntry]] = {}
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


async def mark_blocked(
    *, session: AsyncSession, chat_id: int, now: datetime, error: str = BLOCKED
) -> str | None:
    """A 403 (or a 400 "chat not found") from a chat: the member becomes inactive (or the group
    is dropped) and the coordinators are told; the chat's other pending reminders fail at once.
    Returns the notice kind, or None when the chat is unknown."""
    await outbox_db.fail_pending_for_chat(session=session, chat_id=chat_id, error=error)
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
    ambiguous: list[ReminderLog]  # may or may not have reached their chat: a person checks
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
        ambiguous=[r for r in rows if r.state == outbox_db.AMBIGUOUS
                   or (r.state == outbox_db.SENT and r.last_error == UNCONFIRMED)],
        agency_names={a.id: a.short_name for a in data.agencies},
    )
