"""The reminders job: every ~30 s (PTB JobQueue), plan what is due into the outbox, then send it.

Nothing here depends on jobs persisted by APScheduler: each pass derives what is due from the
database (`services.reminders.plan`), writes it to the outbox (`ReminderLog`) and sends the
pending rows. The repeating job starts a second after the bot, so after downtime what fell due
earlier the same day goes out within a minute of the start (older reminders are expired and
listed for the coordinators, and what fell due before the database's first pass is skipped:
see `services.reminder_outbox`).

Sending is paced under Telegram's limits: at most `GLOBAL_RATE` messages a second overall, one
a second per private chat and one every three seconds per group (20 a minute). A 429 blocks only
its own chat for retry_after seconds. A 403, or a 400 "chat not found", makes the member
inactive (or drops the group) and tells the coordinators; any other 400 fails at once. A request
that may have reached Telegram without an answer (a read timeout) ends ambiguous and is never
repeated by itself. Other errors are retried with exponential backoff and end as failed.

Never twice, never lost: each row is claimed (conditional UPDATE, `FOR UPDATE SKIP LOCKED` on
PostgreSQL) by one process, then marked sending in its own commit immediately before its
request is written, and settled right after the answer; the request and its bookkeeping run
shielded, so cancelling the sender (shutdown, a restart) waits for the message in flight to be
recorded. After a hard kill only the rows marked sending can be ambiguous; claimed ones are sent
after the restart (see `services.reminder_outbox`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from adapters.delivery import caller_retries, chat_is_gone, may_have_arrived
from adapters.leadership import leads_reminders
from adapters.runtime import Runtime
from core import calendar as cal
from locales import Translator
from rendering.reminders import render
from services import followups
from services import reminder_outbox as outbox
from services import reminders as planner
from services.reminder_outbox import OutboxRow

log = logging.getLogger(__name__)

GLOBAL_RATE = 28.0  # messages per second overall (Telegram allows about 30)
PRIVATE_INTERVAL = 1.0  # seconds between two messages to one private chat
GROUP_INTERVAL = 3.0  # seconds between two messages to one group (20 per minute)
MAX_WAIT = 10.0  # wait at most this long for a paced or rate-limited chat in one pass
MAX_PASS = 120.0  # one pass sends for at most this long; the next pass goes on
# Requests awaiting their answer at once. Telegram answers in about 250 ms from Korea: one at a
# time would cap the sender at 4 messages a second, far below GLOBAL_RATE (docs/PERFORMANCE.md).
MAX_IN_FLIGHT = 32
SENDER_KEY = "reminder_sender"
JOB_NAME = "reminders"


@dataclass
class SendReport:
    """What one pass did."""

    planned: int = 0
    expired: int = 0
    skipped: int = 0
    ambiguous: int = 0  # requests that may have reached Telegram without an answer
    released: int = 0  # rows a dead process had claimed, their requests never started
    closed_openings: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    blocked: int = 0
    held_quiet: bool = False
    chats: list[int] = field(default_factory=list)


class Pacer:
    """Real-time pacing per scope: overall, per chat, and 429 blocks per chat."""

    def __init__(self, rate: float = GLOBAL_RATE) -> None:
        self.interval = 1.0 / rate
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def wait_for(self, chat_id: int) -> float:
        """Seconds until `chat_id` may get its next message."""
        return max(0.0, self._next_chat.get(chat_id, 0.0) - self._now())

    def busy_chats(self) -> list[int]:
        now = self._now()
        return [chat for chat, at in self._next_chat.items() if at > now]

    async def take_global(self) -> None:
        now = self._now()
        start = max(now, self._next_global)
        self._next_global = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)

    def sent(self, chat_id: int) -> None:
        gap = PRIVATE_INTERVAL if chat_id > 0 else GROUP_INTERVAL
        self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), self._now() + gap)

    def block(self, chat_id: int, seconds: float) -> None:
        """A 429 for this chat: nothing more to it for `seconds` (other chats go on)."""
        self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), self._now() + seconds)


class Sender:
    """One per bot process: its worker id, pacing state and a lock against overlapping passes."""

    def __init__(self) -> None:
        self.worker = outbox.new_worker_id()
        self.pacer = Pacer()
        self.lock = asyncio.Lock()


def sender_of(runtime: Runtime) -> Sender:
    sender = runtime.extras.get(SENDER_KEY)
    if not isinstance(sender, Sender):
        sender = Sender()
        runtime.extras[SENDER_KEY] = sender
    return sender


def _bot(app_or_bot: Any) -> Bot:
    return app_or_bot if isinstance(app_or_bot, Bot) else app_or_bot.bot


async def prepare_pass(
    runtime: Runtime, *, now: datetime, report: SendReport, worker: str = ""
) -> None:
    """Close expired openings, plan into the outbox, expire what is too old, settle crashes;
    tell the coordinators what was missed (see `services.reminder_outbox` for what counts)."""
    async with runtime.session() as session:
        clock = await outbox.note_pass(session=session, now=now)
        report.closed_openings = await outbox.close_openings(
            session=session, clock=_At(now, runtime)
        )
        planned = await outbox.plan_into_outbox(session=session, now=now, clock=clock)
        recovered = await outbox.expire_and_recover(session=session, now=now, worker=worker)
        report.planned = planned.pending
        report.expired = planned.expired + recovered.expired
        report.skipped = planned.skipped
        report.ambiguous = recovered.ambiguous
        report.released = recovered.released
        await outbox.notify_expired(session=session, now=now, clock=clock,
                                    rows=planned.expired_rows + recovered.expired_rows)


class _At:
    """A clock fixed at the pass's `now` (one pass sees one instant)."""

    def __init__(self, now: datetime, runtime: Runtime) -> None:
        self._now = now
        self.tz = runtime.clock.tz

    def now(self) -> datetime:
        return self._now

    def today(self) -> Any:
        return self._now.date()


async def send_due(
    app_or_bot: Any, runtime: Runtime, *, now: datetime, plan: bool = True,
    max_wait: float = MAX_WAIT,
) -> SendReport:
    """Plan what is due at `now` into the outbox (unless `plan` is False) and send it.

    Returns when nothing claimable is left, or only chats that must wait longer than
    `max_wait` seconds (a 429's retry_after); the next pass picks those up.
    """
    bot = _bot(app_or_bot)
    sender = sender_of(runtime)
    report = SendReport()
    async with sender.lock:
        if plan:
            await prepare_pass(runtime, now=now, report=report, worker=sender.worker)
        if cal.is_quiet(now):
            report.held_quiet = True
            return report
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MAX_PASS
        flight = _InFlight()
        try:
            while loop.time() < deadline:
                flight.raise_failure()
                if len(flight) >= MAX_IN_FLIGHT:
                    await flight.wait_one()
                    continue
                await sender.pacer.take_global()
                # Claiming and starting the delivery are shielded together: a cancellation
                # never leaves a row claimed and not sent.
                claiming = asyncio.ensure_future(
                    _claim_and_start(bot, runtime, sender, flight, now, report)
                )
                try:
                    row = await asyncio.shield(claiming)
                except asyncio.CancelledError:
                    await asyncio.wait({claiming})
                    raise
                if row is None:
                    if len(flight):  # an answer may free a chat (or block one): wait for it
                        await flight.wait_one()
                        continue
                    busy = sender.pacer.busy_chats()
                    async with runtime.session() as session:
                        waiting = await outbox.claimable_chats(session=session, now=now,
                                                               chats=busy)
                    if not waiting:
                        break
                    delay = min(sender.pacer.wait_for(c) for c in waiting)
                    if delay > max_wait:
                        break
                    await asyncio.sleep(delay)
                    continue
        finally:
            # Each request and its bookkeeping finish even when the pass is cancelled.
            await flight.wait_all()
        flight.raise_failure()
    return report


class _InFlight:
    """Deliveries under way: never two to one chat at once; none abandoned when cancelled."""

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[None], int] = {}
        self._failures: list[BaseException] = []

    def __len__(self) -> int:
        return len(self._tasks)

    def chats(self) -> list[int]:
        return list(self._tasks.values())

    def start(self, chat_id: int, delivery: Any) -> None:
        task = asyncio.ensure_future(delivery)
        self._tasks[task] = chat_id
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            self._failures.append(task.exception())  # type: ignore[arg-type]

    async def wait_one(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)

    async def wait_all(self) -> None:
        """Wait for every delivery, even through a cancellation (then raised afterwards):
        the outbox must record each answer Telegram gave."""
        cancelled = False
        while self._tasks:
            try:
                await asyncio.wait(set(self._tasks))
            except asyncio.CancelledError:
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError

    def raise_failure(self) -> None:
        if self._failures:
            raise self._failures[0]


async def _claim_and_start(
    bot: Bot, runtime: Runtime, sender: Sender, flight: _InFlight, now: datetime,
    report: SendReport,
) -> OutboxRow | None:
    """Claim the next row for a chat that may be written to now, and start its delivery."""
    async with runtime.session() as session:
        row = await outbox.claim_next(
            session=session, now=now, worker=sender.worker,
            exclude_chats=sender.pacer.busy_chats() + flight.chats(),
        )
    if row is not None:
        flight.start(row.chat_id, _deliver(bot, runtime, sender, row, now, report))
    return row


async def _deliver(
    bot: Bot, runtime: Runtime, sender: Sender, row: OutboxRow, now: datetime,
    report: SendReport,
) -> None:
    """Send one claimed row (in the recipient's language) and record the outcome."""
    row_id, chat_id, worker = row.id or 0, row.chat_id, sender.worker
    try:
        details: dict[str, str] | None = {}
        async with runtime.session() as session:
            lang = await outbox.language_of(session=session, chat_id=chat_id,
                                            default=runtime.settings.default_language)
            if row.kind == planner.FOLLOWUP:  # the name only now, never in the outbox
                details = await followups.reminder_details(
                    session=session, payload=row.payload or {}, cipher=runtime.cipher
                )
                if details is None:  # answered meanwhile: nothing to ask
                    await outbox.record_moot(session=session, row_id=row_id, worker=worker,
                                             now=now, error="answered")
                    return
        text, buttons = render(row, Translator(lang), details)
        markup = (
            InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]
                                  for label, data in buttons])
            if buttons else None
        )
    except Exception as exc:  # noqa: BLE001 - a row that cannot be rendered never will be
        log.exception("reminder %s could not be rendered", row_id)
        report.failed += 1
        async with runtime.session() as session:
            await outbox.record_failed(session=session, row_id=row_id, worker=worker, now=now,
                                       error=f"render: {type(exc).__name__}")
        return
    # From this commit on Telegram may have the message: nothing but the request follows it.
    async with runtime.session() as session:
        started = await outbox.start_request(session=session, row_id=row_id, worker=worker)
    if not started:  # settled meanwhile by another process (our lease ran out)
        log.warning("reminder %s: claim lost before its request", row_id)
        return
    try:
        with caller_retries():  # this sender paces and retries itself: a 429 delays one chat
            await bot.send_message(chat_id, text, reply_markup=markup)
    except RetryAfter as exc:
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        sender.pacer.block(chat_id, seconds)
        report.rate_limited += 1
        log.info("reminder %s: 429, chat waits %.0f s", row_id, seconds)
        async with runtime.session() as session:
            await outbox.record_retry(session=session, row=row, worker=worker, now=now,
                                      error="429", rate_limited=True)
        return
    except (Forbidden, BadRequest) as exc:
        sender.pacer.sent(chat_id)
        gone = isinstance(exc, Forbidden) or chat_is_gone(exc)
        async with runtime.session() as session:
            if gone:
                report.blocked += 1
                log.info("reminder %s: chat %s unreachable (%s)", row_id, chat_id,
                         type(exc).__name__)
                error = outbox.BLOCKED if isinstance(exc, Forbidden) else outbox.CHAT_GONE
                await outbox.record_unreachable(session=session, row_id=row_id, worker=worker,
                                                now=now, chat_id=chat_id, error=error)
            else:  # the same request would be refused again
                report.failed += 1
                log.warning("reminder %s refused: %s", row_id, exc.message[:100])
                await outbox.record_failed(session=session, row_id=row_id, worker=worker,
                                           now=now, error=f"400: {exc.message}")
        return
    except (TelegramError, OSError) as exc:
        sender.pacer.sent(chat_id)
        error = f"{type(exc).__name__}: {exc}"[:300]
        async with runtime.session() as session:
            if may_have_arrived(exc):
                report.ambiguous += 1
                log.warning("reminder %s: no answer after the request (%s); not repeated",
                            row_id, type(exc).__name__)
                await outbox.record_ambiguous(session=session, row_id=row_id, worker=worker,
                                              now=now, error=type(exc).__name__)
            elif row.attempts >= outbox.MAX_ATTEMPTS:
                report.failed += 1
                log.warning("reminder %s failed for good: %s", row_id, type(exc).__name__)
                await outbox.record_failed(session=session, row_id=row_id, worker=worker,
                                           now=now, error=error)
            else:
                report.retried += 1
                await outbox.record_retry(session=session, row=row, worker=worker, now=now,
                                          error=error)
        return
    sender.pacer.sent(chat_id)
    async with runtime.session() as session:
        await outbox.record_sent(session=session, row_id=row_id, worker=worker, now=now)
    report.sent += 1
    report.chats.append(chat_id)


# --- The JobQueue job --------------------------------------------------------------------------
# A pass that took this long is logged even when it did nothing (for operators: a slow pass
# delays every update in flight).
SLOW_PASS_MS = 100.0


async def reminders_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: one pass at the runtime clock's now."""
    runtime: Runtime = context.application.runtime  # type: ignore[attr-defined]
    if not await leads_reminders(runtime):  # another process on this database sends them
        return
    started = time.perf_counter()
    try:
        report = await send_due(context.application, runtime, now=runtime.clock.now())
    except Exception:  # noqa: BLE001 - the next pass tries again; log without personal data
        log.exception("reminders pass failed")
        return
    took_ms = (time.perf_counter() - started) * 1000
    if (report.sent or report.failed or report.expired or report.planned or report.skipped
            or report.ambiguous or report.released or took_ms >= SLOW_PASS_MS):
        log.info(
            "reminders: planned %d, sent %d, failed %d, expired %d, skipped %d, retried %d, "
            "ambiguous %d, released %d (%.0f ms)",
            report.planned, report.sent, report.failed, report.expired, report.skipped,
            report.retried, report.ambiguous, report.released, took_ms,
        )


def install(app: Application) -> None:
    """Add the repeating reminders job (interval REMINDER_INTERVAL seconds; 0 turns it off)."""
    runtime: Runtime = app.runtime  # type: ignore[attr-defined]
    interval = runtime.settings.reminder_interval
    if app.job_queue is None or interval <= 0:
        return
    for job in app.job_queue.get_jobs_by_name(JOB_NAME):
        job.schedule_removal()
    app.job_queue.run_repeating(
        reminders_job, interval=interval, first=min(1.0, interval), name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
