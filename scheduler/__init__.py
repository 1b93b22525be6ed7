"""Scheduled work: APScheduler (through python-telegram-bot's JobQueue) wakes the bot; what to
send is derived from the database each time, never from persisted jobs."""

from __future__ import annotations

from telegram.ext import Application


def install_jobs(app: Application) -> None:
    """Register the recurring jobs. Feature modules add theirs here."""
    if app.job_queue is None:
        return
    from scheduler import reminders

    reminders.install(app)

    from scheduler import housekeeping

    housekeeping.install(app)
