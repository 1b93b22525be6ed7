"""Long-lived services of one bot process (built by the composition root, `bot.wiring`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Session

from core.clock import Clock
from core.config import Settings
from models.db import SessionFactory, run_transaction
from models.db import session_scope as _session_scope
from services.council import CouncilData
from services.crypto import Cipher

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: SessionFactory
    council: CouncilData
    cipher: Cipher
    extras: dict[str, object] = field(default_factory=dict)

    def session(self):
        """One session, committed on success: ``async with runtime.session() as s``."""
        return _session_scope(self.sessions)

    async def transaction(self, fn: Callable[[Session], T]) -> T:
        """`fn(session)` in one transaction on a synchronous session (models.db.run_transaction):
        for the short statements every update runs."""
        return await run_transaction(self.sessions, fn)

    async def close(self) -> None:
        await self.engine.dispose()
