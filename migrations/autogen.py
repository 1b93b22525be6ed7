"""Developer helper: `uv run python -m migrations.autogen "message"` writes a new revision
by comparing the tables with a scratch SQLite database upgraded to head."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy.engine import Connection

from models.db import alembic_config, make_engine, upgrade_database


def _revise(connection: Connection, message: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.revision(cfg, message=message, autogenerate=True)


async def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}")
        await upgrade_database(engine)
        async with engine.begin() as conn:
            await conn.run_sync(_revise, message)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "change"))
