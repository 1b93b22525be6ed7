"""Operations commands: `itda webhook`, `itda backup`, `itda audit`, `itda purge`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.instance import sqlite_path
from core.config import ConfigError, Settings

EXIT_CHAIN_BROKEN = 1


# --- webhook -----------------------------------------------------------------------------------
def _webhook(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.logs import setup_logging
    from bot.app import StartupProblem, build_application, check_telegram, freeze_startup_heap
    from bot.webhook import SECRET_RE, serve
    from bot.wiring import clock_warning, create_runtime, prepare_database

    token = settings.token()
    if not settings.webhook_url:
        raise ConfigError("WEBHOOK_URL is not set: expected the public https:// URL")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not SECRET_RE.match(secret):
        raise ConfigError(
            "WEBHOOK_SECRET is not set or malformed: expected 1-256 characters A-Z a-z 0-9 _ -"
        )
    setup_logging(token)
    if warning := clock_warning(settings):
        logging.getLogger("itda").warning(warning)
    try:  # as `itda run`: a wrong token or server is told in one line, before any database work
        asyncio.run(check_telegram(settings, token))
    except StartupProblem as problem:
        print(f"itda: {problem}", file=sys.stderr)
        return problem.exit_code

    async def go() -> None:
        runtime = create_runtime(settings)
        await prepare_database(runtime)
        app = build_application(runtime, token=token)
        freeze_startup_heap()
        await serve(
            app,
            public_url=settings.webhook_url or "",
            secret=secret,
            host=args.listen or settings.webhook_listen,
            port=args.port or settings.webhook_port,
        )

    asyncio.run(go())
    return 0


# --- backup ------------------------------------------------------------------------------------
EXIT_BACKUP_FAILED = 1
PG_RESTORE_HELP = """restore into an empty database with:
  pg_restore --clean --if-exists --dbname=postgresql://USER@HOST/itda {target}"""


def _private_file(target: Path) -> None:
    """`target` as an empty (or kept) file that only its owner may read or write (0600), in a
    folder only its owner may enter when it is created here: a backup holds every record."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(target, 0o600)  # a file that existed keeps its old mode otherwise


def backup_sqlite(database: Path, target: Path) -> Path:
    """SQLite's online backup: a consistent copy even while the bot writes, readable by its
    owner only."""
    _private_file(target)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    os.chmod(target, 0o600)
    return target


def pg_dump_command(url: str, target: Path, *, shown: bool = False) -> list[str]:
    """pg_dump's command line for DATABASE_URL (the driver name dropped; `shown` hides the
    password, for printing)."""
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql")
    return ["pg_dump", "--format=custom", f"--file={target}",
            plain.render_as_string(hide_password=shown)]


def backup_postgres(url: str, target: Path) -> int:
    """pg_dump when it is installed (exit status of pg_dump); otherwise the command to run and
    a non-zero status, since no backup was made."""
    if shutil.which("pg_dump") is None:
        command = " ".join(shlex.quote(part) for part in pg_dump_command(url, target, shown=True))
        print("itda: pg_dump is not installed, so no backup was made. Install the PostgreSQL "
              "client tools (e.g. apt-get install postgresql-client) or run, where pg_dump is:\n"
              f"  {command}\n(*** is the password of DATABASE_URL)", file=sys.stderr)
        return EXIT_BACKUP_FAILED
    _private_file(target)
    done = subprocess.run(pg_dump_command(url, target), check=False)  # a list: no shell
    if done.returncode != 0:
        print(f"itda: pg_dump failed (exit status {done.returncode}); no backup was made",
              file=sys.stderr)
        target.unlink(missing_ok=True)
        return done.returncode
    os.chmod(target, 0o600)
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.effective_database_url
    database = sqlite_path(url)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    suffix = "db" if database is not None else "dump"
    target = (Path(args.to) if args.to
              else settings.itda_data_dir / "backups" / f"itda-{stamp}.{suffix}")
    if database is None:
        status = backup_postgres(url, target)
        if status == 0:
            print(f"backup written to {target} (readable by its owner only)")
            print(PG_RESTORE_HELP.format(target=target))
        return status
    if not database.exists():
        print(f"itda: no database at {database}", file=sys.stderr)
        return 1
    backup_sqlite(database, target)
    print(f"backup written to {target} (readable by its owner only)")
    return 0


# --- audit -------------------------------------------------------------------------------------
MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
MONTH_FORMAT = "expected YYYY-MM with a two-digit month, e.g. 2026-09"


def month_arg(text: str) -> str:
    """`--month`: exactly YYYY-MM ("2026-9", "2026-13", "2026/09", "2026-09-01" are refused;
    strptime alone would take "2026-9")."""
    if not MONTH_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is malformed: {MONTH_FORMAT}")
    return text


def _month_bounds(month: str, settings: Settings) -> tuple[datetime, datetime]:
    if not MONTH_RE.fullmatch(month):
        raise ConfigError(f"--month {month!r} is malformed: {MONTH_FORMAT}")
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=settings.tz)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import create_runtime, prepare_database
    from models import audit as audit_db

    start, end = _month_bounds(args.month, settings)

    async def go() -> int:
        runtime = create_runtime(settings)
        try:
            await prepare_database(runtime)
            async with runtime.session() as session:
                entries = list(await audit_db.audit_until(session=session, before=end))
        finally:
            await runtime.close()
        shown = [e for e in entries if e.at is not None and e.at >= start]
        print(f"audit log {args.month}: {len(shown)} entries")
        for e in shown:
            assert e.at is not None
            target = f"{e.entity}#{e.entity_id}" if e.entity else "-"
            detail = json.dumps(e.detail, ensure_ascii=False, sort_keys=True)
            print(
                f"#{e.id} {e.at:%Y-%m-%d %H:%M:%S} {e.action} by {e.actor_telegram_id or '-'}"
                f" (member {e.actor_member_id or '-'}) on {target} {detail}"
            )
        broken = audit_db.verify_chain(entries)
        if broken is not None:
            print(f"chain BROKEN at entry #{broken}: the log was changed after it was written")
            return EXIT_CHAIN_BROKEN
        print(f"chain intact ({len(entries)} entries checked up to the end of {args.month})")
        return 0

    return asyncio.run(go())


# --- purge -------------------------------------------------------------------------------------
def _purge(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import create_runtime, prepare_database
    from core.clock import SystemClock
    from locales import Translator
    from services import retention

    months = settings.retention_months

    async def go() -> int:
        runtime = create_runtime(settings, SystemClock(settings.tz))
        try:
            await prepare_database(runtime)
            async with runtime.session() as session:
                if args.dry_run:
                    plan = await retention.plan_purge(
                        session=session, clock=runtime.clock, months=months
                    )
                else:
                    plan = await retention.purge(
                        session=session, clock=runtime.clock, months=months,
                        pseudonym=Translator("ko")(retention.PSEUDONYM_KEY),
                    )
        finally:
            await runtime.close()
        verb = "would be destroyed" if args.dry_run else "destroyed"
        print(
            f"RETENTION_MONTHS={months}: seekers registered before {plan.cutoff:%Y-%m-%d} are due;"
            f" {len(plan.seekers)} {verb}"
        )
        for seeker in plan.seekers:  # ids only: names and numbers never go to a terminal log
            assert seeker.created_at is not None
            print(
                f"  seeker #{seeker.id} agency {seeker.agency_id} region {seeker.region_code}"
                f" registered {seeker.created_at:%Y-%m}"
            )
        return 0

    return asyncio.run(go())


# --- health ------------------------------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    return True


def _health(args: argparse.Namespace, settings: Settings) -> int:
    """For Docker's HEALTHCHECK: the database answers and, on SQLite, a bot holds the instance
    lock beside it (a running `itda run`); one line and status 1 otherwise."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    url = settings.effective_database_url
    database = sqlite_path(url)
    if database is not None:
        lock = database.with_name(database.name + ".lock")
        if not database.exists() or not lock.exists():
            print(f"unhealthy: no bot has started on {database}", file=sys.stderr)
            return 1
        # The pid the running bot wrote into its lock (never locked here: a bot starting at
        # that moment would find the lock taken and stop).
        holder = lock.read_text().strip()
        if not holder.isdigit() or not _alive(int(holder)):
            print(f"unhealthy: no bot is running on {database}", file=sys.stderr)
            return 1

    async def ping() -> None:
        engine = create_async_engine(url)
        try:
            async with asyncio.timeout(10), engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(ping())
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        print(f"unhealthy: the database does not answer ({type(exc).__name__})", file=sys.stderr)
        return 1
    print("healthy")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    webhook = sub.add_parser(
        "webhook",
        help="serve updates over a webhook (behind HTTPS); needs WEBHOOK_URL and WEBHOOK_SECRET",
    )
    webhook.add_argument("--listen", help="address to listen on (default WEBHOOK_LISTEN)")
    webhook.add_argument("--port", type=int, help="port to listen on (default WEBHOOK_PORT)")
    webhook.set_defaults(func=_webhook)
    backup = sub.add_parser(
        "backup", help="consistent copy of the database (SQLite online; PostgreSQL by pg_dump)")
    backup.add_argument(
        "--to", help="the file to write (default data/backups/itda-<time>.db or .dump)")
    backup.set_defaults(func=_backup)
    audit = sub.add_parser("audit", help="print a month of the audit log and check its chain")
    audit.add_argument("--month", required=True, type=month_arg, help="YYYY-MM, e.g. 2026-09")
    audit.set_defaults(func=_audit)
    purge = sub.add_parser(
        "purge", help="destroy seekers' personal data past retention (RETENTION_MONTHS)"
    )
    purge.add_argument("--dry-run", action="store_true", help="only show what would go")
    purge.set_defaults(func=_purge)
    health = sub.add_parser(
        "health", help="exit 0 when the database answers and a bot runs on it (Docker)")
    health.set_defaults(func=_health)
