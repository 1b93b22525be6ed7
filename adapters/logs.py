"""Logging that never shows the bot token (httpx logs request URLs, which contain it)."""

from __future__ import annotations

import logging
import re

_TOKEN_RE = re.compile(r"\d{5,12}:[A-Za-z0-9_-]{20,}")


class RedactTokenFilter(logging.Filter):
    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _TOKEN_RE.sub("<token>", message)
        if self.token:
            cleaned = cleaned.replace(self.token, "<token>")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# Libraries that log whole updates, Bot API parameters or SQL parameters (names, phone numbers)
# at DEBUG: they never go below these levels, whatever the root level is.
LIBRARY_LEVELS = {
    "telegram": logging.INFO,
    "aiosqlite": logging.INFO,
    "asyncpg": logging.INFO,
    "sqlalchemy": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
    "hpack": logging.WARNING,
}


def quiet_libraries() -> None:
    for name, floor in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(floor)


def setup_logging(token: str | None = None, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokenFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries()
