"""Operations tell the truth (issue 14), through the real `itda` command as a process: a malformed
`--month` is refused with the format, `reminders plan` marks a round nobody would receive, and
`itda backup` writes a copy only its owner may read (SQLite, and PostgreSQL by pg_dump or, when
it is missing, a non-zero exit with the command to run)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.wiring import create_runtime, prepare_database
from models import council as council_db
from models.tables import Member
from tests.harness import PG_MODE, make_settings, postgres_database

ITDA = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parent.parent


def itda(tmp_path: Path, *args: str, database: str | None = None,
         path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BOT_", "ITDA_", "ADMIN_", "DATABASE_", "TELEGRAM_"))}
    env.update({"ITDA_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)})
    if database is not None:
        env["DATABASE_URL"] = database
    if path is not None:
        env["PATH"] = path
    return subprocess.run([*ITDA, *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("month", ["2026-9", "2026-13", "2026-00", "2026/09", "26-09",
                                   "2026-09-01", "September"])
def test_audit_refuses_a_malformed_month_with_the_format(tmp_path: Path, month: str) -> None:
    done = itda(tmp_path, "audit", "--month", month)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "YYYY-MM" in done.stderr and "2026-09" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_audit_takes_a_well_formed_month(tmp_path: Path) -> None:
    database = make_settings(tmp_path).effective_database_url
    done = itda(tmp_path, "audit", "--month", "2026-09", database=database)
    assert done.returncode == 0, done.stderr
    assert "audit log 2026-09" in done.stdout and "chain intact" in done.stdout


def test_reminders_plan_marks_a_round_nobody_would_receive(tmp_path: Path) -> None:
    database = make_settings(tmp_path).effective_database_url

    async def one_member() -> None:  # 충남북부상의 has a member; 천안새일센터 has none
        runtime = create_runtime(make_settings(tmp_path, DATABASE_URL=database))
        await prepare_database(runtime)
        async with runtime.session() as s:
            chamber = await council_db.get_agency_by_code(session=s, code="chungnam-north-chamber")
            assert chamber is not None
            s.add(Member(telegram_id=11, display_name="박정호", agency_id=chamber.id))
        await runtime.close()

    asyncio.run(one_member())
    done = itda(tmp_path, "reminders", "plan", "--from", "2026-08-01", "--to", "2026-09-30",
                database=database)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    chamber = [line for line in lines if " discovery_nudge 충남북부상의 " in line]
    assert chamber and all("1 chats" in line and "NOBODY" not in line for line in chamber)
    centre = [line for line in lines if " report_nudge 천안새일센터 " in line]
    assert centre and all(
        line.endswith("NOBODY: no active member of this agency would receive it")
        for line in centre), centre
    group = [line for line in lines if " discovery_summary group " in line]
    assert group and all("NOBODY: no council group" in line for line in group)


def test_sqlite_backup_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    assert itda(tmp_path, "db", "upgrade").returncode == 0
    old_mask = os.umask(0o022)  # as on most machines: files 0644 unless the command says so
    try:
        done = itda(tmp_path, "backup")
        assert done.returncode == 0, done.stderr
        written = Path(done.stdout.split("backup written to ", 1)[1].split(" ", 1)[0])
        assert written.exists() and mode(written) == 0o600
        assert mode(written.parent) == 0o700
        kept = tmp_path / "old-backup.db"  # an older copy written over keeps no wider mode
        kept.write_bytes(b"")
        kept.chmod(0o644)
        done = itda(tmp_path, "backup", "--to", str(kept))
        assert done.returncode == 0, done.stderr
        assert mode(kept) == 0o600 and kept.stat().st_size > 0
    finally:
        os.umask(old_mask)


def _postgres_or_skip(tmp_path: Path) -> str:
    try:
        url = postgres_database()
    except Exception as exc:  # noqa: BLE001 - no server here: nothing to test
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({type(exc).__name__})")
    assert itda(tmp_path, "db", "upgrade", database=url).returncode == 0
    return url


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_postgres_backup_runs_pg_dump_into_an_owner_only_file(tmp_path: Path) -> None:
    url = _postgres_or_skip(tmp_path)
    target = tmp_path / "itda.dump"
    done = itda(tmp_path, "backup", "--to", str(target), database=url)
    assert done.returncode == 0, done.stderr
    assert mode(target) == 0o600
    listing = subprocess.run(["pg_restore", "--list", str(target)], capture_output=True,
                             text=True, check=False)
    assert listing.returncode == 0 and re.search(r"TABLE public \w*opening", listing.stdout)


def test_postgres_backup_without_pg_dump_exits_with_the_command(tmp_path: Path) -> None:
    url = (postgres_database() if PG_MODE
           else "postgresql+asyncpg://itda:s3cret@db.example:5432/itda")
    target = tmp_path / "itda.dump"
    done = itda(tmp_path, "backup", "--to", str(target), database=url,
                path=str(tmp_path / "no-tools"))
    assert done.returncode != 0
    assert "pg_dump --format=custom" in done.stderr and str(target) in done.stderr
    assert "postgresql://" in done.stderr and "+asyncpg" not in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
    assert not target.exists()
