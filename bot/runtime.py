"""Long-lived services of one bot process, created at start and closed at shutdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Session

from bot.clock import Clock, SystemClock
from bot.config import Settings
from models.db import (
    SessionFactory,
    make_engine,
    make_session_factory,
    run_transaction,
    upgrade_database,
)
from models.db import session_scope as _session_scope
from services.council import CouncilData, load_council, seed_council
from services.crypto import Cipher, load_secret

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


def create_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    engine = make_engine(settings.effective_database_url)
    secret = settings.itda_secret_key.get_secret_value() if settings.itda_secret_key else None
    cipher = Cipher(load_secret(configured=secret, data_dir=settings.itda_data_dir))
    sessions = make_session_factory(engine)
    # Services reach the cipher through the session (services.crypto.cipher_of), never a global.
    sessions.configure(info={"cipher": cipher})
    return Runtime(
        settings=settings,
        clock=clock or SystemClock(settings.tz),
        engine=engine,
        sessions=sessions,
        council=load_council(settings.council_file),
        cipher=cipher,
    )


async def prepare_database(runtime: Runtime) -> None:
    """Create or upgrade the schema and load the council file (both idempotent)."""
    await upgrade_database(runtime.engine)
    async with runtime.session() as session:
        await seed_council(session=session, data=runtime.council)
