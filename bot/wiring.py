"""Build the Runtime of one process: engine, sessions, cipher, council data, clock."""

from __future__ import annotations

from adapters.runtime import Runtime
from core.clock import Clock, StartedClock, SystemClock, use_zone
from core.config import Settings
from models.db import make_engine, make_session_factory, upgrade_database
from services import followups
from services.council import load_council, seed_council
from services.crypto import Cipher, load_secret


def clock_for(settings: Settings) -> Clock:
    """The wall clock, or one started at ITDA_NOW that runs on from there."""
    if settings.itda_now is not None:
        return StartedClock(settings.itda_now, settings.tz)
    return SystemClock(settings.tz)


def clock_warning(settings: Settings) -> str | None:
    """The one line a long-running command logs when its clock is not the wall clock."""
    if settings.itda_now is None:
        return None
    return (
        f"ITDA_NOW is set: the bot's clock started at {settings.itda_now.isoformat()} and runs "
        "on from there, not on today's date (for demonstrations, training and tests only)"
    )


def create_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    use_zone(settings.tz)  # the one time zone, from the TIMEZONE setting
    engine = make_engine(settings.effective_database_url)
    secret = settings.itda_secret_key.get_secret_value() if settings.itda_secret_key else None
    cipher = Cipher(load_secret(configured=secret, data_dir=settings.itda_data_dir))
    sessions = make_session_factory(engine)
    # The cipher is passed to each service that reads or writes personal data, never a global.
    return Runtime(
        settings=settings,
        clock=clock or clock_for(settings),
        engine=engine,
        sessions=sessions,
        council=load_council(settings.council_file),
        cipher=cipher,
    )


async def prepare_database(runtime: Runtime) -> None:
    """Create or upgrade the schema, load the council file and give every hire its follow-up
    points (all idempotent)."""
    await upgrade_database(runtime.engine)
    async with runtime.session() as session:
        await seed_council(session=session, data=runtime.council)
        await followups.backfill(session=session, config=runtime.council.followup,
                                 now=runtime.clock.now())
