"""Housekeeping jobs: forget old update ids, destroy seekers' data past retention."""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from locales import Translator
from services import retention

log = logging.getLogger(__name__)


async def forget_old_updates(runtime) -> int:
    """Drop update ids older than a day (kept at least 24 hours) and old save receipts."""
    async with runtime.session() as session:
        return await retention.forget_old_updates(session=session, clock=runtime.clock)


async def housekeeping(context: ContextTypes.DEFAULT_TYPE) -> None:
    runtime = context.application.runtime  # type: ignore[attr-defined]
    forgotten = await forget_old_updates(runtime)
    async with runtime.session() as session:
        plan = await retention.purge(
            session=session, clock=runtime.clock, months=runtime.settings.retention_months,
            pseudonym=Translator("ko")(retention.PSEUDONYM_KEY),
        )
    if forgotten or plan.seekers:
        log.info("housekeeping: %s update ids forgotten, %s seekers purged",
                 forgotten, len(plan.seekers))


def install(app: Application) -> None:
    assert app.job_queue is not None
    app.job_queue.run_repeating(housekeeping, interval=3600, first=60, name="housekeeping")
