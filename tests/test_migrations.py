"""Migrations at start: a new database gets them all; a database already at the newest one is not
handed to alembic, so the bot does not carry alembic in its memory (issue 18)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from models.db import HEAD_REVISION, alembic_config, make_engine, upgrade_database
from tests.harness import PG_MODE, postgres_database

ROOT = Path(__file__).resolve().parent.parent

# A fresh interpreter (this one has imported alembic already): upgrade the database, then say
# which revision it is at and whether alembic was imported.
START = """
import asyncio, json, sys
from sqlalchemy import text
from models.db import make_engine, upgrade_database

async def main(url):
    engine = make_engine(url)
    await upgrade_database(engine)
    async with engine.connect() as conn:
        found = await conn.execute(text("SELECT version_num FROM alembic_version"))
        versions = list(found.scalars())
    await engine.dispose()
    print(json.dumps({"versions": versions, "alembic": "alembic" in sys.modules}))

asyncio.run(main(sys.argv[1]))
"""


def start(url: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", START, url], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_head_revision_is_alembics_head() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_a_new_database_is_migrated_and_an_up_to_date_one_leaves_alembic_alone(
    tmp_path: Path,
) -> None:
    url = postgres_database() if PG_MODE else f"sqlite+aiosqlite:///{tmp_path / 'itda.db'}"
    assert start(url) == {"versions": [HEAD_REVISION], "alembic": True}
    assert start(url) == {"versions": [HEAD_REVISION], "alembic": False}


async def test_a_database_behind_is_brought_to_the_head(tmp_path: Path) -> None:
    """A database one migration behind (as after pulling a new version) is upgraded."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'itda.db'}")
    try:
        await upgrade_database(engine)
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE tally"))
            await conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        await upgrade_database(engine)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).all() \
                == [(HEAD_REVISION,)]
            assert (await conn.execute(text("SELECT count(*) FROM tally"))).scalar() == 0
    finally:
        await engine.dispose()
