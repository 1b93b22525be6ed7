"""Which of the processes sharing one PostgreSQL database sends the reminders.

Every process runs the reminder passes, and the outbox already keeps each reminder to one send;
but two senders interleave their fan-outs and pace Telegram's limits separately. So on
PostgreSQL one process leads: the one holding the sender's advisory lock, taken on a connection
of its own and held for the process's life. When it stops (or its connection drops), the lock is
released by the server and the next pass of another process takes it. SQLite has one process.
"""

from __future__ import annotations

import logging

from adapters.runtime import Runtime
from models.locks import REMINDER_SENDER, AdvisoryLocks

log = logging.getLogger(__name__)
LEADER_KEY = "reminder_leader"


async def leads_reminders(runtime: Runtime) -> bool:
    """True when this process sends the reminders (always, on SQLite)."""
    if runtime.engine.dialect.name != "postgresql":
        return True
    locks = runtime.extras.get(LEADER_KEY)
    if not isinstance(locks, AdvisoryLocks):
        locks = runtime.extras[LEADER_KEY] = AdvisoryLocks(runtime.engine)
    try:
        # Re-entrant: the leader gets True again each pass; the others get False.
        return await locks.try_take(REMINDER_SENDER)
    except Exception as exc:  # noqa: BLE001 - no database now: the next pass tries again
        log.warning("reminders: could not ask who sends (%s)", type(exc).__name__)
        return False


async def step_down(runtime: Runtime) -> None:
    locks = runtime.extras.pop(LEADER_KEY, None)
    if isinstance(locks, AdvisoryLocks):
        await locks.close()
