"""Housekeeping jobs: forget old update ids, destroy seekers' data past retention."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application, ContextTypes

from models import receipts as receipts_db
from models import updates as updates_db
from services import retention

log = logging.getLogger(__name__)

UPDATE_IDS_KEPT = timedelta(hours=24)  # Telegram redelivers within hours, never after a day
RECEIPTS_KEPT = timedelta(days=7)  # a 저장 repeated after a crash comes within minutes


async def forget_old_updates(runtime) -> int:
    """Drop update ids older than a day (kept at least 24 hours)."""
    async with runtime.session() as session:
        await receipts_db.purge_receipts(
            session=session, before=runtime.clock.now() - RECEIPTS_KEPT
        )
        return await updates_db.purge_updates(
            session=session, before=runtime.clock.now() - UPDATE_IDS_KEPT
        )


async def housekeeping(context: ContextTypes.DEFAULT_TYPE) -> None:
    runtime = context.application.runtime  # type: ignore[attr-defined]
    forgotten = await forget_old_updates(runtime)
    async with runtime.session() as session:
        plan = await retention.purge(
            session=session, clock=runtime.clock, months=runtime.settings.retention_months
        )
    if forgotten or plan.seekers:
        log.info("housekeeping: %s update ids forgotten, %s seekers purged",
                 forgotten, len(plan.seekers))


def install(app: Application) -> None:
    assert app.job_queue is not None
    app.job_queue.run_repeating(housekeeping, interval=3600, first=60, name="housekeeping")
