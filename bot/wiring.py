"""Build the Runtime of one process: engine, sessions, cipher, council data, clock."""

from __future__ import annotations

from adapters.runtime import Runtime
from core.clock import Clock, SystemClock, use_zone
from core.config import Settings
from models.db import make_engine, make_session_factory, upgrade_database
from services.council import load_council, seed_council
from services.crypto import Cipher, load_secret


def create_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    use_zone(settings.tz)  # the one time zone, from the TIMEZONE setting
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
